/* The profile database (SQLite).  Schema documented in doc/schema.md and
 * versioned with PRAGMA user_version = DB_SCHEMA_VERSION.
 *
 * Writers batch rows in transactions (db_flush() commits the batch; the
 * tracer calls it periodically), so that a crash of the program or of
 * numamma leaves a database that opens with what was committed. */
#ifndef NUMAMMA_DB_H
#define NUMAMMA_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define DB_SCHEMA_VERSION 2

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
	int launcher_rank, launcher_size;   /* -1: not under a launcher / unknown */
	const char *job_id;                 /* NULL: none */
	/* The program's affinity and memory nodes at its start (the
	 * launcher's binding), as cpulists; NULL unknown. */
	const char *cpus_allowed, *mems_allowed;
};

/* Can a profile be created at path (outfile_check: a writable directory,
 * no link, no directory, no profile being written, none of inputs)?  0, or -1 after one
 * error line.
 * Nothing is touched: callers check before the program starts, and
 * create the database once it has. */
int db_check_creatable(const char *path, const char *const *inputs);
/* Creating: an existing regular file at path is renamed to path.old
 * first (said on stderr unless quiet), never destroyed; the new one is created
 * exclusively, 0600, and locked as being written until db_close().
 * Returns NULL after printing one error line. */
struct nm_db *db_create(const char *path, bool quiet);
/* SQLite's one-time set-up (its allocator, page cache, files' layer),
 * ahead of db_create(): while a launched program execs, not in its
 * exec's stop, where it waits for the profile (0.4 ms of each). */
void db_warm_up(void);
/* A profile db_create() made for a program that never ran (its exec
 * failed): closed and removed with its journal files, as if never made. */
void db_discard(struct nm_db *db);
/* Opening for reading; checks the schema version.  NULL + error line. */
struct nm_db *db_open(const char *path);
void db_close(struct nm_db *db);
/* Why the first write failed (the profile is then incomplete and every
 * later write skipped), or NULL. */
const char *db_write_error(const struct nm_db *db);

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
/* A thread's allocator calls, counted as callsite_totals counts them. */
struct db_thread_calls {
	uint64_t allocations, frees, bytes;
};
/* The thread ended at end_ns, having made calls; end_ns 0: it runs on at
 * the end of the run (its calls so far). */
void db_end_thread(struct nm_db *db, pid_t pid, pid_t tid, uint64_t end_ns,
		   const struct db_thread_calls *calls);
/* The threads no call was counted for: 0 calls (once, at the end). */
void db_threads_without_calls(struct nm_db *db);
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

/* How allocator calls were intercepted: "agent" or "trap", and how many
 * calls the agent could not record (runs.calls_lost). */
void db_set_intercept(struct nm_db *db, const char *how, uint64_t calls_lost);
/* Every allocator call of a call site in a process, counted whether or
 * not its objects have rows (callsite_id <= 0: calls without a stack). */
struct db_site_totals {
	int64_t callsite_id;
	pid_t pid;
	uint64_t allocations, frees, bytes, peak_live_bytes;
	uint64_t max_bytes;        /* the largest call's */
	uint64_t live_bytes;       /* not freed when the process ended */
};
void db_add_callsite_totals(struct nm_db *db, const struct db_site_totals *t);

/* Free-form key/value facts about the run (table meta). */
void db_set_meta(struct nm_db *db, const char *key, const char *value);

/* Commits the pending batch and opens the next one. */
void db_flush(struct nm_db *db);
/* For the status line: samples written so far, and rows written since
 * the last commit (what a crash of numamma now would lose). */
void db_counts(struct nm_db *db, uint64_t *samples, uint64_t *pending);
/* What the profile holds: its object rows and samples (the closing
 * summary says these, as `numamma report` will). */
void db_totals(const struct nm_db *db, uint64_t *objects, uint64_t *samples);

/* During the run: starts opening, in the background, the modules that
 * stored call stacks show, as they show them, for db_symbolize().  With
 * speculate, every module as it is mapped and libc from the start too:
 * a short program has ended before its first stack through a module is
 * stored, and the opening overlaps its run only where a cpu is spare. */
void db_symbolize_early(struct nm_db *db, bool speculate);
/* After the run: fill locations.function/func_offset/file/line from the
 * modules' symbols and DWARF, and build the aggregate tables from samples.
 * Both can be re-run: symbolisation retries what is still unknown and the
 * aggregates are dropped and rebuilt. */
void db_symbolize(struct nm_db *db);
void db_aggregate(struct nm_db *db);

/* --no-raw: the aggregates are built; every raw sample row goes, their
 * count kept in runs.samples_dropped. */
void db_drop_raw_samples(struct nm_db *db);

#endif
