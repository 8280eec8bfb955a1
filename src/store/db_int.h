/* Inside the store: the SQLite handle behind struct nm_db, for the files
 * of src/store/ (and the unit tests that check what they wrote).  Nothing
 * else includes this: the other layers go through db.h and profile.h. */
#ifndef NUMAMMA_DB_INT_H
#define NUMAMMA_DB_INT_H

#include <sqlite3.h>

#include "db.h"

/* The profile's schema (schema.c), and the empty profile the build made
 * of it (schema_image.S, by tools/schema-image.c): db_create() copies the
 * bytes. */
extern const char db_schema_sql[];
extern const unsigned char db_schema_image[], db_schema_image_end[];

sqlite3 *db_sqlite(struct nm_db *db);
const char *db_path(struct nm_db *db);
/* Prepares a statement the code itself wrote: dies on an SQL error,
 * which is a schema bug, not a bad file. */
sqlite3_stmt *db_prepare(struct nm_db *db, const char *sql);
/* Runs SQL the code itself wrote that changes the schema or the rows
 * (dies on an SQL error). */
void db_exec(struct nm_db *db, const char *sql);
/* Runs fn inside the writer's open batch or, on a database opened with
 * db_open(), inside a transaction of its own (one commit, not one per row). */
void db_transaction(struct nm_db *db, void (*fn)(struct nm_db *db, void *arg), void *arg);

/* A code location's name, its strings owned (NULL: unknown). */
struct db_location_name {
	char *function;
	uint64_t func_offset;
	char *file;
	int line;
	char *call_file;        /* inlined code: its function's line (symbolize.h) */
	int call_line;
	bool nameless;          /* its module has no name for it: not named later */
};

/* What the store tells the symbolizer (db_symbolize.c), which it does not
 * link with: opened(arg, path, module) with the file of each module (and
 * its build, modules.module) the first time a stored call stack shows
 * it, or as it is mapped with on_map (opened in the background then);
 * name(arg, path, module, offset, out) as a location's row is written,
 * which fills out only if that file is read by then and never waits for
 * it; free(arg) at db_close() unless db_new_module_arg() took arg back. */
struct db_module_hooks {
	void (*opened)(void *arg, const char *path, const char *module);
	/* A code location seen for the first time, to be named later. */
	void (*seen)(void *arg, const char *path, const char *module, uint64_t offset);
	void (*name)(void *arg, const char *path, const char *module, uint64_t offset,
		     struct db_location_name *out);
	void (*free)(void *arg);
};

void db_on_new_module(struct nm_db *db, const struct db_module_hooks *hooks, void *arg,
		      bool on_map);
/* Was location id written nameless (db_location_name.nameless)? */
bool db_location_nameless(const struct nm_db *db, int64_t id);
void *db_new_module_arg(struct nm_db *db);

/* Tables that db_aggregate() empties and fills again from samples, and
 * their indexes.  Created with the profile (the schema image): emptied,
 * never dropped and created again, since schema changes cost a run
 * 0.5 ms even with no sample at all. */
#define DB_AGGREGATE_SCHEMA \
	"CREATE TABLE object_thread(object_id INTEGER, pid INTEGER, tid INTEGER," \
	"  samples INTEGER, reads INTEGER, writes INTEGER, weight INTEGER);" \
	"CREATE TABLE object_page_thread(object_id INTEGER, page INTEGER, tid INTEGER, samples INTEGER);" \
	"CREATE TABLE object_node(object_id INTEGER, node INTEGER, samples INTEGER);" \
	"CREATE TABLE object_page_node(object_id INTEGER, page_node INTEGER, samples INTEGER);" \
	"CREATE TABLE thread_sharing(tid_a INTEGER, tid_b INTEGER, shared_pages INTEGER," \
	"  shared_lines INTEGER);" \
	"CREATE TABLE line_writers(address INTEGER, object_id INTEGER, writers INTEGER, tids TEXT);" \
	DB_AGGREGATE_INDEXES

#define DB_AGGREGATE_INDEXES \
	"CREATE INDEX IF NOT EXISTS object_thread_object ON object_thread(object_id);" \
	"CREATE INDEX IF NOT EXISTS object_page_thread_object ON object_page_thread(object_id);" \
	"CREATE INDEX IF NOT EXISTS line_writers_object ON line_writers(object_id);"

#define DB_AGGREGATE_EMPTY \
	"DELETE FROM object_thread;" \
	"DELETE FROM object_page_thread;" \
	"DELETE FROM object_node;" \
	"DELETE FROM object_page_node;" \
	"DELETE FROM thread_sharing;" \
	"DELETE FROM line_writers;"
/* The tables' rows as the writer feeds them (db_aggregate.c): every
 * sample it stores, as it stores it. */
struct db_aggregates;
struct db_aggregates *db_aggregates_new(void);
void db_aggregates_add(struct db_aggregates *a, const struct nm_sample *s);
void db_aggregates_free(struct db_aggregates *a);
/* Empties the tables and fills them, from fed (it must have been fed
 * every sample of the profile) or, NULL, from the samples table; in a
 * transaction of its own or in the writer's batch. */
void db_build_aggregates(struct nm_db *db, struct db_aggregates *fed);

#endif
