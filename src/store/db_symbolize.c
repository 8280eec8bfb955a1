/* Post-run symbolisation of the code locations.  Kept apart from db.c so
 * that the database does not depend on the ELF/DWARF readers. */
#include <stdlib.h>

#include "db_int.h"
#include "error.h"
#include "symbolize.h"

/* A code location still without a function name. */
struct unknown_frame {
	int64_t id;             /* locations.id */
	char *path;
	int64_t offset;
};

struct unknown_frames {
	struct unknown_frame *v;
	size_t n, cap;
};

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? xstrdup(s) : NULL;
}

/* Collected before updating: locations must not change under the query
 * that walks them.  The module's file comes from the modules table; a module
 * named by its path (no build-id) is its own file.  A read error ends
 * the list with a warning: symbolisation is best effort, and what was
 * read can still be named. */
static void collect_unknown(struct nm_db *db, struct unknown_frames *out)
{
	/* A join with the modules' paths, each module's found once (a
	 * subquery per location cost gcc's 5,000 a third of this step). */
	sqlite3_stmt *st = db_prepare(db,
		"SELECT l.id, l.offset,"
		"  coalesce(m.path, CASE WHEN l.module NOT LIKE 'buildid:%' THEN l.module END)"
		" FROM locations l LEFT JOIN"
		"  (SELECT module, min(path) AS path FROM modules GROUP BY module) m"
		"  ON m.module = l.module"
		" WHERE l.function IS NULL AND l.module IS NOT NULL");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct unknown_frame *u;

		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 256;
			out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		u = &out->v[out->n++];
		u->id = sqlite3_column_int64(st, 0);
		u->offset = sqlite3_column_int64(st, 1);
		u->path = column_strdup(st, 2);
	}
	if (rc != SQLITE_DONE)
		warning("%s: cannot read the frames to symbolise: %s", db_path(db),
			sqlite3_errmsg(db_sqlite(db)));
	sqlite3_finalize(st);
}

static void update_location(struct nm_db *db, sqlite3_stmt *st, const struct unknown_frame *u,
			    const struct sym_info *si)
{
	if (si->function)
		sqlite3_bind_text(st, 1, si->function, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, si->func_offset);
	if (si->file) {
		sqlite3_bind_text(st, 3, si->file, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, si->line);
	}
	sqlite3_bind_int64(st, 5, u->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("cannot name code locations: %s", sqlite3_errmsg(db_sqlite(db)));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void symbolize_locations(struct nm_db *db, void *unused)
{
	struct unknown_frames unknown = { 0 };
	struct symbolizer *sym;
	sqlite3_stmt *st;

	sym = db_new_module_arg(db);
	collect_unknown(db, &unknown);
	if (!unknown.n) {
		symbolizer_free(sym);
		return;
	}
	debug("%zu code locations left to name", unknown.n);
	if (!sym)
		sym = symbolizer_new();
	st = db_prepare(db, "UPDATE locations SET function = ?, func_offset = ?, file = ?, line = ?"
			" WHERE id = ?");
	for (size_t i = 0; i < unknown.n; i++) {
		struct unknown_frame *u = &unknown.v[i];
		struct sym_info si = { 0 };

		if (symbolize(sym, u->path, u->offset, &si) == 0 && (si.function || si.file))
			update_location(db, st, u, &si);
		sym_info_free(&si);
		free(u->path);
	}
	sqlite3_finalize(st);
	symbolizer_free(sym);
	free(unknown.v);
}

static void prefetch(void *symbolizer, const char *path)
{
	symbolizer_prefetch(symbolizer, path);
}

static void name_if_read(void *symbolizer, const char *path, uint64_t offset,
			 struct db_location_name *out)
{
	struct sym_info si;

	if (symbolize_if_read(symbolizer, path, offset, &si) == 0)
		*out = (struct db_location_name){ si.function, si.func_offset, si.file, si.line };
	else
		sym_info_free(&si);
}

static void free_symbolizer(void *symbolizer)
{
	symbolizer_free(symbolizer);
}

void db_symbolize_early(struct nm_db *db)
{
	static const struct db_module_hooks hooks = {
		.opened = prefetch, .name = name_if_read, .free = free_symbolizer,
	};

	db_on_new_module(db, &hooks, symbolizer_new());
}

/* One transaction: a name per code location, which every stack through
 * it shows (a profile whose numamma died has none). */
void db_symbolize(struct nm_db *db)
{
	db_transaction(db, symbolize_locations, NULL);
}
