/* The profile database: schema, writers and the aggregate tables.
 *
 * Durability: WAL while recording, so that readers of a live profile and
 * its writer never wait for each other.  Each db_flush() commits, so
 * whatever the tracer committed survives a crash of the program or of
 * numamma (the next opener replays the WAL), and a closed profile is
 * switched back to one plain file (journal_mode DELETE) that the sqlite3
 * shell reads anywhere.  synchronous=OFF: a commit is in the kernel's
 * hands when write() returns, which is all a crash of a process needs;
 * waiting for the disk (a dozen fdatasyncs of 1-9 ms each, creating and
 * closing a profile) would only guard a profile against the machine's
 * own crash, and it cost every short run 40 ms. */
#include <errno.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_int.h"
#include "error.h"
#include "hash.h"
#include "outfile.h"
#include "u64map.h"

#define SAMPLE_INSERT "INSERT INTO samples(time_ns, pid, tid, cpu, node, address, ip, access," \
		      " weight, level, hops, snoop_hitm, tlb_miss, object_id, page_node, phys_addr," \
		      " resolution, forward_steps) VALUES "
#define SAMPLE_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define SAMPLE_COLUMNS 18
#define OBJECT_INSERT "INSERT INTO objects(id, pid, tid, kind, address, size, alloc_ns, free_ns," \
		      " callsite_id, name) VALUES "
#define OBJECT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define OBJECT_COLUMNS 10
#define TOTALS_INSERT "INSERT INTO callsite_totals(callsite_id, pid, allocations, frees, bytes," \
		      " peak_live_bytes, max_bytes, live_bytes) VALUES "
#define TOTALS_ROW "(?, ?, ?, ?, ?, ?, ?, ?)"
#define TOTALS_COLUMNS 8
#define CALLSITE_INSERT "INSERT INTO callsites(id, frames, hash) VALUES "
#define LOCATION_INSERT "INSERT INTO locations(id, module, offset, function, func_offset, file," \
			" line, call_file, call_line) VALUES "
#define LOCATION_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define LOCATION_COLUMNS 9
#define ID_ROW "(?, ?, ?)"
#define ID_COLUMNS 3
/* Samples and objects are written BATCH rows per statement: one step of a
 * multi-row INSERT costs SQLite far less than as many single-row ones,
 * which is most of what storing a sample, or a block's row, costs. */
#define BATCH 64

/* Writers' hot statements, prepared once and reused. */
enum db_stmt {
	ST_PROCESS, ST_END_PROCESS, ST_THREAD, ST_END_THREAD, ST_MODULE,
	ST_CALLSITE, ST_LOCATION, ST_OBJECT, ST_FREE, ST_SAMPLE,
	ST_SAMPLER_STAT, ST_META, ST_TOTALS, ST_PROCESS_EXE,
	NR_STMTS
};

static const char *const stmt_sql[NR_STMTS] = {
	[ST_PROCESS] = "INSERT INTO processes(pid, ppid, exe, start_ns) VALUES (?, ?, ?, ?)",
	[ST_END_PROCESS] = "UPDATE processes SET end_ns = ?, exit_status = ?, term_signal = ?"
			   " WHERE pid = ? AND end_ns IS NULL",
	[ST_THREAD] = "INSERT INTO threads(pid, tid, rank, start_ns) VALUES (?, ?, ?, ?)",
	/* Added to what the row has: calls read after the thread's end (a
	 * record of the shared ring behind another thread's, unfilled) come
	 * to it at the end of the run.  The newest row of the tid's. */
	[ST_END_THREAD] = "UPDATE threads SET end_ns = coalesce(end_ns, ?),"
			  " allocations = coalesce(allocations, 0) + ?, frees = coalesce(frees, 0) + ?,"
			  " bytes = coalesce(bytes, 0) + ?"
			  " WHERE rowid = (SELECT max(rowid) FROM threads WHERE pid = ? AND tid = ?)",
	[ST_MODULE] = "INSERT INTO modules(pid, module, path, start, end, bias) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_CALLSITE] = CALLSITE_INSERT ID_ROW,
	[ST_LOCATION] = LOCATION_INSERT LOCATION_ROW,
	[ST_OBJECT] = OBJECT_INSERT OBJECT_ROW,
	[ST_FREE] = "UPDATE objects SET free_ns = ? WHERE id = ?",
	[ST_SAMPLE] = SAMPLE_INSERT SAMPLE_ROW,
	[ST_SAMPLER_STAT] = "INSERT INTO sampler_stats(tid, name, value) VALUES (?, ?, ?)",
	[ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
	[ST_TOTALS] = TOTALS_INSERT TOTALS_ROW,
	[ST_PROCESS_EXE] = "UPDATE processes SET exe = ? WHERE rowid = "
			   "(SELECT max(rowid) FROM processes WHERE pid = ?)",
};

/* Interned call stacks and code locations: FNV-1a hash of the (module,
 * offset) list, or of one (module, offset) -> id, open addressing.  Two
 * different stacks with the same 64-bit hash would share an id; at a
 * million stacks the odds are about 1 in 30 million, which is cheaper to
 * accept than keeping every stack in memory. */
struct interned_slot {
	uint64_t hash;
	int64_t id;             /* 0: empty slot */
};

struct interned_table {
	struct interned_slot *slots;
	size_t cap, used;       /* cap is a power of two */
};

struct nm_db {
	sqlite3 *sql;
	char *path;
	int64_t run_id;
	sqlite3_stmt *stmts[NR_STMTS];
	struct interned_table callsites;
	struct interned_table locations;
	/* db_on_new_module()'s callbacks, and the modules they were told of
	 * (by the hash of their names); on_map: told as they are mapped. */
	struct db_module_hooks module_hooks;
	void *module_arg;
	bool open_on_map;
	struct u64map modules_seen;
	sqlite3_stmt *sample_batch;     /* BATCH rows */
	struct nm_sample pending[BATCH];
	int npending;
	sqlite3_stmt *object_batch;
	struct nm_object pending_objects[BATCH];
	int npending_objects;
	/* Stacks and code locations, numbered here (a row's id is known at
	 * once), written BATCH at a time: gcc has 6,500 and 5,000. */
	sqlite3_stmt *callsite_batch, *location_batch;
	struct id_row {
		int64_t id, number;     /* hash */
		char *text;             /* frames, owned */
	} pending_callsites[BATCH];
	struct location_row {
		int64_t id, offset;
		char *module, *path;    /* owned */
		struct db_location_name name;   /* filled when written, if known */
	} pending_locations[BATCH];
	int npending_callsites, npending_locations;
	/* Locations written nameless, by id: a bit each. */
	uint64_t *nameless;
	size_t nameless_words;
	sqlite3_stmt *totals_batch;
	struct db_site_totals pending_totals[BATCH];
	int npending_totals;
	int lock_fd;            /* a profile being written: outfile_create() */
	char *write_error;      /* the first write that failed; NULL: none */
	uint64_t samples;       /* samples handed to db_add_sample() */
	uint64_t objects;       /* rows handed to db_add_object() */
	struct db_aggregates *aggregates;  /* fed them; NULL: not the writer */
	int64_t committed;      /* sqlite3_total_changes64() at the last commit */
};

static void write_pending(struct nm_db *db);
static void write_id_rows(struct nm_db *db, struct id_row *v, int *n, sqlite3_stmt **batch,
			  const char *insert, enum db_stmt single);
static void write_location_rows(struct nm_db *db);
static void free_location_row(struct location_row *r);

/* How long a statement waits for another connection's lock. */
#define BUSY_TIMEOUT_MS 10000
/* How long opening a profile may spend checking its pages. */
#define INTEGRITY_BUDGET_NS (2000ULL * 1000 * 1000)


sqlite3 *db_sqlite(struct nm_db *db)
{
	return db->sql;
}

const char *db_path(struct nm_db *db)
{
	return db->path;
}

sqlite3_stmt *db_prepare(struct nm_db *db, const char *sql)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &stmt, NULL) != SQLITE_OK)
		die("%s: cannot prepare '%s': %s", db->path, sql, sqlite3_errmsg(db->sql));
	return stmt;
}

void db_exec(struct nm_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", db->path, msg ? msg : sqlite3_errmsg(db->sql));
}

/* The cached statement id, reset and ready for binding. */
static sqlite3_stmt *stmt(struct nm_db *db, enum db_stmt id)
{
	if (!db->stmts[id])
		db->stmts[id] = db_prepare(db, stmt_sql[id]);
	return db->stmts[id];
}

/* A write that fails (disk full, I/O error, a lock held past the busy
 * timeout) must not harm the program: the first failure is kept, every
 * later write is skipped, and the session sees db_write_error() and lets
 * the program go. */
static void write_failed(struct nm_db *db)
{
	if (!db->write_error)
		db->write_error = xstrdup(sqlite3_errmsg(db->sql));
}

const char *db_write_error(const struct nm_db *db)
{
	return db->write_error;
}

/* Runs a bound write statement to completion and readies it for reuse. */
static void step_done(struct nm_db *db, sqlite3_stmt *st)
{
	if (!db->write_error && sqlite3_step(st) != SQLITE_DONE)
		write_failed(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* db_exec() for the writer's own statements: a failure is kept, not fatal. */
static void write_exec(struct nm_db *db, const char *sql)
{
	if (!db->write_error && sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		write_failed(db);
}

/* Binders; the _known variants store NULL for the model's "unknown". */
static void bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

static void bind_int_known(sqlite3_stmt *st, int i, int64_t v, int known)
{
	if (known)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* The statement is stepped before the caller's string can change. */
static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void free_db(struct nm_db *db)
{
	for (int i = 0; i < NR_STMTS; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_finalize(db->sample_batch);
	sqlite3_finalize(db->object_batch);
	sqlite3_finalize(db->totals_batch);
	sqlite3_finalize(db->callsite_batch);
	sqlite3_finalize(db->location_batch);
	for (int i = 0; i < db->npending_callsites; i++)
		free(db->pending_callsites[i].text);
	for (int i = 0; i < db->npending_locations; i++)
		free_location_row(&db->pending_locations[i]);
	if (db->module_hooks.free)
		db->module_hooks.free(db->module_arg);
	u64map_free(&db->modules_seen);
	sqlite3_close(db->sql);
	free(db->callsites.slots);
	free(db->locations.slots);
	free(db->nameless);
	free(db->write_error);
	free(db->path);
	db_aggregates_free(db->aggregates);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db);
}

static struct nm_db *new_db(const char *path)
{
	struct nm_db *db = xcalloc(1, sizeof(*db));

	db->path = xstrdup(path);
	db->lock_fd = -1;
	return db;
}

int db_check_creatable(const char *path, const char *const *inputs)
{
	return outfile_check(path, inputs);
}

/* The empty profile, schema and version in place, into the new file. */
static int write_image(int fd)
{
	const unsigned char *p = db_schema_image;

	while (p < db_schema_image_end) {
		ssize_t n = write(fd, p, (size_t)(db_schema_image_end - p));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (errno = ENOSPC, -1);
		p += n;
	}
	return 0;
}

/* A profile that could not be set up goes, with the WAL SQLite may have
 * made before failing (outfile_check() refuses a path whose WAL is
 * there: this one is ours; a -shm may be a reader's of the previous
 * profile, and stays). */
static void remove_created(const char *path)
{
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);

	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	unlink(path);
}

void db_warm_up(void)
{
	sqlite3_initialize();
}

void db_discard(struct nm_db *db)
{
	char *path = xstrdup(db->path);

	free_db(db);
	remove_created(path);
	free(path);
}

struct nm_db *db_create(const char *path, bool quiet)
{
	struct nm_db *db;
	int fd;

	if (outfile_check(path, NULL) < 0 || outfile_keep_previous(path, quiet) < 0)
		return NULL;
	fd = outfile_create(path);
	if (fd < 0)
		return NULL;
	if (write_image(fd) < 0) {
		error_errno("cannot write '%s'", path);
		close(fd);
		unlink(path);
		return NULL;
	}
	db = new_db(path);
	db->lock_fd = fd;
	db->aggregates = db_aggregates_new();
	/* WAL: readers (numamma report, sqlite3) of a live profile never
	 * block its writer, nor the writer them.  SQLite's 2 MiB page cache:
	 * rows are appended, a cache grows to its size before it reuses a
	 * page, and on this kind of VM each fresh page costs 10-15 us: the
	 * 16 MiB cache of before was 11 of numamma's 28 MiB in a malloc
	 * storm, whose run it slowed by 5-15% (its ingest no faster).  The
	 * WAL's two files are opened here: out of descriptors, the profile is
	 * not written and the program runs on. */
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db->sql, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(db->sql, "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL; BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		error("cannot create '%s': %s", path, sqlite3_errmsg(db->sql));
		free_db(db);
		remove_created(path);
		return NULL;
	}
	db_flush(db);
	return db;
}

/* The profile's schema version (PRAGMA user_version); -1 with why when
 * the file is not a SQLite database at all. */
static int schema_version(struct nm_db *db, const char **why)
{
	sqlite3_stmt *st;
	int version = -1;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		*why = sqlite3_errmsg(db->sql);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else
		*why = sqlite3_errmsg(db->sql);
	sqlite3_finalize(st);
	return version;
}

/* Another program's SQLite file may carry any user_version: a profile
 * of any version has these tables. */
static bool has_profile_tables(struct nm_db *db)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name IN ('runs', 'processes', 'threads', 'objects', 'callsites',"
			       " 'samples', 'meta')", -1, &st, NULL) != SQLITE_OK)
		return false;
	ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 7;
	sqlite3_finalize(st);
	return ok;
}

/* One line: quick_check's answer spans several. */
static void damaged(const struct nm_db *db, const char *what)
{
	char *line = xstrdup(what);

	for (char *p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	error("'%s': damaged profile: %s", db->path, line);
	free(line);
}

/* Stops a quick_check that has run past its time budget. */
static int past_deadline(void *deadline)
{
	return now_ns() > *(uint64_t *)deadline;
}

/* A damaged page must be refused, not read as missing rows.  The check
 * reads every page: on a profile too large to check within
 * INTEGRITY_BUDGET_NS it is cut short, and reading goes on (each query
 * still fails on what it finds damaged). */
static int check_integrity(struct nm_db *db)
{
	uint64_t deadline = now_ns() + INTEGRITY_BUDGET_NS;
	sqlite3_stmt *st;
	int rc, ok;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
		return error("'%s': damaged profile: %s", db->path, sqlite3_errmsg(db->sql));
	sqlite3_progress_handler(db->sql, 10000, past_deadline, &deadline);
	rc = sqlite3_step(st);
	ok = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_progress_handler(db->sql, 0, NULL, NULL);
	if (!ok && rc != SQLITE_INTERRUPT)
		damaged(db, rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) :
			sqlite3_errmsg(db->sql));
	sqlite3_finalize(st);
	return ok || rc == SQLITE_INTERRUPT ? 0 : -1;
}

struct nm_db *db_open(const char *path)
{
	const char *why = NULL;
	struct nm_db *db;
	int version;

	/* sqlite would report a missing file as "unable to open database
	 * file"; strerror says it better. */
	if (access(path, R_OK) < 0) {
		error_errno("cannot open '%s'", path);
		return NULL;
	}
	db = new_db(path);
	/* Read-write even for readers: a crashed writer's hot journal can
	 * only be rolled back by a writer.  Write-protected files still
	 * open, read-only. */
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		error("cannot open '%s': %s", path, sqlite3_errmsg(db->sql));
		goto fail;
	}
	sqlite3_busy_timeout(db->sql, BUSY_TIMEOUT_MS);
	version = schema_version(db, &why);
	if (version < 0 && why) {
		error("'%s': not a numamma profile: %s", path, why);
		goto fail;
	}
	if (version <= 0) {
		error("'%s': not a numamma profile", path);
		goto fail;
	}
	if (version > DB_SCHEMA_VERSION) {
		error("'%s': newer schema (version %d): this numamma reads version %d",
		      path, version, DB_SCHEMA_VERSION);
		hint("read it with the numamma that wrote it, or a newer one");
		goto fail;
	}
	if (check_integrity(db) < 0)
		goto fail;
	if (!has_profile_tables(db)) {
		error("'%s': not a numamma profile (no numamma tables)", path);
		goto fail;
	}
	if (version != DB_SCHEMA_VERSION) {
		error("'%s': profile schema version %d, this numamma reads version %d",
		      path, version, DB_SCHEMA_VERSION);
		hint("read it with the numamma that wrote it");
		goto fail;
	}
	return db;
fail:
	free_db(db);
	return NULL;
}

void db_flush(struct nm_db *db)
{
	write_pending(db);
	write_exec(db, "COMMIT; BEGIN");
	db->committed = sqlite3_total_changes64(db->sql);
}

void db_counts(struct nm_db *db, uint64_t *samples, uint64_t *pending)
{
	*samples = db->samples;
	*pending = (uint64_t)(sqlite3_total_changes64(db->sql) - db->committed) + db->npending +
		   db->npending_objects + db->npending_totals + db->npending_callsites +
		   db->npending_locations;
}

void db_totals(const struct nm_db *db, uint64_t *objects, uint64_t *samples)
{
	*objects = db->objects;
	*samples = db->samples;
}

void db_close(struct nm_db *db)
{
	if (!db)
		return;
	write_pending(db);
	if (!sqlite3_get_autocommit(db->sql))
		write_exec(db, "COMMIT");
	/* Back to one plain file for whoever reads it next; a reader still
	 * holding it open keeps it in WAL mode, which readers handle too. */
	if (db->lock_fd >= 0)
		sqlite3_exec(db->sql, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	free_db(db);
}

void db_transaction(struct nm_db *db, void (*fn)(struct nm_db *db, void *arg), void *arg)
{
	int own = sqlite3_get_autocommit(db->sql);

	if (own)
		db_exec(db, "BEGIN");
	write_pending(db);      /* fn reads what it must see */
	fn(db, arg);
	if (own)
		db_exec(db, "COMMIT");
}

/* "0-3,8,10-11": the cpus of node, as sysfs prints cpulists. */
static char *node_cpulist(const struct nm_topology *t, int node)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int cpu = 0; cpu < t->nr_cpus; cpu++) {
		int last = cpu;

		if (t->cpu_node[cpu] != node)
			continue;
		while (last + 1 < t->nr_cpus && t->cpu_node[last + 1] == node)
			last++;
		fprintf(f, "%s%d", ftell(f) ? "," : "", cpu);
		if (last > cpu)
			fprintf(f, "-%d", last);
		cpu = last;
	}
	fclose(f);
	return buf;
}

static int node_id(const struct nm_topology *t, int index)
{
	return t->node_ids ? t->node_ids[index] : index;
}

/* runs.cpu_nodes "cpu:node,..." and runs.distances, row-major. */
static void topology_strings(const struct nm_topology *t, char **cpu_nodes, char **distances)
{
	size_t len;
	FILE *f = open_memstream(cpu_nodes, &len);

	for (int cpu = 0; cpu < t->nr_cpus; cpu++)
		fprintf(f, "%s%d:%d", cpu ? "," : "", cpu, t->cpu_node[cpu]);
	fclose(f);
	f = open_memstream(distances, &len);
	for (int i = 0; i < t->nr_nodes * t->nr_nodes; i++)
		fprintf(f, "%s%d", i ? " " : "", t->distance[i]);
	fclose(f);
}

static void add_topology(struct nm_db *db, const struct nm_topology *t)
{
	sqlite3_stmt *nodes = db_prepare(db, "INSERT INTO nodes(node, cpus) VALUES (?, ?)");
	sqlite3_stmt *dist = db_prepare(db, "INSERT INTO node_distance(from_node, to_node, distance)"
					" VALUES (?, ?, ?)");

	for (int i = 0; i < t->nr_nodes; i++) {
		char *cpus = node_cpulist(t, node_id(t, i));

		bind_int(nodes, 1, node_id(t, i));
		bind_text(nodes, 2, cpus);
		step_done(db, nodes);
		free(cpus);
		for (int j = 0; t->distance && j < t->nr_nodes; j++) {
			bind_int(dist, 1, node_id(t, i));
			bind_int(dist, 2, node_id(t, j));
			bind_int(dist, 3, t->distance[i * t->nr_nodes + j]);
			step_done(db, dist);
		}
	}
	sqlite3_finalize(nodes);
	sqlite3_finalize(dist);
}

int64_t db_begin_run(struct nm_db *db, const struct nm_run_info *info)
{
	const struct nm_topology *t = info->topo;
	char *cpu_nodes = NULL, *distances = NULL;
	sqlite3_stmt *st = db_prepare(db,
		"INSERT INTO runs(command, mode, host, kernel, start_ns, start_epoch, sampler,"
		" sampler_reason, call_depth, nr_nodes, nr_cpus, cpu_nodes, distances,"
		" launcher_rank, launcher_size, job_id, cpus_allowed, mems_allowed)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (t && t->cpu_node && t->distance)
		topology_strings(t, &cpu_nodes, &distances);
	bind_text(st, 1, info->command);
	bind_text(st, 2, info->mode);
	bind_text(st, 3, info->host);
	bind_text(st, 4, info->kernel);
	bind_int(st, 5, info->start_ns);
	bind_int(st, 6, info->start_epoch);
	bind_text(st, 7, info->sampler);
	bind_text(st, 8, info->sampler_reason);
	bind_int(st, 9, info->call_depth);
	bind_int_known(st, 10, t ? t->nr_nodes : 0, t != NULL);
	bind_int_known(st, 11, t ? t->nr_cpus : 0, t != NULL);
	bind_text(st, 12, cpu_nodes);
	bind_text(st, 13, distances);
	bind_int_known(st, 14, info->launcher_rank, info->launcher_rank >= 0);
	bind_int_known(st, 15, info->launcher_size, info->launcher_size >= 0);
	bind_text(st, 16, info->job_id);
	bind_text(st, 17, info->cpus_allowed);
	bind_text(st, 18, info->mems_allowed);
	step_done(db, st);
	sqlite3_finalize(st);
	free(cpu_nodes);
	free(distances);
	db->run_id = sqlite3_last_insert_rowid(db->sql);
	if (t && t->cpu_node)
		add_topology(db, t);
	return db->run_id;
}

void db_end_run(struct nm_db *db, uint64_t end_ns, int exit_status, int term_signal)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE runs SET end_ns = ?, exit_status = ?,"
				      " term_signal = ? WHERE id = ?");

	bind_int(st, 1, end_ns);
	bind_int_known(st, 2, exit_status, exit_status >= 0 && !term_signal);
	bind_int_known(st, 3, term_signal, term_signal);
	bind_int(st, 4, db->run_id);
	step_done(db, st);
	sqlite3_finalize(st);
}

void db_add_process(struct nm_db *db, pid_t pid, pid_t ppid, const char *exe, uint64_t start_ns)
{
	sqlite3_stmt *st = stmt(db, ST_PROCESS);

	bind_int(st, 1, pid);
	bind_int_known(st, 2, ppid, ppid > 0);
	bind_text(st, 3, exe);
	bind_int(st, 4, start_ns);
	step_done(db, st);
}

void db_end_process(struct nm_db *db, pid_t pid, uint64_t end_ns, int exit_status, int term_signal)
{
	sqlite3_stmt *st = stmt(db, ST_END_PROCESS);

	bind_int(st, 1, end_ns);
	bind_int_known(st, 2, exit_status, exit_status >= 0 && !term_signal);
	bind_int_known(st, 3, term_signal, term_signal);
	bind_int(st, 4, pid);
	step_done(db, st);
}

void db_set_process_exe(struct nm_db *db, pid_t pid, const char *exe)
{
	sqlite3_stmt *st = stmt(db, ST_PROCESS_EXE);

	sqlite3_bind_text(st, 1, exe, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, pid);
	step_done(db, st);
}

void db_add_thread(struct nm_db *db, pid_t pid, pid_t tid, int rank, uint64_t start_ns)
{
	sqlite3_stmt *st = stmt(db, ST_THREAD);

	bind_int(st, 1, pid);
	bind_int(st, 2, tid);
	bind_int(st, 3, rank);
	bind_int(st, 4, start_ns);
	step_done(db, st);
}

void db_end_thread(struct nm_db *db, pid_t pid, pid_t tid, uint64_t end_ns,
		   const struct db_thread_calls *calls)
{
	sqlite3_stmt *st = stmt(db, ST_END_THREAD);

	bind_int_known(st, 1, end_ns, end_ns != 0);
	bind_int(st, 2, calls->allocations);
	bind_int(st, 3, calls->frees);
	bind_int(st, 4, calls->bytes);
	bind_int(st, 5, pid);
	bind_int(st, 6, tid);
	step_done(db, st);
}

void db_threads_without_calls(struct nm_db *db)
{
	write_exec(db, "UPDATE threads SET allocations = 0, frees = 0, bytes = 0"
		       " WHERE allocations IS NULL");
}

static void note_module(struct nm_db *db, uint64_t module_key, const char *path,
			const char *module);

void db_add_module(struct nm_db *db, pid_t pid, const char *module, const char *path,
		   uint64_t start, uint64_t end, uint64_t bias)
{
	sqlite3_stmt *st = stmt(db, ST_MODULE);

	bind_int(st, 1, pid);
	bind_text(st, 2, module);
	bind_text(st, 3, path);
	bind_int(st, 4, start);
	bind_int(st, 5, end);
	bind_int(st, 6, bias);
	step_done(db, st);
	if (db->open_on_map)
		note_module(db, hash_module_name(module), path, module);
}

/* Hashes what identifies a frame across runs: module and offset, not
 * ip.  The module's name is hashed once (nm_frame.module_key) when the
 * frame's maker knows it. */
static uint64_t module_key(const struct nm_frame *frame)
{
	return frame->module_key ? frame->module_key
				 : hash_module_name(frame->module ? frame->module : "");
}

static uint64_t frame_hash(uint64_t h, const struct nm_frame *frame)
{
	uint64_t words[2] = { module_key(frame), frame->offset };

	return hash_bytes(h, words, sizeof(words));
}

static uint64_t callsite_hash(const struct nm_frame *frames, int n)
{
	uint64_t h = HASH_SEED;

	for (int i = 0; i < n; i++)
		h = frame_hash(h, &frames[i]);
	return h;
}

static struct interned_slot *interned_slot(struct interned_table *t, uint64_t hash)
{
	size_t i = hash & (t->cap - 1);

	while (t->slots[i].id && t->slots[i].hash != hash)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

/* Keeps the table at most half full, so probes stay short. */
static void interned_reserve(struct interned_table *t)
{
	struct interned_table bigger;

	if (2 * (t->used + 1) <= t->cap)
		return;
	bigger.cap = t->cap ? 2 * t->cap : 1024;
	bigger.used = t->used;
	bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].id)
			*interned_slot(&bigger, t->slots[i].hash) = t->slots[i];
	free(t->slots);
	*t = bigger;
}

void db_on_new_module(struct nm_db *db, const struct db_module_hooks *hooks, void *arg,
		      bool on_map)
{
	db->module_hooks = *hooks;
	db->module_arg = arg;
	db->open_on_map = on_map;
}

void *db_new_module_arg(struct nm_db *db)
{
	void *arg = db->module_arg;

	db->module_hooks = (struct db_module_hooks){ 0 };
	db->module_arg = NULL;
	return arg;
}

/* Tells db_on_new_module()'s callback of a module, the first time. */
static void note_module(struct nm_db *db, uint64_t module_key, const char *path,
			const char *module)
{
	uint64_t key = module_key >> 1 | 1;     /* not 0 nor ~0 */

	if (!db->module_hooks.opened || !path || path[0] != '/' ||
	    u64map_find(&db->modules_seen, key))
		return;
	u64map_put(&db->modules_seen, key, 0, 0);
	db->module_hooks.opened(db->module_arg, path, module);
}

/* *st, the statement inserting n rows, its SQL built once. */
static sqlite3_stmt *rows_stmt(struct nm_db *db, sqlite3_stmt **st, const char *insert,
			       const char *row, int n)
{
	if (!*st) {
		char *sql = xmalloc(strlen(insert) + n * (strlen(row) + 2) + 1);
		char *p = stpcpy(sql, insert);

		for (int i = 0; i < n; i++)
			p = stpcpy(stpcpy(p, i ? ", " : ""), row);
		*st = db_prepare(db, sql);
		free(sql);
	}
	return *st;
}

/* The id of a code location, its row inserted the first time it is seen:
 * a stack's frames refer to it, and it is named once (when its row is
 * written if its module is read by then, else after the run), not once
 * per stack that passes through it. */
static int64_t intern_location(struct nm_db *db, const struct nm_frame *frame)
{
	uint64_t hash = frame_hash(HASH_SEED, frame);
	struct interned_slot *slot;

	interned_reserve(&db->locations);
	slot = interned_slot(&db->locations, hash);
	if (slot->id)
		return slot->id;
	slot->hash = hash;
	slot->id = (int64_t)++db->locations.used;
	db->pending_locations[db->npending_locations++] = (struct location_row){
		.id = slot->id, .offset = (int64_t)frame->offset,
		.module = frame->module ? xstrdup(frame->module) : NULL,
		.path = frame->path && frame->path[0] == '/' ? xstrdup(frame->path) : NULL };
	if (db->module_hooks.seen && frame->path && frame->path[0] == '/')
		db->module_hooks.seen(db->module_arg, frame->path, frame->module, frame->offset);
	if (db->npending_locations == BATCH)
		write_location_rows(db);
	return slot->id;
}

/* v in decimal at p; returns the end. */
static char *decimal(char *p, uint64_t v)
{
	char digits[20];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = digits[--n];
	return p;
}

/* A stack is one row: its frames are the JSON list of their locations
 * (callsite_frames unpacks it), not a row each; rows, not bytes, are
 * what SQLite charges for (gcc: 6,000 stacks of 15 frames). */
static int64_t insert_callsite(struct nm_db *db, uint64_t hash, const struct nm_frame *frames, int n)
{
	char list[NM_MAX_FRAMES * 21 + 3], *p = list;
	int64_t id = (int64_t)db->callsites.used + 1;

	*p++ = '[';
	for (int depth = 0; depth < n; depth++) {
		if (depth)
			*p++ = ',';
		p = decimal(p, (uint64_t)intern_location(db, &frames[depth]));
	}
	strcpy(p, "]");
	for (int depth = 0; depth < n; depth++)
		if (frames[depth].module)
			note_module(db, module_key(&frames[depth]), frames[depth].path,
				    frames[depth].module);
	/* The hash is stored as the signed 64-bit integer sqlite holds. */
	db->pending_callsites[db->npending_callsites++] = (struct id_row){ id, (int64_t)hash,
									   xstrdup(list) };
	if (db->npending_callsites == BATCH)
		write_id_rows(db, db->pending_callsites, &db->npending_callsites,
			      &db->callsite_batch, CALLSITE_INSERT, ST_CALLSITE);
	return id;
}

int64_t db_intern_callsite(struct nm_db *db, const struct nm_frame *frames, int n)
{
	uint64_t hash;
	struct interned_slot *slot;

	if (n <= 0)
		return 0;
	hash = callsite_hash(frames, n);
	interned_reserve(&db->callsites);
	slot = interned_slot(&db->callsites, hash);
	if (!slot->id) {
		slot->hash = hash;
		slot->id = insert_callsite(db, hash, frames, n);
		db->callsites.used++;
	}
	return slot->id;
}

/* Binds obj as the row of st whose first parameter is first. */
static void bind_object(sqlite3_stmt *st, int first, const struct nm_object *obj)
{
	int i = first;

	bind_int(st, i++, obj->id);
	bind_int(st, i++, obj->pid);
	bind_int(st, i++, obj->tid);
	bind_text(st, i++, obj_kind_name(obj->kind));
	bind_int(st, i++, obj->addr);
	bind_int(st, i++, obj->size);
	bind_int(st, i++, obj->alloc_ns);
	bind_int_known(st, i++, obj->free_ns, obj->free_ns);
	bind_int_known(st, i++, obj->callsite_id, obj->callsite_id);
	bind_text(st, i++, obj->name);
}

/* Held until a batch is full, or until anything commits, reads or updates
 * the objects: its name must live until then (objtrack's interned ones
 * do). */
void db_add_object(struct nm_db *db, const struct nm_object *obj)
{
	db->objects++;
	db->pending_objects[db->npending_objects++] = *obj;
	if (db->npending_objects == BATCH)
		write_pending(db);
}

void db_free_object(struct nm_db *db, int64_t id, uint64_t free_ns)
{
	sqlite3_stmt *st;

	write_pending(db);              /* its row may be among them */
	st = stmt(db, ST_FREE);

	bind_int(st, 1, free_ns);
	bind_int(st, 2, id);
	step_done(db, st);
}

/* Binds sample s, one of db->pending, as the row of st whose first
 * parameter is first. */
static void bind_sample(sqlite3_stmt *st, int first, const struct nm_sample *s)
{
	int i = first;

	bind_int(st, i++, s->time_ns);
	bind_int(st, i++, s->pid);
	bind_int(st, i++, s->tid);
	bind_int_known(st, i++, s->cpu, s->cpu >= 0);
	bind_int_known(st, i++, s->node, s->node >= 0);
	bind_int_known(st, i++, s->addr, s->addr);
	bind_int_known(st, i++, s->ip, s->ip);
	sqlite3_bind_text(st, i++, &s->access, 1, SQLITE_STATIC);
	bind_int(st, i++, s->weight);
	bind_text(st, i++, s->level == LVL_UNKNOWN ? NULL : mem_level_name(s->level));
	bind_int_known(st, i++, s->hops, s->hops >= 0);
	bind_int_known(st, i++, s->snoop_hitm, s->snoop_hitm >= 0);
	bind_int_known(st, i++, s->tlb_miss, s->tlb_miss >= 0);
	bind_int_known(st, i++, s->object_id, s->object_id);
	bind_int_known(st, i++, s->page_node, s->page_node >= 0);
	bind_int_known(st, i++, s->phys_addr, s->phys_addr);
	bind_text(st, i++, s->resolution);
	bind_int_known(st, i++, s->forward_steps, s->forward_steps > 0);
}


/* n held rows of size bytes from v: a full batch in one step of multi,
 * fewer one by one with single.  Every parameter is bound each time, so
 * the statements need no clearing. */
static void write_rows(struct nm_db *db, const void *v, int n, size_t size, int columns,
		       sqlite3_stmt *multi, enum db_stmt single,
		       void (*bind)(sqlite3_stmt *st, int first, const void *row))
{
	sqlite3_stmt *st;

	if (n == BATCH) {
		for (int i = 0; i < BATCH; i++)
			bind(multi, 1 + i * columns, (const char *)v + i * size);
		if (!db->write_error && sqlite3_step(multi) != SQLITE_DONE)
			write_failed(db);
		sqlite3_reset(multi);
		return;
	}
	for (int i = 0; i < n; i++) {
		st = stmt(db, single);
		bind(st, 1, (const char *)v + i * size);
		step_done(db, st);
	}
}

static void bind_sample_row(sqlite3_stmt *st, int first, const void *row)
{
	bind_sample(st, first, row);
}

static void bind_object_row(sqlite3_stmt *st, int first, const void *row)
{
	bind_object(st, first, row);
}

static void bind_id_row(sqlite3_stmt *st, int first, const void *row)
{
	const struct id_row *r = row;

	bind_int(st, first, r->id);
	bind_text(st, first + 1, r->text);
	bind_int(st, first + 2, r->number);
}

/* The held rows of ids, then their texts freed. */
static void write_id_rows(struct nm_db *db, struct id_row *v, int *n, sqlite3_stmt **batch,
			  const char *insert, enum db_stmt single)
{
	if (!*n)
		return;
	write_rows(db, v, *n, sizeof(*v), ID_COLUMNS, rows_stmt(db, batch, insert, ID_ROW, BATCH),
		   single, bind_id_row);
	for (int i = 0; i < *n; i++)
		free(v[i].text);
	*n = 0;
}

static void bind_location_row(sqlite3_stmt *st, int first, const void *row)
{
	const struct location_row *r = row;

	bind_int(st, first, r->id);
	bind_text(st, first + 1, r->module);
	bind_int(st, first + 2, r->offset);
	bind_text(st, first + 3, r->name.function);
	bind_int_known(st, first + 4, (int64_t)r->name.func_offset, r->name.function || r->name.file);
	bind_text(st, first + 5, r->name.file);
	bind_int_known(st, first + 6, r->name.line, r->name.file != NULL);
	bind_text(st, first + 7, r->name.call_file);
	bind_int_known(st, first + 8, r->name.call_line, r->name.call_file != NULL);
}

static void free_location_row(struct location_row *r)
{
	free(r->module);
	free(r->path);
	free(r->name.function);
	free(r->name.file);
	free(r->name.call_file);
}

static void note_nameless(struct nm_db *db, int64_t id)
{
	size_t word = (size_t)id / 64;

	if (word >= db->nameless_words) {
		size_t n = db->nameless_words ? 2 * db->nameless_words : 64;

		while (n <= word)
			n *= 2;
		db->nameless = xrealloc(db->nameless, n * sizeof(*db->nameless));
		memset(db->nameless + db->nameless_words, 0,
		       (n - db->nameless_words) * sizeof(*db->nameless));
		db->nameless_words = n;
	}
	db->nameless[word] |= 1ULL << (id % 64);
}

bool db_location_nameless(const struct nm_db *db, int64_t id)
{
	size_t word = (size_t)id / 64;

	return id >= 0 && word < db->nameless_words && db->nameless[word] >> (id % 64) & 1;
}

/* The held locations, named when their module is read by now (the
 * symbolizer reads them in the background as stacks show them): what is
 * left, db_symbolize() names after the run, when the program waits no
 * more for numamma but the person does. */
static void write_location_rows(struct nm_db *db)
{
	struct location_row *v = db->pending_locations;
	int n = db->npending_locations;

	if (!n)
		return;
	for (int i = 0; i < n && db->module_hooks.name; i++) {
		if (!v[i].path)
			continue;
		db->module_hooks.name(db->module_arg, v[i].path, v[i].module, (uint64_t)v[i].offset,
				      &v[i].name);
		if (v[i].name.nameless)
			note_nameless(db, v[i].id);
	}
	write_rows(db, v, n, sizeof(*v), LOCATION_COLUMNS,
		   rows_stmt(db, &db->location_batch, LOCATION_INSERT, LOCATION_ROW, BATCH),
		   ST_LOCATION, bind_location_row);
	for (int i = 0; i < n; i++)
		free_location_row(&v[i]);
	db->npending_locations = 0;
}

static void bind_totals_row(sqlite3_stmt *st, int first, const void *row)
{
	const struct db_site_totals *t = row;

	bind_int_known(st, first, t->callsite_id, t->callsite_id > 0);
	bind_int(st, first + 1, t->pid);
	bind_int(st, first + 2, t->allocations);
	bind_int(st, first + 3, t->frees);
	bind_int(st, first + 4, t->bytes);
	bind_int(st, first + 5, t->peak_live_bytes);
	bind_int(st, first + 6, t->max_bytes);
	bind_int(st, first + 7, t->live_bytes);
}

/* Writes the rows db_add_sample() and db_add_object() hold. */
static void write_pending(struct nm_db *db)
{
	write_location_rows(db);
	write_id_rows(db, db->pending_callsites, &db->npending_callsites, &db->callsite_batch,
		      CALLSITE_INSERT, ST_CALLSITE);
	if (db->npending_objects)
		write_rows(db, db->pending_objects, db->npending_objects, sizeof(struct nm_object),
			   OBJECT_COLUMNS, rows_stmt(db, &db->object_batch, OBJECT_INSERT, OBJECT_ROW, BATCH),
			   ST_OBJECT, bind_object_row);
	db->npending_objects = 0;
	if (db->npending)
		write_rows(db, db->pending, db->npending, sizeof(struct nm_sample), SAMPLE_COLUMNS,
			   rows_stmt(db, &db->sample_batch, SAMPLE_INSERT, SAMPLE_ROW, BATCH), ST_SAMPLE,
			   bind_sample_row);
	db->npending = 0;
	if (db->npending_totals)
		write_rows(db, db->pending_totals, db->npending_totals, sizeof(struct db_site_totals),
			   TOTALS_COLUMNS, rows_stmt(db, &db->totals_batch, TOTALS_INSERT, TOTALS_ROW, BATCH),
			   ST_TOTALS, bind_totals_row);
	db->npending_totals = 0;
}

/* Held until a batch is full, or until anything commits or reads the
 * samples (db_flush, db_close, db_aggregate, db_drop_raw_samples). */
void db_add_sample(struct nm_db *db, const struct nm_sample *s)
{
	struct nm_sample *p = &db->pending[db->npending++];

	*p = *s;
	if (!p->access)
		p->access = ACCESS_UNKNOWN;
	if (db->aggregates)
		db_aggregates_add(db->aggregates, p);
	db->samples++;
	if (db->npending == BATCH)
		write_pending(db);
}

void db_add_sampler_stat(struct nm_db *db, pid_t tid, const char *name, uint64_t value)
{
	sqlite3_stmt *st = stmt(db, ST_SAMPLER_STAT);

	/* tid 0: a count for the whole sampler. */
	bind_int_known(st, 1, tid, tid > 0);
	bind_text(st, 2, name);
	bind_int(st, 3, value);
	step_done(db, st);
}

void db_set_intercept(struct nm_db *db, const char *how, uint64_t calls_lost)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE runs SET intercept = ?, calls_lost = ? WHERE id = ?");

	bind_text(st, 1, how);
	bind_int(st, 2, (int64_t)calls_lost);
	bind_int(st, 3, db->run_id);
	step_done(db, st);
	sqlite3_finalize(st);
}

/* Held like samples: a run writes thousands at its end (gcc: 6,500). */
void db_add_callsite_totals(struct nm_db *db, const struct db_site_totals *t)
{
	db->pending_totals[db->npending_totals++] = *t;
	if (db->npending_totals == BATCH)
		write_pending(db);
}

void db_set_meta(struct nm_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(db, ST_META);

	bind_text(st, 1, key);
	bind_text(st, 2, value);
	step_done(db, st);
}

/* Samples are looked up by object once the run is over: an index kept
 * up to date during the run would cost every row.  It is built here,
 * with the aggregates (a profile whose numamma died gets it when report
 * rebuilds those).  Objects are read by id; an index by address, which
 * nothing here reads, cost a storm of 235,000 blocks 90 ms at its end. */
static void index_samples(struct nm_db *db, void *arg)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT EXISTS (SELECT 1 FROM samples)");
	bool any = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);

	sqlite3_finalize(st);
	/* Without samples, no index: it would cost 0.1 ms of schema change. */
	if (any)
		db_exec(db, "CREATE INDEX IF NOT EXISTS samples_object ON samples(object_id)");
}

void db_drop_raw_samples(struct nm_db *db)
{
	sqlite3_stmt *st;

	write_pending(db);
	/* Said, so that a reader tells counts without rows from no samples. */
	st = db_prepare(db, "UPDATE runs SET samples_dropped = (SELECT count(*) FROM samples)"
			" WHERE id = ?");
	bind_int(st, 1, db->run_id);
	step_done(db, st);
	sqlite3_finalize(st);
	write_exec(db, "DELETE FROM samples");
}

void db_aggregate(struct nm_db *db)
{
	write_pending(db);
	db_transaction(db, index_samples, NULL);
	/* Fed every sample only by the writer that created the profile. */
	db_build_aggregates(db, db->aggregates);
	db_aggregates_free(db->aggregates);
	db->aggregates = NULL;
}
