/* The profile database: schema, writers and the aggregate tables.
 *
 * Durability: the default rollback journal with synchronous=NORMAL.  Each
 * db_flush() commits, so whatever the tracer committed survives a crash of
 * the program or of numamma (the next opener rolls back the hot journal of
 * the unfinished batch), and a closed profile is one plain file that the
 * sqlite3 shell reads.  WAL would leave -wal/-shm files next to it. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "error.h"

/* Writers' hot statements, prepared once and reused. */
enum db_stmt {
	ST_PROCESS, ST_END_PROCESS, ST_THREAD, ST_END_THREAD, ST_MODULE,
	ST_CALLSITE, ST_FRAME, ST_OBJECT, ST_FREE, ST_SAMPLE,
	ST_SAMPLER_STAT, ST_META, ST_TOTALS,
	NR_STMTS
};

static const char *const stmt_sql[NR_STMTS] = {
	[ST_PROCESS] = "INSERT INTO processes(pid, ppid, exe, start_ns) VALUES (?, ?, ?, ?)",
	[ST_END_PROCESS] = "UPDATE processes SET end_ns = ?, exit_status = ?, term_signal = ?"
			   " WHERE pid = ? AND end_ns IS NULL",
	[ST_THREAD] = "INSERT INTO threads(pid, tid, rank, start_ns) VALUES (?, ?, ?, ?)",
	[ST_END_THREAD] = "UPDATE threads SET end_ns = ? WHERE pid = ? AND tid = ? AND end_ns IS NULL",
	[ST_MODULE] = "INSERT INTO modules(pid, module, path, start, end, bias) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_CALLSITE] = "INSERT INTO callsites(hash) VALUES (?)",
	[ST_FRAME] = "INSERT INTO frames(callsite_id, depth, module, offset) VALUES (?, ?, ?, ?)",
	[ST_OBJECT] = "INSERT INTO objects(id, pid, tid, kind, address, size, alloc_ns, free_ns,"
		      " callsite_id, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_FREE] = "UPDATE objects SET free_ns = ? WHERE id = ?",
	[ST_SAMPLE] = "INSERT INTO samples(time_ns, pid, tid, cpu, node, address, ip, access, weight,"
		      " level, hops, snoop_hitm, tlb_miss, object_id, page_node, phys_addr)"
		      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SAMPLER_STAT] = "INSERT INTO sampler_stats(tid, name, value) VALUES (?, ?, ?)",
	[ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
	[ST_TOTALS] = "INSERT INTO callsite_totals(callsite_id, pid, allocations, frees, bytes,"
		      " peak_live_bytes) VALUES (?, ?, ?, ?, ?, ?)",
};

/* Interned call stacks: FNV-1a hash of the (module, offset) list -> id,
 * open addressing.  Two different stacks with the same 64-bit hash would
 * share an id; at a million stacks the odds are about 1 in 30 million,
 * which is cheaper to accept than keeping every stack in memory. */
struct callsite_slot {
	uint64_t hash;
	int64_t id;             /* 0: empty slot */
};

struct callsite_table {
	struct callsite_slot *slots;
	size_t cap, used;       /* cap is a power of two */
};

struct nm_db {
	sqlite3 *sql;
	char *path;
	int64_t run_id;
	sqlite3_stmt *stmts[NR_STMTS];
	struct callsite_table callsites;
};

/* Tables that db_aggregate() drops and rebuilds from samples. */
#define AGGREGATE_SCHEMA \
	"CREATE TABLE object_thread(object_id INTEGER, pid INTEGER, tid INTEGER," \
	"  samples INTEGER, reads INTEGER, writes INTEGER, weight INTEGER);" \
	"CREATE TABLE object_page_thread(object_id INTEGER, page INTEGER, tid INTEGER, samples INTEGER);" \
	"CREATE TABLE object_node(object_id INTEGER, node INTEGER, samples INTEGER);" \
	"CREATE TABLE object_page_node(object_id INTEGER, page_node INTEGER, samples INTEGER);" \
	"CREATE TABLE thread_sharing(tid_a INTEGER, tid_b INTEGER, shared_pages INTEGER," \
	"  shared_lines INTEGER);" \
	"CREATE TABLE line_writers(address INTEGER, object_id INTEGER, writers INTEGER, tids TEXT);"

/* Column meanings and units: doc/schema.md.  Times are CLOCK_MONOTONIC
 * nanoseconds; addresses and sizes bytes; NULL means unknown. */
static const char schema_sql[] =
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, command TEXT, mode TEXT, host TEXT,"
	"  kernel TEXT, start_ns INTEGER, end_ns INTEGER, start_epoch INTEGER,"
	"  exit_status INTEGER, term_signal INTEGER, sampler TEXT, sampler_reason TEXT,"
	"  call_depth INTEGER, nr_nodes INTEGER, nr_cpus INTEGER, cpu_nodes TEXT,"
	"  distances TEXT, intercept TEXT);"
	"CREATE TABLE nodes(node INTEGER PRIMARY KEY, cpus TEXT);"
	"CREATE TABLE node_distance(from_node INTEGER, to_node INTEGER, distance INTEGER,"
	"  PRIMARY KEY(from_node, to_node));"
	"CREATE TABLE processes(pid INTEGER, ppid INTEGER, exe TEXT, start_ns INTEGER,"
	"  end_ns INTEGER, exit_status INTEGER, term_signal INTEGER);"
	"CREATE INDEX processes_pid ON processes(pid);"
	"CREATE TABLE threads(pid INTEGER, tid INTEGER, rank INTEGER, start_ns INTEGER,"
	"  end_ns INTEGER);"
	"CREATE INDEX threads_tid ON threads(tid);"
	"CREATE TABLE modules(pid INTEGER, module TEXT, path TEXT, start INTEGER,"
	"  end INTEGER, bias INTEGER);"
	"CREATE INDEX modules_module ON modules(module);"
	"CREATE TABLE callsites(id INTEGER PRIMARY KEY, hash INTEGER);"
	"CREATE TABLE frames(callsite_id INTEGER, depth INTEGER, module TEXT, offset INTEGER,"
	"  function TEXT, func_offset INTEGER, file TEXT, line INTEGER,"
	"  PRIMARY KEY(callsite_id, depth));"
	"CREATE INDEX frames_code ON frames(module, offset);"
	"CREATE TABLE objects(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER, kind TEXT,"
	"  address INTEGER, size INTEGER, alloc_ns INTEGER, free_ns INTEGER,"
	"  callsite_id INTEGER, name TEXT);"
	"CREATE TABLE samples(time_ns INTEGER, pid INTEGER, tid INTEGER, cpu INTEGER,"
	"  node INTEGER, address INTEGER, ip INTEGER, access TEXT, weight INTEGER,"
	"  level TEXT, hops INTEGER, snoop_hitm INTEGER, tlb_miss INTEGER,"
	"  object_id INTEGER, page_node INTEGER, phys_addr INTEGER);"
	"CREATE INDEX samples_object ON samples(object_id);"
	"CREATE TABLE sampler_stats(tid INTEGER, name TEXT, value INTEGER);"
	"CREATE TABLE callsite_totals(callsite_id INTEGER, pid INTEGER, allocations INTEGER,"
	"  frees INTEGER, bytes INTEGER, peak_live_bytes INTEGER);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	AGGREGATE_SCHEMA;

sqlite3 *db_sqlite(struct nm_db *db)
{
	return db->sql;
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

/* Runs a bound write statement to completion and readies it for reuse.
 * A failing write (disk full, I/O error) loses the profile: stop. */
static void step_done(struct nm_db *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("%s: cannot write: %s", db->path, sqlite3_errmsg(db->sql));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
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
	sqlite3_close(db->sql);
	free(db->callsites.slots);
	free(db->path);
	free(db);
}

static struct nm_db *new_db(const char *path)
{
	struct nm_db *db = xcalloc(1, sizeof(*db));

	db->path = xstrdup(path);
	return db;
}

/* errno-style check that path can be created: its directory exists and
 * we may write there, and path itself is not a directory. */
static int check_creatable(const char *path)
{
	char *copy = xstrdup(path);
	int ret = access(dirname(copy), W_OK | X_OK);
	struct stat st;

	free(copy);
	if (ret < 0)
		return -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

static int rename_if_exists(const char *from, const char *to)
{
	if (rename(from, to) < 0 && errno != ENOENT)
		return error_errno("cannot rename '%s' to '%s'", from, to);
	return 0;
}

/* Keeps the previous profile as path.old, as perf does.  A hot journal
 * belongs to its database, so it moves along, and a journal left next to
 * an older .old must not be applied to the new one. */
static int keep_previous(const char *path)
{
	char *old = xasprintf("%s.old", path);
	char *journal = xasprintf("%s-journal", path);
	char *old_journal = xasprintf("%s.old-journal", path);
	int ret = -1;

	if (access(path, F_OK) < 0) {
		ret = 0;
		goto out;
	}
	if (unlink(old_journal) < 0 && errno != ENOENT) {
		error_errno("cannot remove '%s'", old_journal);
		goto out;
	}
	if (rename_if_exists(path, old) < 0 || rename_if_exists(journal, old_journal) < 0)
		goto out;
	ret = 0;
out:
	free(old);
	free(journal);
	free(old_journal);
	return ret;
}

int db_check_creatable(const char *path)
{
	return check_creatable(path) < 0 ? error_errno("cannot create '%s'", path) : 0;
}

struct nm_db *db_create(const char *path)
{
	struct nm_db *db;
	char *version;

	if (check_creatable(path) < 0) {
		error_errno("cannot create '%s'", path);
		return NULL;
	}
	if (keep_previous(path) < 0)
		return NULL;
	db = new_db(path);
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error("cannot create '%s': %s", path, sqlite3_errmsg(db->sql));
		free_db(db);
		return NULL;
	}
	/* A bigger page cache than the 2 MiB default spills less of a
	 * batch to the journal. */
	db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; BEGIN");
	db_exec(db, schema_sql);
	version = xasprintf("PRAGMA user_version = %d", DB_SCHEMA_VERSION);
	db_exec(db, version);
	free(version);
	db_flush(db);
	return db;
}

/* The profile's schema version, or -1 when path is not a database. */
static int schema_version(struct nm_db *db)
{
	sqlite3_stmt *st;
	int version = -1;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

struct nm_db *db_open(const char *path)
{
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
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		error("cannot open '%s': %s", path, sqlite3_errmsg(db->sql));
		goto fail;
	}
	version = schema_version(db);
	if (version < 0) {
		error("'%s': not a numamma profile: %s", path, sqlite3_errmsg(db->sql));
		goto fail;
	}
	if (version == 0) {
		error("'%s': not a numamma profile", path);
		goto fail;
	}
	if (version != DB_SCHEMA_VERSION) {
		error("'%s': profile schema version %d, this numamma reads version %d",
		      path, version, DB_SCHEMA_VERSION);
		goto fail;
	}
	return db;
fail:
	free_db(db);
	return NULL;
}

void db_flush(struct nm_db *db)
{
	db_exec(db, "COMMIT; BEGIN");
}

void db_close(struct nm_db *db)
{
	if (!db)
		return;
	if (!sqlite3_get_autocommit(db->sql))
		db_exec(db, "COMMIT");
	free_db(db);
}

void db_transaction(struct nm_db *db, void (*fn)(struct nm_db *db, void *arg), void *arg)
{
	int own = sqlite3_get_autocommit(db->sql);

	if (own)
		db_exec(db, "BEGIN");
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
		" sampler_reason, call_depth, nr_nodes, nr_cpus, cpu_nodes, distances)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

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
	sqlite3_stmt *st = db_prepare(db, "UPDATE processes SET exe = ? WHERE rowid = "
				      "(SELECT max(rowid) FROM processes WHERE pid = ?)");

	sqlite3_bind_text(st, 1, exe, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, pid);
	step_done(db, st);
	sqlite3_finalize(st);
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

void db_end_thread(struct nm_db *db, pid_t pid, pid_t tid, uint64_t end_ns)
{
	sqlite3_stmt *st = stmt(db, ST_END_THREAD);

	bind_int(st, 1, end_ns);
	bind_int(st, 2, pid);
	bind_int(st, 3, tid);
	step_done(db, st);
}

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
}

#define FNV_OFFSET_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * FNV_PRIME;
	return h;
}

/* Hashes what identifies a frame across runs: module and offset, not ip.
 * The module's NUL keeps "ab"+"c" apart from "a"+"bc". */
static uint64_t callsite_hash(const struct nm_frame *frames, int n)
{
	uint64_t h = FNV_OFFSET_BASIS;

	for (int i = 0; i < n; i++) {
		const char *module = frames[i].module ? frames[i].module : "";

		h = fnv1a(h, module, strlen(module) + 1);
		h = fnv1a(h, &frames[i].offset, sizeof(frames[i].offset));
	}
	return h;
}

static struct callsite_slot *callsite_slot(struct callsite_table *t, uint64_t hash)
{
	size_t i = hash & (t->cap - 1);

	while (t->slots[i].id && t->slots[i].hash != hash)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

/* Keeps the table at most half full, so probes stay short. */
static void callsite_reserve(struct callsite_table *t)
{
	struct callsite_table bigger;

	if (2 * (t->used + 1) <= t->cap)
		return;
	bigger.cap = t->cap ? 2 * t->cap : 1024;
	bigger.used = t->used;
	bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].id)
			*callsite_slot(&bigger, t->slots[i].hash) = t->slots[i];
	free(t->slots);
	*t = bigger;
}

static int64_t insert_callsite(struct nm_db *db, uint64_t hash, const struct nm_frame *frames, int n)
{
	sqlite3_stmt *st = stmt(db, ST_CALLSITE);
	int64_t id;

	/* The hash is stored as the signed 64-bit integer sqlite holds. */
	bind_int(st, 1, (int64_t)hash);
	step_done(db, st);
	id = sqlite3_last_insert_rowid(db->sql);
	st = stmt(db, ST_FRAME);
	for (int depth = 0; depth < n; depth++) {
		bind_int(st, 1, id);
		bind_int(st, 2, depth);
		bind_text(st, 3, frames[depth].module);
		bind_int(st, 4, frames[depth].offset);
		step_done(db, st);
	}
	return id;
}

int64_t db_intern_callsite(struct nm_db *db, const struct nm_frame *frames, int n)
{
	uint64_t hash;
	struct callsite_slot *slot;

	if (n <= 0)
		return 0;
	hash = callsite_hash(frames, n);
	callsite_reserve(&db->callsites);
	slot = callsite_slot(&db->callsites, hash);
	if (!slot->id) {
		slot->hash = hash;
		slot->id = insert_callsite(db, hash, frames, n);
		db->callsites.used++;
	}
	return slot->id;
}

void db_add_object(struct nm_db *db, const struct nm_object *obj)
{
	sqlite3_stmt *st = stmt(db, ST_OBJECT);

	bind_int(st, 1, obj->id);
	bind_int(st, 2, obj->pid);
	bind_int(st, 3, obj->tid);
	bind_text(st, 4, obj_kind_name(obj->kind));
	bind_int(st, 5, obj->addr);
	bind_int(st, 6, obj->size);
	bind_int(st, 7, obj->alloc_ns);
	bind_int_known(st, 8, obj->free_ns, obj->free_ns);
	bind_int_known(st, 9, obj->callsite_id, obj->callsite_id);
	bind_text(st, 10, obj->name);
	step_done(db, st);
}

void db_free_object(struct nm_db *db, int64_t id, uint64_t free_ns)
{
	sqlite3_stmt *st = stmt(db, ST_FREE);

	bind_int(st, 1, free_ns);
	bind_int(st, 2, id);
	step_done(db, st);
}

void db_add_sample(struct nm_db *db, const struct nm_sample *s)
{
	sqlite3_stmt *st = stmt(db, ST_SAMPLE);
	char access[2] = { s->access ? s->access : ACCESS_UNKNOWN, 0 };

	bind_int(st, 1, s->time_ns);
	bind_int(st, 2, s->pid);
	bind_int(st, 3, s->tid);
	bind_int_known(st, 4, s->cpu, s->cpu >= 0);
	bind_int_known(st, 5, s->node, s->node >= 0);
	bind_int_known(st, 6, s->addr, s->addr);
	bind_int_known(st, 7, s->ip, s->ip);
	bind_text(st, 8, access);
	bind_int(st, 9, s->weight);
	bind_text(st, 10, s->level == LVL_UNKNOWN ? NULL : mem_level_name(s->level));
	bind_int_known(st, 11, s->hops, s->hops >= 0);
	bind_int(st, 12, s->snoop_hitm);
	bind_int_known(st, 13, s->tlb_miss, s->tlb_miss >= 0);
	bind_int_known(st, 14, s->object_id, s->object_id);
	bind_int_known(st, 15, s->page_node, s->page_node >= 0);
	bind_int_known(st, 16, s->phys_addr, s->phys_addr);
	step_done(db, st);
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

void db_set_intercept(struct nm_db *db, const char *how)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE runs SET intercept = ? WHERE id = ?");

	bind_text(st, 1, how);
	bind_int(st, 2, db->run_id);
	step_done(db, st);
	sqlite3_finalize(st);
}

void db_add_callsite_totals(struct nm_db *db, int64_t callsite_id, pid_t pid, uint64_t allocations,
			    uint64_t frees, uint64_t bytes, uint64_t peak_live_bytes)
{
	sqlite3_stmt *st = stmt(db, ST_TOTALS);

	bind_int_known(st, 1, callsite_id, callsite_id > 0);
	bind_int(st, 2, pid);
	bind_int(st, 3, allocations);
	bind_int(st, 4, frees);
	bind_int(st, 5, bytes);
	bind_int(st, 6, peak_live_bytes);
	step_done(db, st);
}

void db_set_meta(struct nm_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(db, ST_META);

	bind_text(st, 1, key);
	bind_text(st, 2, value);
	step_done(db, st);
}

/* Derived tables, rebuilt from samples.  Pages are 4 KiB and cache lines
 * 64 bytes whatever the machine: the aggregates are for comparing access
 * patterns, and those are the sizes placement works with. */
static const char aggregate_sql[] =
	"DROP TABLE IF EXISTS object_thread;"
	"DROP TABLE IF EXISTS object_page_thread;"
	"DROP TABLE IF EXISTS object_node;"
	"DROP TABLE IF EXISTS object_page_node;"
	"DROP TABLE IF EXISTS thread_sharing;"
	"DROP TABLE IF EXISTS line_writers;"
	AGGREGATE_SCHEMA
	"INSERT INTO object_thread"
	"  SELECT object_id, pid, tid, count(*), sum(access = 'R'), sum(access = 'W'), sum(weight)"
	"  FROM samples WHERE object_id IS NOT NULL GROUP BY object_id, pid, tid;"
	"INSERT INTO object_page_thread"
	"  SELECT s.object_id, (s.address - o.address) / 4096, s.tid, count(*)"
	"  FROM samples s JOIN objects o ON o.id = s.object_id"
	"  WHERE s.address IS NOT NULL GROUP BY 1, 2, 3;"
	"INSERT INTO object_node"
	"  SELECT object_id, node, count(*) FROM samples"
	"  WHERE object_id IS NOT NULL AND node IS NOT NULL GROUP BY 1, 2;"
	"INSERT INTO object_page_node"
	"  SELECT object_id, page_node, count(*) FROM samples"
	"  WHERE object_id IS NOT NULL AND page_node IS NOT NULL GROUP BY 1, 2;"
	/* A pair sharing a line shares that line's page, so every pair with
	 * shared lines is among the page pairs. */
	"INSERT INTO thread_sharing"
	"  WITH lines AS (SELECT DISTINCT pid, tid, address / 64 AS k FROM samples"
	"                 WHERE address IS NOT NULL),"
	"       pages AS (SELECT DISTINCT pid, tid, k / 64 AS k FROM lines),"
	"       page_pairs AS (SELECT a.tid AS ta, b.tid AS tb, count(*) AS n FROM pages a"
	"                      JOIN pages b ON a.pid = b.pid AND a.k = b.k AND a.tid < b.tid"
	"                      GROUP BY 1, 2),"
	"       line_pairs AS (SELECT a.tid AS ta, b.tid AS tb, count(*) AS n FROM lines a"
	"                      JOIN lines b ON a.pid = b.pid AND a.k = b.k AND a.tid < b.tid"
	"                      GROUP BY 1, 2)"
	"  SELECT p.ta, p.tb, p.n, coalesce(l.n, 0) FROM page_pairs p"
	"  LEFT JOIN line_pairs l ON l.ta = p.ta AND l.tb = p.tb;"
	/* The ordered subquery makes tids come out sorted: "101,102". */
	"INSERT INTO line_writers"
	"  SELECT line, object_id, count(*), group_concat(tid) FROM"
	"    (SELECT DISTINCT address / 64 * 64 AS line, object_id, tid FROM samples"
	"     WHERE access = 'W' AND address IS NOT NULL ORDER BY 1, 2, 3)"
	"  GROUP BY line, object_id;"
	"CREATE INDEX object_thread_object ON object_thread(object_id);"
	"CREATE INDEX object_page_thread_object ON object_page_thread(object_id);"
	"CREATE INDEX line_writers_object ON line_writers(object_id);";

static void build_aggregates(struct nm_db *db, void *unused)
{
	db_exec(db, aggregate_sql);
}

/* Objects are looked up by address once the run is over: an index kept
 * up to date during the run would cost every row.  It is built here, with
 * the aggregates (a profile whose numamma died gets it when report
 * rebuilds them). */
static void index_objects(struct nm_db *db, void *arg)
{
	db_exec(db, "CREATE INDEX IF NOT EXISTS objects_pid_address ON objects(pid, address)");
}

void db_aggregate(struct nm_db *db)
{
	db_transaction(db, index_objects, NULL);
	db_transaction(db, build_aggregates, NULL);
}
