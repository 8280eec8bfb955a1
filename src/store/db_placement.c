/* Writing the placement table (db_placement.h). */
#include "db_int.h"
#include "db_placement.h"

void db_add_placement_table(struct nm_db *db)
{
	db_exec(db, "CREATE TABLE IF NOT EXISTS placement("
		"object_id INTEGER, pid INTEGER, address INTEGER, size INTEGER, rule TEXT, "
		"pages INTEGER, present INTEGER, on_intended INTEGER, absent INTEGER, "
		"skipped INTEGER, failed_ranges INTEGER, nodes TEXT)");
}

int db_add_placement(struct nm_db *db, const struct db_placement *p)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO placement VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	int rc;

	if (p->object_id > 0)
		sqlite3_bind_int64(st, 1, p->object_id);    /* else NULL: no row of objects */
	sqlite3_bind_int64(st, 2, p->pid);
	sqlite3_bind_int64(st, 3, (int64_t)p->addr);
	sqlite3_bind_int64(st, 4, (int64_t)p->size);
	sqlite3_bind_text(st, 5, p->rule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (int64_t)p->pages);
	sqlite3_bind_int64(st, 7, (int64_t)p->present);
	sqlite3_bind_int64(st, 8, (int64_t)p->on_intended);
	sqlite3_bind_int64(st, 9, (int64_t)p->absent);
	sqlite3_bind_int64(st, 10, (int64_t)p->skipped);
	sqlite3_bind_int(st, 11, p->failed_ranges);
	sqlite3_bind_text(st, 12, p->nodes, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
