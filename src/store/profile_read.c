/* Reading profile databases into the profile model (profile.h).
 *
 * Every query of the readers is here.  A failed step (a corrupt or
 * truncated file) is an error, never an early end of rows: a report or a
 * plan made from half a table would look plausible and be wrong. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "demangle.h"
#include "error.h"
#include "model.h"
#include "number.h"
#include "profile.h"
#include "strtab.h"

struct reader {
	struct nm_db *db;
	sqlite3 *sql;
	struct prof_run *run;
};

typedef void (*row_fn)(struct prof_run *run, sqlite3_stmt *st);

static int read_error(struct reader *rd)
{
	return error("'%s': cannot read the profile: %s", db_path(rd->db), sqlite3_errmsg(rd->sql));
}

/* Calls fn on every row of sql; -1 after an error line when the query
 * cannot be prepared or a step fails. */
static int each_row(struct reader *rd, const char *sql, row_fn fn)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(rd->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return read_error(rd);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(rd->run, st);
	if (rc != SQLITE_DONE)
		read_error(rd);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The one value of a one-row query; -1 after an error line. */
static int query_u64(struct reader *rd, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if (sqlite3_prepare_v2(rd->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return read_error(rd);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		read_error(rd);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int64_t col_int(sqlite3_stmt *st, int i, int64_t null)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? null : sqlite3_column_int64(st, i);
}

/* Strings belong to the run's string table: no row frees its own. */
static char *col_str(struct prof_run *run, sqlite3_stmt *st, int i)
{
	return strtab_intern(&run->strings, (const char *)sqlite3_column_text(st, i));
}

/* v with room for n + 1 elements: the capacity doubles at each power of
 * two, so none is stored. */
static void *grow(void *v, size_t n, size_t size)
{
	return n && (n & (n - 1)) ? v : xrealloc(v, (n ? 2 * n : 1) * size);
}

/* A new zeroed element at the end of arr, which holds n. */
#define PUSH(arr, n)                                                    \
	((arr) = grow((arr), (n), sizeof(*(arr))),                      \
	 memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

/* ---- the run and its machine ---- */

/* runs.cpu_nodes: "0:0,1:0,2:1", up to the first malformed pair. */
static void read_cpu_nodes(struct prof_run *run, const char *s)
{
	while (s && *s) {
		char *end;
		long cpu = strtol(s, &end, 10), node;

		if (*end != ':')
			break;
		node = strtol(end + 1, &end, 10);
		*PUSH(run->cpus, run->ncpus) = (struct prof_cpu){ cpu, node };
		s = end + (*end == ',');
	}
}

static void run_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_run_info *ri = &run->run;

	if (run->has_run)
		return;
	run->has_run = true;
	ri->start_ns = col_int(st, 0, 0);
	ri->has_end = sqlite3_column_type(st, 1) != SQLITE_NULL;
	ri->end_ns = col_int(st, 1, 0);
	ri->has_exit = sqlite3_column_type(st, 2) != SQLITE_NULL;
	ri->exit_status = (int)col_int(st, 2, 0);
	ri->has_signal = sqlite3_column_type(st, 3) != SQLITE_NULL;
	ri->term_signal = (int)col_int(st, 3, 0);
	ri->command = col_str(run, st, 4);
	ri->mode = col_str(run, st, 5);
	ri->host = col_str(run, st, 6);
	ri->kernel = col_str(run, st, 7);
	ri->has_epoch = sqlite3_column_type(st, 8) != SQLITE_NULL;
	ri->start_epoch = col_int(st, 8, 0);
	ri->sampler = col_str(run, st, 9);
	ri->sampler_reason = col_str(run, st, 10);
	read_cpu_nodes(run, (const char *)sqlite3_column_text(st, 11));
}

static void node_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_node *n = PUSH(run->nodes, run->nnodes);

	n->node = (int)col_int(st, 0, 0);
	n->cpus = col_str(run, st, 1);
}

static void process_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_process *p = PUSH(run->processes, run->nprocesses);

	p->pid = (pid_t)col_int(st, 0, 0);
	p->ppid = (pid_t)col_int(st, 1, 0);
	p->exe = col_str(run, st, 2);
	p->ended = sqlite3_column_type(st, 3) != SQLITE_NULL;
}

static void thread_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_thread *t = PUSH(run->threads, run->nthreads);

	t->pid = (pid_t)col_int(st, 0, 0);
	t->tid = (pid_t)col_int(st, 1, 0);
	t->rank = (int)col_int(st, 2, -1);
	t->has_calls = sqlite3_column_type(st, 3) != SQLITE_NULL;
	t->allocations = (uint64_t)col_int(st, 3, 0);
	t->frees = (uint64_t)col_int(st, 4, 0);
	t->bytes = (uint64_t)col_int(st, 5, 0);
}

static void module_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_module *m = PUSH(run->modules, run->nmodules);

	m->pid = (pid_t)col_int(st, 0, 0);
	m->module = col_str(run, st, 1);
	m->path = col_str(run, st, 2);
	m->start = col_int(st, 3, 0);
	m->end = col_int(st, 4, 0);
}

static void binary_row(struct prof_run *run, sqlite3_stmt *st)
{
	char *module = col_str(run, st, 0);

	if (module)
		*PUSH(run->binaries, run->nbinaries) = module;
}

static void launcher_row(struct prof_run *run, sqlite3_stmt *st)
{
	run->run.launcher_rank = (int)col_int(st, 0, -1);
	run->run.launcher_size = (int)col_int(st, 1, -1);
	run->run.job_id = col_str(run, st, 2);
}

static void allowed_row(struct prof_run *run, sqlite3_stmt *st)
{
	run->run.cpus_allowed = col_str(run, st, 0);
	run->run.mems_allowed = col_str(run, st, 1);
}

/* The columns of runs added after version 1 was first written (a
 * profile from an older numamma lacks them, and reads them as NULL):
 * the first row's `columns` (n of them) through fn, when all exist. */
static int read_later_columns(struct reader *rd, const char *columns, uint64_t n, row_fn fn)
{
	char *sql = xasprintf("SELECT count(*) FROM pragma_table_info('runs') WHERE instr(', %s, ',"
			      " ', ' || name || ', ') > 0", columns);
	uint64_t have;
	int ret = query_u64(rd, sql, &have);

	free(sql);
	if (ret < 0 || have < n)
		return ret;
	sql = xasprintf("SELECT %s FROM runs ORDER BY id LIMIT 1", columns);
	ret = each_row(rd, sql, fn);
	free(sql);
	return ret;
}

static void lost_row(struct prof_run *run, sqlite3_stmt *st)
{
	run->run.calls_lost = col_int(st, 0, 0);
}

static void dropped_row(struct prof_run *run, sqlite3_stmt *st)
{
	run->run.samples_dropped = (uint64_t)col_int(st, 0, 0);
}

static int read_launcher(struct reader *rd)
{
	rd->run->run.launcher_rank = rd->run->run.launcher_size = -1;
	return read_later_columns(rd, "launcher_rank, launcher_size, job_id", 3, launcher_row) < 0 ||
	       read_later_columns(rd, "cpus_allowed, mems_allowed", 2, allowed_row) < 0 ||
	       read_later_columns(rd, "calls_lost", 1, lost_row) < 0 ||
	       read_later_columns(rd, "samples_dropped", 1, dropped_row) < 0 ? -1 : 0;
}

static int has_column(struct reader *rd, const char *table, const char *column);

/* A thread's calls were added at the end of its row without a version
 * change: NULL in a profile written before. */
static int read_threads(struct reader *rd)
{
	int calls = has_column(rd, "threads", "allocations");

	return calls < 0 ? -1 :
	       each_row(rd, calls ? "SELECT pid, tid, rank, allocations, frees, bytes FROM threads"
				    " ORDER BY rowid" :
				    "SELECT pid, tid, rank, NULL, NULL, NULL FROM threads ORDER BY rowid",
			thread_row);
}

/* The binaries: the modules mapped from the file each process runs at
 * its end, and from the first it ran (its first module row): a wrapper
 * that execs the program (`#!/usr/bin/env python3`, a script's `exec`)
 * is what `numamma run` sees first and checks the policy against. */
static int read_machine(struct reader *rd)
{
	return read_launcher(rd) < 0 ||
	       each_row(rd, "SELECT start_ns, end_ns, exit_status, term_signal, command, mode, host,"
			" kernel, start_epoch, sampler, sampler_reason, cpu_nodes"
			" FROM runs ORDER BY id LIMIT 1", run_row) < 0 ||
	       each_row(rd, "SELECT node, cpus FROM nodes ORDER BY node", node_row) < 0 ||
	       each_row(rd, "SELECT pid, ppid, exe, end_ns FROM processes ORDER BY rowid", process_row) < 0 ||
	       read_threads(rd) < 0 ||
	       each_row(rd, "SELECT pid, module, path, start, end FROM modules ORDER BY rowid",
			module_row) < 0 ||
	       each_row(rd, "SELECT m.module FROM processes p"
			" JOIN modules m ON m.pid = p.pid AND m.path = p.exe"
			" UNION SELECT module FROM modules"
			" WHERE rowid IN (SELECT min(rowid) FROM modules GROUP BY pid)", binary_row) < 0
			       ? -1 : 0;
}

/* ---- call sites, objects, samples ---- */

/* A function's name as a person reads it: a profile of a numamma that
 * did not demangle at symbolisation holds C++ and Rust symbols as linked. */
static char *readable_name(struct prof_run *run, char *name)
{
	char *readable = demangle(name);

	if (!readable)
		return name;
	name = strtab_intern(&run->strings, readable);
	free(readable);
	return name;
}

/* A code location's row: the stacks' frames point at it. */
static void location_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_frame *f = PUSH(run->locations, run->nlocations);

	f->module = col_str(run, st, 1);
	f->offset = col_int(st, 2, 0);
	f->function = readable_name(run, col_str(run, st, 3));
	f->func_offset = col_int(st, 4, 0);
	f->file = col_str(run, st, 5);
	f->line = (int)col_int(st, 6, 0);
	f->call_file = col_str(run, st, 7);
	f->call_line = (int)col_int(st, 8, 0);
}

/* The locations' ids, in the order of run->locations (ascending). */
struct location_ids {
	int64_t *v;
	size_t n;
};

static int read_locations(struct reader *rd, struct location_ids *ids)
{
	int inlines = has_column(rd, "locations", "call_line");
	char *sql = xasprintf("SELECT id, module, offset, function, func_offset, file, line, %s"
			      " FROM locations ORDER BY id",
			      inlines > 0 ? "call_file, call_line" : "NULL, NULL");
	sqlite3_stmt *st;
	int rc;

	if (inlines < 0 || sqlite3_prepare_v2(rd->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		free(sql);
		return inlines < 0 ? -1 : read_error(rd);
	}
	free(sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*PUSH(ids->v, ids->n) = sqlite3_column_int64(st, 0);
		location_row(rd->run, st);
	}
	if (rc != SQLITE_DONE)
		read_error(rd);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const void *by_id(const void *table, size_t n, size_t size, int64_t id);

/* The location of id, NULL when there is none.  numamma numbers them
 * from 1 without gaps: the search is for profiles otherwise made. */
static const struct prof_frame *location_of(const struct prof_run *run,
					    const struct location_ids *ids, int64_t id)
{
	const int64_t *at;

	if (id >= 1 && (uint64_t)id <= ids->n && ids->v[id - 1] == id)
		return &run->locations[id - 1];
	at = by_id(ids->v, ids->n, sizeof(*ids->v), id);
	return at ? &run->locations[at - ids->v] : NULL;
}

static int damaged_stack(struct reader *rd, int64_t id, const char *why)
{
	return error("'%s': damaged profile: call site %" PRId64 ": %s", db_path(rd->db), id, why);
}

/* A stack's row: its frames are its list's locations, each one that the
 * profile has (a list that is not one, or names a location missing, is
 * damage: a report would show a stack cut short). */
static int callsite_row(struct reader *rd, const struct location_ids *ids, sqlite3_stmt *st)
{
	int64_t id = sqlite3_column_int64(st, 0), list[NM_MAX_FRAMES];
	int n = parse_id_list((const char *)sqlite3_column_text(st, 1), list, NM_MAX_FRAMES);
	struct prof_callsite *c;

	if (n < 0)
		return damaged_stack(rd, id, "its frames are not a list of location ids");
	if (!n)
		return 0;
	c = PUSH(rd->run->callsites, rd->run->ncallsites);
	c->id = id;
	c->frames = xcalloc(n, sizeof(*c->frames));
	for (; c->nframes < n; c->nframes++)
		if (!(c->frames[c->nframes] = location_of(rd->run, ids, list[c->nframes])))
			return damaged_stack(rd, id, "a frame names a location the profile lacks");
	return 0;
}

/* The stacks, by id, read from their lists: the view of one row per
 * frame (`frames`) sorted 2.8 million rows in temporary files for a
 * profile of 175,000 stacks, 4 s of a report. */
static int read_callsites(struct reader *rd)
{
	struct location_ids ids = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = read_locations(rd, &ids);

	if (rc == 0 && sqlite3_prepare_v2(rd->sql, "SELECT id, frames FROM callsites ORDER BY id",
					  -1, &st, NULL) != SQLITE_OK)
		rc = read_error(rd);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = callsite_row(rd, &ids, st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = read_error(rd);
	sqlite3_finalize(st);
	free(ids.v);
	return rc;
}

static int kind_of(const char *name)
{
	for (int k = OBJ_HEAP; name && k <= OBJ_KIND_LAST; k++)
		if (!strcmp(name, obj_kind_name(k)))
			return k;
	return -1;
}

static void object_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_object *o = PUSH(run->objects, run->nobjects);

	o->id = col_int(st, 0, 0);
	o->pid = (pid_t)col_int(st, 1, 0);
	o->tid = (pid_t)col_int(st, 2, 0);
	o->kind = kind_of((const char *)sqlite3_column_text(st, 3));
	o->addr = col_int(st, 4, 0);
	o->size = col_int(st, 5, 0);
	o->callsite_id = col_int(st, 6, 0);
	o->name = col_str(run, st, 7);
	o->module = col_str(run, st, 8);
	o->alloc_ns = col_int(st, 9, 0);
	o->free_ns = col_int(st, 10, 0);
}

static void thread_cpu_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_thread_cpu *t = PUSH(run->thread_cpus, run->nthread_cpus);

	t->pid = (pid_t)col_int(st, 0, 0);
	t->tid = (pid_t)col_int(st, 1, 0);
	t->cpu = (int)col_int(st, 2, -1);
	t->node = (int)col_int(st, 3, -1);
	t->samples = col_int(st, 4, 0);
}

static void sample_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_sample *s = PUSH(run->samples, run->nsamples);

	s->object_id = col_int(st, 0, 0);
	s->addr = col_int(st, 1, 0);
	s->pid = (pid_t)col_int(st, 2, 0);
	s->tid = (pid_t)col_int(st, 3, 0);
	s->cpu = (int)col_int(st, 4, -1);
	s->node = (int)col_int(st, 5, -1);
	s->page_node = (int)col_int(st, 6, -1);
	s->time_ns = col_int(st, 7, 0);
	s->access = sqlite3_column_type(st, 8) == SQLITE_TEXT ? *sqlite3_column_text(st, 8) : 0;
}

/* The samples' counts, from their rows. */
static int read_sample_counts(struct reader *rd)
{
	struct prof_run *run = rd->run;

	return each_row(rd, "SELECT pid, tid, cpu, node, COUNT(*) FROM samples"
			" GROUP BY pid, tid, cpu, node", thread_cpu_row) < 0 ||
	       query_u64(rd, "SELECT count(*) FROM samples", &run->total_samples) < 0 ||
	       query_u64(rd, "SELECT count(*) FROM samples WHERE object_id IS NOT NULL",
			 &run->attributed_samples) < 0 ? -1 : 0;
}

/* A --no-raw profile's, from what its aggregates counted: each thread's
 * samples in objects (on cpus not known), and the whole run's. */
static int read_counted_samples(struct reader *rd)
{
	struct prof_run *run = rd->run;

	run->total_samples = run->run.samples_dropped;
	return each_row(rd, "SELECT pid, tid, NULL, NULL, sum(samples) FROM object_thread"
			" GROUP BY pid, tid ORDER BY pid, tid", thread_cpu_row) < 0 ||
	       query_u64(rd, "SELECT coalesce(sum(samples), 0) FROM object_thread",
			 &run->attributed_samples) < 0 ? -1 : 0;
}

/* A static's module is the smallest one mapped at its address. */
static int read_objects(struct reader *rd, unsigned what)
{
	struct prof_run *run = rd->run;
	int rc = read_callsites(rd);

	if (rc < 0 ||
	    each_row(rd, "SELECT o.id, o.pid, o.tid, o.kind, o.address, o.size, o.callsite_id, o.name,"
		     "  CASE WHEN o.kind = 'static' THEN (SELECT m.module FROM modules m"
		     "    WHERE m.pid = o.pid AND o.address >= m.start AND o.address < m.end"
		     "    ORDER BY m.end - m.start LIMIT 1) END, o.alloc_ns, o.free_ns"
		     " FROM objects o ORDER BY o.id", object_row) < 0 ||
	    (run->run.samples_dropped ? read_counted_samples(rd) : read_sample_counts(rd)) < 0 ||
	    query_u64(rd, "SELECT coalesce(sum(value), 0) FROM sampler_stats"
		      " WHERE tid IS NULL AND name = 'agent'", &run->agent_samples) < 0)
		return -1;
	if (!(what & PROFILE_SAMPLES))
		return 0;
	if (run->run.samples_dropped)
		return error("'%s': written with --no-raw: its %" PRIu64 " samples were kept as counts,"
			     " and this needs each one (where it ran, what it touched, when);"
			     " profile again without --no-raw", run->file, run->run.samples_dropped);
	return each_row(rd, "SELECT object_id, address, pid, tid, cpu, node, page_node, time_ns,"
			" access FROM samples"
			" WHERE object_id IS NOT NULL AND address IS NOT NULL ORDER BY rowid", sample_row);
}

/* ---- aggregates (report) ---- */

static void access_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_access *a = PUSH(run->access, run->naccess);

	a->object_id = col_int(st, 0, 0);
	a->samples = col_int(st, 1, 0);
	a->reads = col_int(st, 2, 0);
	a->writes = col_int(st, 3, 0);
	a->threads = (int)col_int(st, 4, 0);
	a->spans.workers = a->threads;         /* unless its pages say more */
	a->weight = col_int(st, 5, 0);
}

/* The rows below name objects already in run->access (sorted by id). */
static struct prof_access *access_of(struct prof_run *run, sqlite3_stmt *st)
{
	return (struct prof_access *)prof_access(run, col_int(st, 0, 0));
}

static void remote_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_access *a = access_of(run, st);

	if (a) {
		a->located = col_int(st, 1, 0);
		a->remote = col_int(st, 2, 0);
	}
}

/* A line written by two threads or more (read after the spans: two of
 * them must be threads the pattern is judged on). */
static void line_shared_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_access *a = access_of(run, st);

	if (a && !a->line_shared_writes &&
	    access_spans_workers_wrote(&a->spans, (const char *)sqlite3_column_text(st, 1)))
		a->line_shared_writes = true;
}

/* The pattern's threads of the object whose n rows are at rows. */
static void judge_spans(struct prof_run *run, int64_t object_id, const struct page_samples *rows,
			size_t n)
{
	struct prof_access *a = (struct prof_access *)prof_access(run, object_id);

	if (a && n)
		access_spans_judge(rows, n, &a->spans);
}

/* Each object's pages by thread, judged one object at a time. */
static int read_spans(struct reader *rd)
{
	sqlite3_stmt *st;
	struct page_samples *rows = NULL;
	size_t n = 0, room = 0;
	int64_t object_id = 0;
	int rc;

	if (sqlite3_prepare_v2(rd->sql, "SELECT object_id, tid, page, samples FROM object_page_thread"
			       " ORDER BY object_id, tid, page", -1, &st, NULL) != SQLITE_OK)
		return read_error(rd);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (col_int(st, 0, 0) != object_id) {
			judge_spans(rd->run, object_id, rows, n);
			object_id = col_int(st, 0, 0);
			n = 0;
		}
		if (n == room)
			rows = xrealloc(rows, (room = room ? 2 * room : 64) * sizeof(*rows));
		rows[n++] = (struct page_samples){ (pid_t)col_int(st, 1, 0), col_int(st, 2, 0),
						   col_int(st, 3, 0) };
	}
	judge_spans(rd->run, object_id, rows, n);
	free(rows);
	if (rc != SQLITE_DONE)
		read_error(rd);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void sharing_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_sharing *s = PUSH(run->sharing, run->nsharing);

	s->tid_a = (pid_t)col_int(st, 0, 0);
	s->tid_b = (pid_t)col_int(st, 1, 0);
	s->pages = col_int(st, 2, 0);
	s->lines = col_int(st, 3, 0);
}

static void placement_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_placement *p = PUSH(run->placement, run->nplacement);

	p->object_id = col_int(st, 0, 0);
	p->pid = (pid_t)col_int(st, 1, 0);
	p->size = col_int(st, 2, 0);
	p->pages = col_int(st, 3, 0);
	p->present = col_int(st, 4, 0);
	p->on_intended = col_int(st, 5, 0);
	p->absent = col_int(st, 6, 0);
	p->skipped = col_int(st, 7, 0);
	p->nodes = col_str(run, st, 8);
	p->rule = col_str(run, st, 9);
}

/* A profile whose writer stopped before db_aggregate() has samples but
 * no aggregates: build them when the file lets us. */
static int ensure_aggregates(struct reader *rd)
{
	uint64_t n;

	if (query_u64(rd, "SELECT count(*) FROM object_thread", &n) < 0)
		return -1;
	if (n || !rd->run->attributed_samples)
		return 0;
	if (sqlite3_db_readonly(rd->sql, "main") == 1)
		rd->run->aggregates_missing = true;
	else
		db_aggregate(rd->db);
	return 0;
}

/* Whether the profile has the table name: 1, 0, or -1 after an error line. */
static int has_table(struct reader *rd, const char *name)
{
	char *sql = xasprintf("SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
	uint64_t n;
	int ret = query_u64(rd, sql, &n);

	free(sql);
	return ret < 0 ? -1 : n > 0;
}

/* Whether table has the column: 1, 0, or -1 after an error line. */
static int has_column(struct reader *rd, const char *table, const char *column)
{
	char *sql = xasprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
			      table, column);
	uint64_t n;
	int ret = query_u64(rd, sql, &n);

	free(sql);
	return ret < 0 ? -1 : n > 0;
}

/* Written by `numamma run -o` only: the table may be missing. */
static int read_placement(struct reader *rd)
{
	int has = has_table(rd, "placement");

	if (has < 0)
		return -1;
	rd->run->has_placement = has;
	if (!has)
		return 0;
	return each_row(rd, "SELECT object_id, pid, size, pages, present, on_intended, absent,"
			" skipped, nodes, rule FROM placement ORDER BY rowid", placement_row);
}

/* Columns from first on: callsite_id, allocations, frees, bytes,
 * peak_live_bytes, max_bytes, live_bytes. */
static void read_total(sqlite3_stmt *st, int first, struct prof_callsite_total *t)
{
	t->callsite_id = col_int(st, first, 0);
	t->allocations = col_int(st, first + 1, 0);
	t->frees = col_int(st, first + 2, 0);
	t->bytes = col_int(st, first + 3, 0);
	t->peak_live_bytes = col_int(st, first + 4, 0);
	t->has_max_live = sqlite3_column_type(st, first + 5) != SQLITE_NULL;
	t->max_bytes = col_int(st, first + 5, 0);
	t->live_bytes = col_int(st, first + 6, 0);
}

static void site_caller_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_site_caller *c = PUSH(run->site_callers, run->nsite_callers);

	c->pid = col_int(st, 0, 0);
	read_total(st, 1, &c->t);
}

/* Per site, its processes' counts summed (a peak so summed is the most
 * the site can have had live at once), from its callers in a row. */
static void sum_site_callers(struct prof_run *run)
{
	for (size_t i = 0; i < run->nsite_callers; i++) {
		const struct prof_callsite_total *c = &run->site_callers[i].t;
		struct prof_callsite_total *t = run->ncallsite_totals ?
						&run->callsite_totals[run->ncallsite_totals - 1] : NULL;

		if (!t || t->callsite_id != c->callsite_id) {
			*PUSH(run->callsite_totals, run->ncallsite_totals) = *c;
			continue;
		}
		t->allocations += c->allocations;
		t->frees += c->frees;
		t->bytes += c->bytes;
		t->peak_live_bytes += c->peak_live_bytes;
		t->live_bytes += c->live_bytes;
		if (c->has_max_live && (!t->has_max_live || c->max_bytes > t->max_bytes))
			t->max_bytes = c->max_bytes;
		t->has_max_live |= c->has_max_live;
	}
}

/* Newer profiles count every allocation per call site; older ones have
 * only the objects.  Per site and process, then per site (summed here:
 * a second GROUP BY sorted the table again, 0.1 s of a report of 175,000
 * sites).  Older profiles' rows have no max_bytes or live_bytes (NULL
 * here). */
static int read_callsite_totals(struct reader *rd)
{
	int has = has_table(rd, "callsite_totals"), newer;
	char *sql;

	if (has <= 0)
		return has;
	newer = has_column(rd, "callsite_totals", "live_bytes");
	if (newer < 0)
		return -1;
	sql = xasprintf("SELECT pid, callsite_id, sum(allocations), sum(frees), sum(bytes),"
			" sum(peak_live_bytes), %s FROM callsite_totals"
			" GROUP BY callsite_id, pid ORDER BY callsite_id, pid",
			newer ? "max(max_bytes), sum(live_bytes)" : "NULL, NULL");
	has = each_row(rd, sql, site_caller_row);
	free(sql);
	if (has < 0)
		return -1;
	sum_site_callers(rd->run);
	return 0;
}

/* ---- details (JSON, CSV, HTML reports) ---- */

static void object_thread_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_object_thread *t = PUSH(run->object_threads, run->nobject_threads);

	t->object_id = col_int(st, 0, 0);
	t->tid = (pid_t)col_int(st, 1, 0);
	t->samples = col_int(st, 2, 0);
	t->reads = col_int(st, 3, 0);
	t->writes = col_int(st, 4, 0);
}

static void object_node_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_object_node *n = PUSH(run->object_nodes, run->nobject_nodes);

	n->object_id = col_int(st, 0, 0);
	n->node = (int)col_int(st, 1, -1);
	n->samples = col_int(st, 2, 0);
}

static void object_page_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_object_page *p = PUSH(run->object_pages, run->nobject_pages);

	p->object_id = col_int(st, 0, 0);
	p->page = col_int(st, 1, 0);
	p->tid = (pid_t)col_int(st, 2, 0);
	p->samples = col_int(st, 3, 0);
}

static void line_row(struct prof_run *run, sqlite3_stmt *st)
{
	struct prof_line *l = PUSH(run->lines, run->nlines);

	l->object_id = col_int(st, 0, 0);
	l->addr = col_int(st, 1, 0);
	l->writers = (int)col_int(st, 2, 0);
	l->tids = col_str(run, st, 3);
}

static int read_detail(struct reader *rd)
{
	return each_row(rd, "SELECT object_id, tid, sum(samples), sum(reads), sum(writes)"
			" FROM object_thread GROUP BY object_id, tid ORDER BY object_id, tid",
			object_thread_row) < 0 ||
	       each_row(rd, "SELECT object_id, node, sum(samples) FROM object_node"
			" GROUP BY object_id, node ORDER BY object_id, node", object_node_row) < 0 ||
	       each_row(rd, "SELECT object_id, page, tid, samples FROM object_page_thread"
			" ORDER BY object_id, page, tid", object_page_row) < 0 ||
	       each_row(rd, "SELECT object_id, address, writers, tids FROM line_writers"
			" WHERE writers >= 2 ORDER BY object_id, address", line_row) < 0 ? -1 : 0;
}

static int read_access(struct reader *rd)
{
	if (ensure_aggregates(rd) < 0 ||
	    each_row(rd, "SELECT object_id, sum(samples), sum(reads), sum(writes), count(DISTINCT tid),"
		     " sum(weight) FROM object_thread GROUP BY object_id ORDER BY object_id", access_row) < 0 ||
	    each_row(rd, "SELECT object_id, count(*), sum(node <> page_node) FROM samples"
		     " WHERE object_id IS NOT NULL AND node IS NOT NULL AND page_node IS NOT NULL"
		     " GROUP BY object_id", remote_row) < 0 ||
	    read_spans(rd) < 0 ||
	    each_row(rd, "SELECT object_id, tids FROM line_writers WHERE writers >= 2",
		     line_shared_row) < 0 ||
	    each_row(rd, "SELECT tid_a, tid_b, shared_pages, shared_lines FROM thread_sharing"
		     " ORDER BY rowid", sharing_row) < 0)
		return -1;
	return read_placement(rd) < 0 || read_callsite_totals(rd) < 0 ? -1 : 0;
}

/* ---- lookups ---- */

/* Binary search of a table sorted by its first field, an int64_t id. */
static const void *by_id(const void *table, size_t n, size_t size, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t at = *(const int64_t *)((const char *)table + mid * size);

		if (at == id)
			return (const char *)table + mid * size;
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct prof_object *prof_object(const struct prof_run *r, int64_t id)
{
	return by_id(r->objects, r->nobjects, sizeof(*r->objects), id);
}

const struct prof_callsite *prof_callsite(const struct prof_run *r, int64_t id)
{
	return by_id(r->callsites, r->ncallsites, sizeof(*r->callsites), id);
}

const struct prof_access *prof_access(const struct prof_run *r, int64_t object_id)
{
	return by_id(r->access, r->naccess, sizeof(*r->access), object_id);
}

const struct prof_callsite_total *prof_callsite_total(const struct prof_run *r, int64_t id)
{
	return by_id(r->callsite_totals, r->ncallsite_totals, sizeof(*r->callsite_totals), id);
}

static int by_site_caller(const void *a, const void *b)
{
	const struct prof_site_caller *x = a, *y = b;

	if (x->t.callsite_id != y->t.callsite_id)
		return x->t.callsite_id < y->t.callsite_id ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

bool prof_site_called(const struct prof_run *r, int64_t id, pid_t pid)
{
	struct prof_site_caller key = { .pid = pid, .t.callsite_id = id };
	const struct prof_site_caller *c = r->nsite_callers ?
		bsearch(&key, r->site_callers, r->nsite_callers, sizeof(key), by_site_caller) : NULL;

	return c && c->t.allocations;
}

void prof_each_counted(const struct prof_run *r, pid_t pid,
		       void (*fn)(void *arg, const struct prof_callsite_total *t), void *arg)
{
	if (!pid) {
		for (size_t i = 0; i < r->ncallsite_totals; i++)
			fn(arg, &r->callsite_totals[i]);
		return;
	}
	for (size_t i = 0; i < r->nsite_callers; i++)
		if (r->site_callers[i].pid == pid && r->site_callers[i].t.allocations)
			fn(arg, &r->site_callers[i].t);
}

const struct prof_module *prof_module(const struct prof_run *r, const char *module)
{
	for (size_t i = 0; module && i < r->nmodules; i++)
		if (r->modules[i].module && !strcmp(r->modules[i].module, module))
			return &r->modules[i];
	return NULL;
}

/* ---- whole profiles ---- */

bool profile_is_database(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	bool yes;

	if (!f)
		return false;
	yes = fread(head, 1, sizeof(head), f) == sizeof(head) && !memcmp(head, magic, sizeof(head));
	fclose(f);
	return yes;
}

int profile_read_db(struct profile *p, struct nm_db *db, unsigned what)
{
	struct reader rd = { .db = db, .sql = db_sqlite(db) };
	const char *file = sqlite3_db_filename(rd.sql, "main");

	rd.run = PUSH(p->runs, p->nruns);
	rd.run->file = xstrdup(file && *file ? file : db_path(db));
	if (read_machine(&rd) < 0 || read_objects(&rd, what) < 0 ||
	    ((what & PROFILE_ACCESS) && read_access(&rd) < 0) ||
	    ((what & PROFILE_DETAIL) && read_detail(&rd) < 0))
		return -1;
	return 0;
}

int profile_load(struct profile *p, const char *const *paths, int npaths, unsigned what)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < npaths; i++) {
		struct nm_db *db = db_open(paths[i]);
		int ret = db ? profile_read_db(p, db, what) : -1;

		db_close(db);
		if (ret < 0) {
			profile_free(p);
			return -1;
		}
	}
	return 0;
}

static void free_run(struct prof_run *r)
{
	for (size_t i = 0; i < r->ncallsites; i++)
		free(r->callsites[i].frames);
	free(r->locations);
	free(r->cpus), free(r->nodes), free(r->processes), free(r->threads), free(r->modules);
	free(r->callsites), free(r->thread_cpus), free(r->objects), free(r->samples);
	free(r->binaries), free(r->access), free(r->sharing), free(r->placement);
	free(r->callsite_totals), free(r->site_callers), free(r->object_threads), free(r->object_nodes);
	free(r->object_pages), free(r->lines);
	free(r->file);
	strtab_free(r->strings);
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->nruns; i++)
		free_run(&p->runs[i]);
	free(p->runs);
	memset(p, 0, sizeof(*p));
}
