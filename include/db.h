/* The profile database (SQLite).  Schema documented in doc/schema.md and
 * versioned with PRAGMA user_version = DB_SCHEMA_VERSION.
 *
 * Writers batch rows in transactions (db_flush() commits the batch; the
 * tracer calls it periodically), so that a crash of the program or of
 * numamma leaves a database that opens with what was committed. */
#ifndef NUMAMMA_DB_H
#define NUMAMMA_DB_H

#include <stdint.h>
#include <sqlite3.h>

#include "model.h"

#define DB_SCHEMA_VERSION 1

struct nm_db;

struct nm_run_info {
	const char *command;      /* command line, shell-quoted */
	const char *mode;         /* "profile", "run" */
	const char *host, *kernel;
	const char *sampler;      /* sampler name or "none" */
	const char *sampler_reason; /* why it was chosen */
	uint64_t start_ns;        /* CLOCK_MONOTONIC */
	int64_t start_epoch;      /* wall clock, seconds */
	int call_depth;
	const struct nm_topology *topo;
};

/* Can a profile be created at path (its directory exists and is
 * writable, path is no directory)?  0, or -1 after one error line.
 * Nothing is touched: callers check before the program starts, and
 * create the database once it has. */
int db_check_creatable(const char *path);
/* Creating: an existing file at path is renamed to path.old first, never
 * destroyed.  Returns NULL after printing one error line. */
struct nm_db *db_create(const char *path);
/* Opening for reading; checks the schema version.  NULL + error line. */
struct nm_db *db_open(const char *path);
void db_close(struct nm_db *db);
sqlite3 *db_sqlite(struct nm_db *db);

int64_t db_begin_run(struct nm_db *db, const struct nm_run_info *info);
/* exit_status < 0 or term_signal != 0: no exit status (stored NULL);
 * term_signal 0: not killed by a signal. */
void db_end_run(struct nm_db *db, uint64_t end_ns, int exit_status, int term_signal);

void db_add_process(struct nm_db *db, pid_t pid, pid_t ppid, const char *exe, uint64_t start_ns);
/* The program a process runs, known at its exec. */
void db_set_process_exe(struct nm_db *db, pid_t pid, const char *exe);
void db_end_process(struct nm_db *db, pid_t pid, uint64_t end_ns, int exit_status, int term_signal);
/* rank: the thread's creation order within the run, given by the caller. */
void db_add_thread(struct nm_db *db, pid_t pid, pid_t tid, int rank, uint64_t start_ns);
void db_end_thread(struct nm_db *db, pid_t pid, pid_t tid, uint64_t end_ns);
/* A module mapped by pid: module is the frames' module key ("buildid:..."
 * or the path), path the file db_symbolize() reads. */
void db_add_module(struct nm_db *db, pid_t pid, const char *module, const char *path,
		   uint64_t start, uint64_t end, uint64_t bias);

/* Interns a call stack; identical stacks get the same id. frames[0] is the
 * allocator's caller. */
int64_t db_intern_callsite(struct nm_db *db, const struct nm_frame *frames, int n);

/* Objects carry their id, assigned by the caller (obj->id > 0). */
void db_add_object(struct nm_db *db, const struct nm_object *obj);
void db_free_object(struct nm_db *db, int64_t id, uint64_t free_ns);

void db_add_sample(struct nm_db *db, const struct nm_sample *s);
/* Sampler bookkeeping: records lost by the kernel, samples taken. */
void db_add_sampler_stat(struct nm_db *db, pid_t tid, const char *name, uint64_t value);

/* How allocator calls were intercepted: "agent" or "trap". */
void db_set_intercept(struct nm_db *db, const char *how);
/* Every allocator call of a call site in a process, counted whether or
 * not its objects have rows (callsite_id <= 0: calls without a stack). */
void db_add_callsite_totals(struct nm_db *db, int64_t callsite_id, pid_t pid, uint64_t allocations,
			    uint64_t frees, uint64_t bytes, uint64_t peak_live_bytes);

/* Free-form key/value facts about the run (e.g. "placement_moot"). */
void db_set_meta(struct nm_db *db, const char *key, const char *value);

/* Commits the pending batch and opens the next one. */
void db_flush(struct nm_db *db);

/* After the run: fill frames.function/func_offset/file/line from the
 * modules' symbols and DWARF, and build the aggregate tables from samples.
 * Both can be re-run: symbolisation retries what is still unknown and the
 * aggregates are dropped and rebuilt. */
void db_symbolize(struct nm_db *db);
void db_aggregate(struct nm_db *db);

/* Helpers for readers: run a query, die on SQL errors (a schema bug). */
sqlite3_stmt *db_prepare(struct nm_db *db, const char *sql);
void db_exec(struct nm_db *db, const char *sql);
/* Runs fn inside the writer's open batch or, on a database opened with
 * db_open(), inside a transaction of its own (one commit, not one per row). */
void db_transaction(struct nm_db *db, void (*fn)(struct nm_db *db, void *arg), void *arg);

#endif
