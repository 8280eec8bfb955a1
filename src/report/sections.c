/* The sections of `numamma report`, as typed tables built from the
 * profile model: the run, the largest objects, the allocation call sites,
 * the threads, the placement checks of `numamma run -o` and, when the
 * profile has samples, the most accessed objects and the threads sharing
 * memory.  Sorting and --pid/--top are done here, over the model. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demangle.h"
#include "error.h"
#include "langrt.h"
#include "report_int.h"

int want_pid(const struct ctx *c, pid_t pid)
{
	return !c->opts->pid || pid == c->opts->pid;
}

size_t top_n(const struct ctx *c, size_t n)
{
	return n < (size_t)c->opts->top ? n : (size_t)c->opts->top;
}

const char *kind_text(int kind)
{
	return kind >= 0 ? obj_kind_name(kind) : "?";
}

/* Every section is the rows of one table that keep accepts, in the
 * section's order, of which it shows the first --top: pointers to those
 * rows, *n of them, in an array the caller frees.  Comparators see
 * pointers to the rows, which also compare in recording order. */
const void **select_rows(const struct ctx *c, const void *rows, size_t nrows, size_t size,
			 keep_fn keep, int (*order)(const void *, const void *), size_t *n)
{
	const void **v = xcalloc(nrows + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < nrows; i++) {
		const void *row = (const char *)rows + i * size;

		if (keep(c, row))
			v[(*n)++] = row;
	}
	qsort(v, *n, sizeof(*v), order);
	return v;
}

const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The C and C++ runtimes: allocator wrappers, thread and TLS set-up,
 * the code that calls main.  With libc6-dbg installed they have file and
 * line, yet a person looks for their own code.  In a static program they
 * are in the program itself: known by their names, as are C++'s
 * templates instantiated there and Rust's standard library (langrt.h),
 * which has line tables where the program may have none. */
static bool runtime_frame(const struct prof_run *run, const struct prof_frame *f)
{
	static const char *const libs[] = { "libc.so", "libc-", "ld-linux", "ld64.so", "ld-",
					    "libstdc++", "libgcc_s", "libpthread", "libdl" };
	static const char *const entries[] = { "_start", "__libc_start_main", "__libc_start_call_main",
					       "start_thread", "clone", "clone3", "__clone", "__clone3" };
	const struct prof_module *m = prof_module(run, f->module);
	const char *path = m && m->path ? m->path : f->module;
	const char *base;

	for (size_t i = 0; f->function && i < sizeof(entries) / sizeof(*entries); i++)
		if (!strcmp(f->function, entries[i]))
			return true;
	if (langrt_function(f->function))
		return true;
	if (!path)
		return false;
	base = basename_of(path);
	for (size_t i = 0; i < sizeof(libs) / sizeof(*libs); i++)
		if (!strncmp(base, libs[i], strlen(libs[i])))
			return true;
	return false;
}

/* The frame to show: the innermost outside the runtimes with debug info
 * (the program's own code, compiled with -g), else the innermost outside
 * the runtimes (a program without debug info: its allocation wrapper),
 * else the allocator's caller.  Debug info first also skips the libc
 * internals of a static program (pthread_create's stack allocation). */
int shown_depth(const struct prof_run *run, const struct prof_callsite *cs)
{
	for (int any = 0; any < 2; any++)
		for (int i = 0; i < cs->nframes; i++)
			if ((any || cs->frames[i]->file) && !runtime_frame(run, cs->frames[i]))
				return i;
	return cs->nframes ? 0 : -1;
}

const struct prof_frame *shown_frame(const struct prof_run *run, const struct prof_callsite *cs)
{
	int depth = shown_depth(run, cs);

	return depth < 0 ? NULL : cs->frames[depth];
}

char *object_name(const struct prof_object *o)
{
	char *name = o->kind == OBJ_STATIC || o->kind == OBJ_TLS ? demangle(o->name) : NULL;

	return name ? name : o->name ? xstrdup(o->name) : NULL;
}

static void rtable_name(struct rtable *t, const struct prof_object *o)
{
	char *name = object_name(o);

	rtable_str(t, name);
	free(name);
}

/* Where a call site is, for a person: "main (app.c:42)", "main+0x1a" or
 * "libfoo.so+0x1234" depending on what symbolisation found.  In code
 * inlined into the function, its own line ("main (app.cc:5)", not the
 * library header's where the allocation was written). */
char *describe_callsite(const struct prof_run *run, int64_t callsite_id)
{
	const struct prof_callsite *cs = callsite_id ? prof_callsite(run, callsite_id) : NULL;
	const struct prof_frame *f = cs ? shown_frame(run, cs) : NULL;
	const struct prof_module *m;
	const char *file;

	if (!f)
		return xstrdup("-");
	if (f->call_file)
		return xasprintf("%s (%s:%d)", f->function ? f->function : "?", basename_of(f->call_file),
				 f->call_line);
	if (f->file)
		return xasprintf("%s (%s:%d)", f->function ? f->function : "?", basename_of(f->file),
				 f->line);
	if (f->function)
		return xasprintf("%s+%#" PRIx64, f->function, f->func_offset);
	m = prof_module(run, f->module);
	file = m && m->path ? m->path : f->module;
	return xasprintf("%s+%#" PRIx64, basename_of(file ? file : "?"), f->offset);
}

/* A call-site id for the data formats, null for objects without one. */
static void callsite_cell(struct rtable *t, int64_t id)
{
	if (id)
		rtable_int(t, id);
	else
		rtable_null(t);
}

/* ---- Run ---- */

static const struct rcolumn summary_cols[] = { LEFT(NULL), LEFT(NULL) };

/* A profile of an attached process ends with numamma's detach, the
 * process still running: its first process never ended. */
static bool detached(const struct prof_run *run)
{
	return run->run.has_end && !run->run.has_signal && run->nprocesses &&
	       !run->processes[0].ended;
}

static void run_exit(struct rtable *t, const struct prof_run *run)
{
	const struct prof_run_info *ri = &run->run;

	rtable_str(t, "exit");
	if (detached(run))
		rtable_text(t, "detached after %.2f s", (ri->end_ns - ri->start_ns) / 1e9);
	else if (ri->has_signal)
		rtable_text(t, "killed by signal %d (%s)", ri->term_signal, strsignal(ri->term_signal));
	else if (ri->has_exit)
		rtable_text(t, "status %d", ri->exit_status);
	else
		rtable_str(t, ri->has_end ? "unknown" : "unknown: the profile was not finished");
}

static void run_topology(struct rtable *t, const struct prof_run *run)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < run->nnodes; i++) {
		const char *cpus = run->nodes[i].cpus;

		fprintf(f, "%snode %d (cpus %s)", i ? ", " : "", run->nodes[i].node,
			cpus && *cpus ? cpus : "none");
	}
	fclose(f);
	if (run->nnodes) {
		rtable_str(t, "topology");
		rtable_text(t, "%zu node%s: %s", run->nnodes, run->nnodes == 1 ? "" : "s", buf);
	}
	free(buf);
}

struct kind_count {
	int kind;
	int64_t n;
};

static int by_count_then_name(const void *x, const void *y)
{
	const struct kind_count *p = x, *q = y;

	if (p->n != q->n)
		return p->n > q->n ? -1 : 1;
	return strcmp(kind_text(p->kind), kind_text(q->kind));
}

/* "181: 137 static, 29 mapping, ...", the most numerous kind first. */
static void run_objects(struct rtable *t, const struct prof_run *run)
{
	struct kind_count k[OBJ_KIND_LAST + 2];
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int64_t total = 0;

	for (int i = 0; i <= OBJ_KIND_LAST + 1; i++)
		k[i] = (struct kind_count){ i <= OBJ_KIND_LAST ? i : -1, 0 };
	for (size_t i = 0; i < run->nobjects; i++)
		k[run->objects[i].kind >= 0 ? run->objects[i].kind : OBJ_KIND_LAST + 1].n++;
	qsort(k, OBJ_KIND_LAST + 2, sizeof(*k), by_count_then_name);
	for (int i = 0; i <= OBJ_KIND_LAST + 1 && k[i].n; i++) {
		fprintf(f, "%s%" PRId64 " %s", total ? ", " : "", k[i].n, kind_text(k[i].kind));
		total += k[i].n;
	}
	fclose(f);
	rtable_str(t, "objects");
	if (total)
		rtable_text(t, "%" PRId64 ": %s", total, buf);
	else
		rtable_int(t, 0);
	free(buf);
}

static void row(struct rtable *t, const char *label, int64_t n)
{
	rtable_str(t, label);
	rtable_int(t, n);
}

static void run_header(struct rtable *t, const struct prof_run_info *ri)
{
	const char *q = "?";

	rtable_str(t, "command");
	rtable_str(t, ri->command ? ri->command : q);
	rtable_str(t, "host");
	rtable_text(t, "%s (Linux %s)", ri->host ? ri->host : q, ri->kernel ? ri->kernel : q);
	if (ri->has_epoch) {
		time_t epoch = ri->start_epoch;
		char when[64] = "";

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&epoch));
		rtable_str(t, "started");
		rtable_str(t, when);
	}
	if (ri->has_end) {
		rtable_str(t, "duration");
		rtable_duration(t, ri->end_ns - ri->start_ns);
	}
}

static void section_run(struct ctx *c)
{
	const struct prof_run *run = c->run;
	const struct prof_run_info *ri = &run->run;
	const char *sampler = ri->sampler ? ri->sampler : "none";
	struct rtable *t;

	if (!run->has_run) {
		t = report_add_table(c->rep, "run", summary_cols, 2, "Run");
		t->note = xstrdup("no run recorded: numamma stopped before the program started");
		return;
	}
	t = report_add_table(c->rep, "run", summary_cols, 2, "Run (%s)", ri->mode ? ri->mode : "?");
	run_header(t, ri);
	run_exit(t, run);
	rtable_str(t, "sampler");
	if (ri->sampler_reason)
		rtable_text(t, "%s: %s", sampler, ri->sampler_reason);
	else
		rtable_str(t, sampler);
	run_topology(t, run);
	row(t, "processes", run->nprocesses);
	row(t, "threads", run->nthreads);
	run_objects(t, run);
	row(t, "samples", run->total_samples);
	if (ri->samples_dropped) {
		rtable_str(t, "raw");
		rtable_str(t, "not kept (--no-raw): counts by object, page, thread and node only");
	}
	/* The program's time in numamma's code, with a time-based sampler. */
	if (run->agent_samples) {
		rtable_str(t, "agent");
		rtable_text(t, "%" PRIu64 " more samples of numamma's agent in the program (its code"
			    " at each allocation, its memory), not stored", run->agent_samples);
	}
	/* Said at the end of the run, and here to whoever reads it later:
	 * the call sites' counts miss these. */
	if (ri->calls_lost) {
		rtable_str(t, "lost");
		rtable_text(t, "%" PRId64 " allocator calls counted, not recorded (runs.calls_lost)",
			    ri->calls_lost);
	}
}

/* ---- Largest objects ---- */

static const struct rcolumn object_cols[] = {
	RIGHT("ID"), LEFT("KIND"), RIGHT("SIZE"), RIGHT("TID"),
	NULLS("NAME", 'l', "-"), CODE("ALLOCATED AT"), DATA("CALLSITE"),
};

static int by_size_then_id(const void *x, const void *y)
{
	const struct prof_object *p = ROW(struct prof_object, x), *q = ROW(struct prof_object, y);

	return p->size != q->size ? CMP(q->size, p->size) : CMP(p->id, q->id);
}

static int largest_kept(const struct ctx *c, const void *row)
{
	const struct prof_object *o = row;

	return o->kind >= 0 && o->kind != OBJ_MAPPING && o->kind != OBJ_STACK && want_pid(c, o->pid);
}

/* A thread's stack, by process then address. */
struct stack_span {
	pid_t pid;
	uint64_t start, end, alloc_ns;
};

static int by_pid_address(const void *x, const void *y)
{
	const struct stack_span *p = x, *q = y;

	return p->pid != q->pid ? CMP(p->pid, q->pid) : CMP(p->start, q->start);
}

static struct stack_span *stack_spans(const struct prof_run *run, size_t *n)
{
	struct stack_span *s = xcalloc(run->nobjects + 1, sizeof(*s));

	*n = 0;
	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];

		if (o->kind == OBJ_STACK)
			s[(*n)++] = (struct stack_span){ o->pid, o->addr, o->addr + o->size,
							 o->alloc_ns };
	}
	qsort(s, *n, sizeof(*s), by_pid_address);
	return s;
}

/* Whether mmap o is the reservation a thread's stack was made in
 * (pthread_create's): the first stack of its process at or above its
 * start lies within it, made while it was mapped. */
static bool holds_stack(const struct stack_span *s, size_t n, const struct prof_object *o)
{
	size_t lo = 0, hi = n;

	if (o->kind != OBJ_MMAP)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].pid < o->pid || (s[mid].pid == o->pid && s[mid].start < o->addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && s[lo].pid == o->pid && s[lo].end <= o->addr + o->size &&
	       s[lo].alloc_ns >= o->alloc_ns && (!o->free_ns || s[lo].alloc_ns <= o->free_ns);
}

/* Mappings are left out: code and libraries would crowd out the
 * program's own data; so are threads' stacks and the mmaps made for
 * them, reservations mostly untouched (sixteen threads' 8 MiB filled
 * the table). */
static void section_objects(struct ctx *c)
{
	const struct prof_run *run = c->run;
	struct rtable *t = report_add_table(c->rep, "objects", object_cols, 7, "Largest objects");
	size_t n, nstacks, shown = 0;
	const void **v = select_rows(c, run->objects, run->nobjects, sizeof(*run->objects),
				     largest_kept, by_size_then_id, &n);
	struct stack_span *stacks = stack_spans(run, &nstacks);

	for (size_t i = 0; i < n && shown < top_n(c, n); i++) {
		const struct prof_object *o = v[i];
		char *where;

		if (holds_stack(stacks, nstacks, o))
			continue;
		shown++;
		where = describe_callsite(run, o->callsite_id);

		rtable_int(t, o->id);
		rtable_str(t, kind_text(o->kind));
		rtable_bytes(t, o->size);
		rtable_int(t, o->tid);
		rtable_name(t, o);
		rtable_str(t, where);
		callsite_cell(t, o->callsite_id);
		free(where);
	}
	free(stacks);
	free(v);
}

/* ---- Threads ---- */

static const struct rcolumn thread_cols[] = {
	RIGHT("PID"), RIGHT("TID"), NULLS("RANK", 'r', "0"), RIGHT("ALLOCS"),
	RIGHT("BYTES"), RIGHT("SAMPLES"),
};

struct thread_total {
	const struct prof_thread *t;
	int64_t allocs, samples;
	uint64_t bytes;
};

static int by_bytes_samples_pid_rank(const void *x, const void *y)
{
	const struct thread_total *p = ROW(struct thread_total, x), *q = ROW(struct thread_total, y);

	if (p->bytes != q->bytes)
		return CMP(q->bytes, p->bytes);
	if (p->samples != q->samples)
		return CMP(q->samples, p->samples);
	if (p->t->pid != q->t->pid)
		return CMP(p->t->pid, q->t->pid);
	return p->t->rank != q->t->rank ? CMP(p->t->rank, q->t->rank) : CMP(p, q);
}

static int thread_kept(const struct ctx *c, const void *row)
{
	return want_pid(c, ((const struct thread_total *)row)->t->pid);
}

static int by_tid(const void *x, const void *y)
{
	return CMP((*(struct thread_total *const *)x)->t->tid, (*(struct thread_total *const *)y)->t->tid);
}

/* The first of the n threads sorted by tid with this tid, or n. */
static size_t first_with_tid(struct thread_total *const *v, size_t n, pid_t tid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->t->tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->t->tid == tid ? lo : n;
}

/* Allocations are what the thread asked for: heap blocks and mmaps, every
 * call where the profile counts them per thread, else those with rows
 * (a profile written before).  Objects and samples are counted by tid,
 * whatever their process (two threads of one tid, in two processes, both
 * get them). */
static void thread_totals(const struct prof_run *run, struct thread_total *tt)
{
	struct thread_total **v = xcalloc(run->nthreads + 1, sizeof(*v));
	size_t n = run->nthreads;
	bool calls = n && run->threads[0].has_calls;

	for (size_t i = 0; i < n; i++) {
		v[i] = &tt[i];
		tt[i].allocs = (int64_t)tt[i].t->allocations;
		tt[i].bytes = tt[i].t->bytes;
	}
	qsort(v, n, sizeof(*v), by_tid);
	for (size_t o = 0; o < run->nobjects && !calls; o++) {
		const struct prof_object *obj = &run->objects[o];

		if (obj->kind != OBJ_HEAP && obj->kind != OBJ_MMAP)
			continue;
		for (size_t i = first_with_tid(v, n, obj->tid); i < n && v[i]->t->tid == obj->tid; i++) {
			v[i]->allocs++;
			v[i]->bytes += obj->size;
		}
	}
	for (size_t s = 0; s < run->nthread_cpus; s++) {
		const struct prof_thread_cpu *tc = &run->thread_cpus[s];

		for (size_t i = first_with_tid(v, n, tc->tid); i < n && v[i]->t->tid == tc->tid; i++)
			v[i]->samples += tc->samples;
	}
	free(v);
}

static void section_threads(struct ctx *c)
{
	const struct prof_run *run = c->run;
	struct thread_total *tt = xcalloc(run->nthreads + 1, sizeof(*tt));
	struct rtable *t = report_add_table(c->rep, "threads", thread_cols, 6, "Threads");
	const void **v;
	size_t n;

	for (size_t i = 0; i < run->nthreads; i++)
		tt[i].t = &run->threads[i];
	thread_totals(run, tt);
	v = select_rows(c, tt, run->nthreads, sizeof(*tt), thread_kept, by_bytes_samples_pid_rank, &n);
	for (size_t i = 0; i < top_n(c, n); i++) {
		const struct thread_total *th = v[i];

		rtable_int(t, th->t->pid);
		rtable_int(t, th->t->tid);
		if (th->t->rank >= 0)
			rtable_int(t, th->t->rank);
		else
			rtable_null(t);
		rtable_int(t, th->allocs);
		rtable_bytes(t, th->bytes);
		rtable_int(t, th->samples);
	}
	free(v);
	free(tt);
}

/* ---- Placement (numamma run) ---- */

static const struct rcolumn placement_cols[] = {
	RIGHT("ID"), LEFT("KIND"), RIGHT("SIZE"), RIGHT("PAGES"),
	PERCENT("ON INTENDED", 1, "-"), RIGHT("UNTOUCHED"), RIGHT("SKIPPED"),
	NULLS("NODES", 'l', "-"), NULLS("RULE", 'l', ""),
};

/* The worst placed first, objects never touched last. */
static int by_placement(const void *x, const void *y)
{
	const struct prof_placement *p = ROW(struct prof_placement, x);
	const struct prof_placement *q = ROW(struct prof_placement, y);
	double rp = (double)p->on_intended / (p->present ? p->present : 1);
	double rq = (double)q->on_intended / (q->present ? q->present : 1);

	if (!p->present != !q->present)
		return !p->present ? 1 : -1;
	if (rp != rq)
		return rp < rq ? -1 : 1;
	return p->size != q->size ? CMP(q->size, p->size) : CMP(p, q);
}

static int placement_kept(const struct ctx *c, const void *row)
{
	return want_pid(c, ((const struct prof_placement *)row)->pid);
}

static void placement_row(struct rtable *t, const struct prof_run *run,
			  const struct prof_placement *p)
{
	const struct prof_object *o = prof_object(run, p->object_id);

	rtable_int(t, p->object_id);
	rtable_str(t, o ? kind_text(o->kind) : "?");
	rtable_bytes(t, p->size);
	rtable_int(t, p->pages);
	if (p->present)
		rtable_percent(t, 100.0 * p->on_intended / p->present);
	else
		rtable_null(t);
	rtable_int(t, p->absent);
	rtable_int(t, p->skipped);
	rtable_str(t, p->nodes);
	rtable_str(t, p->rule);
}

/* `numamma run -o`: where the placed objects' pages landed. */
static void section_placement(struct ctx *c)
{
	const struct prof_run *run = c->run;
	const void **v;
	struct rtable *t;
	size_t n;

	if (!run->has_placement)
		return;
	t = report_add_table(c->rep, "placement", placement_cols, 9, "Placement (numamma run)");
	v = select_rows(c, run->placement, run->nplacement, sizeof(*run->placement), placement_kept,
			by_placement, &n);
	for (size_t i = 0; i < top_n(c, n); i++)
		placement_row(t, run, v[i]);
	free(v);
}

/* ---- Most accessed objects ---- */

static const struct rcolumn hot_cols[] = {
	RIGHT("ID"), LEFT("KIND"), RIGHT("SIZE"), RIGHT("SAMPLES"), PERCENT("WRITES", 0, "?"),
	PERCENT("REMOTE", 0, "-"), RIGHT("THREADS"), LEFT("PATTERN"),
	NULLS("NAME", 'l', "-"), CODE("ALLOCATED AT"), DATA("CALLSITE"),
	DATA("READS"), DATA("LOCATED"), DATA("REMOTE SAMPLES"),
};
#define HOT_NCOLS (int)(sizeof(hot_cols) / sizeof(*hot_cols))

/* What the samples say about how threads use an object, judged on the
 * threads doing its work (a serial initialisation's sweep and threads
 * with few samples left out: include/access_spans.h).  Disjoint page
 * ranges per thread is the partitioned-array case that first-touch or
 * per-thread placement serves well; "shared read" objects can be
 * replicated or interleaved; lines written by several threads hint at
 * false sharing. */
const char *access_pattern(const struct prof_access *a)
{
	if (a->line_shared_writes)
		return "false sharing suspect";
	if (a->spans.workers < 2)
		return "one thread";
	if (!a->spans.spans_overlap)
		return "each thread its own block";
	if (!a->spans.page_shared)
		return "threads interleave pages";
	/* Mostly reads: under one write in ten samples. */
	if (a->writes * 10 < a->reads + a->writes)
		return "shared read";
	return "shared read-write";
}

static int by_samples_then_id(const void *x, const void *y)
{
	const struct prof_access *p = ROW(struct prof_access, x), *q = ROW(struct prof_access, y);

	return p->samples != q->samples ? CMP(q->samples, p->samples) : CMP(p->object_id, q->object_id);
}

static int hot_kept(const struct ctx *c, const void *row)
{
	const struct prof_object *o = prof_object(c->run, ((const struct prof_access *)row)->object_id);

	return o && want_pid(c, o->pid);
}

/* WRITES: unknown when the sampler cannot tell reads from writes (page
 * faults), rather than a misleading 0%. */
static void hot_row(struct rtable *t, const struct prof_run *run, const struct prof_object *o,
		    const struct prof_access *a)
{
	char *where = describe_callsite(run, o->callsite_id);

	rtable_int(t, o->id);
	rtable_str(t, kind_text(o->kind));
	rtable_bytes(t, o->size);
	rtable_int(t, a->samples);
	if (a->reads + a->writes)
		rtable_percent(t, 100.0 * a->writes / a->samples);
	else
		rtable_null(t);
	if (a->located)
		rtable_percent(t, 100.0 * a->remote / a->located);
	else
		rtable_null(t);
	rtable_int(t, a->threads);
	rtable_str(t, access_pattern(a));
	rtable_name(t, o);
	rtable_str(t, where);
	callsite_cell(t, o->callsite_id);
	rtable_int(t, a->reads);
	rtable_int(t, a->located);
	rtable_int(t, a->remote);
	free(where);
}

/* REMOTE: among the samples whose cpu node and page node are both known. */
static void section_hot_objects(struct ctx *c)
{
	const struct prof_run *run = c->run;
	struct rtable *t = report_add_table(c->rep, "accessed", hot_cols, HOT_NCOLS, "Most accessed objects");
	size_t n;
	const void **v = select_rows(c, run->access, run->naccess, sizeof(*run->access), hot_kept,
				     by_samples_then_id, &n);

	for (size_t i = 0; i < top_n(c, n); i++) {
		const struct prof_access *a = v[i];

		hot_row(t, run, prof_object(run, a->object_id), a);
	}
	free(v);
}

/* ---- Threads sharing memory ---- */

static const struct rcolumn sharing_cols[] = {
	RIGHT("TID A"), RIGHT("TID B"), RIGHT("SHARED PAGES"), RIGHT("SHARED LINES"),
};

static int by_sharing(const void *x, const void *y)
{
	const struct prof_sharing *p = ROW(struct prof_sharing, x), *q = ROW(struct prof_sharing, y);

	if (p->pages != q->pages)
		return CMP(q->pages, p->pages);
	if (p->lines != q->lines)
		return CMP(q->lines, p->lines);
	return p->tid_a != q->tid_a ? CMP(p->tid_a, q->tid_a) : CMP(p->tid_b, q->tid_b);
}

/* With --pid, the pairs whose first thread belongs to it. */
static int cmp_pid(const void *x, const void *y)
{
	return CMP(*(const pid_t *)x, *(const pid_t *)y);
}

static int sharing_kept(const struct ctx *c, const void *row)
{
	const struct prof_sharing *s = row;

	return !c->opts->pid ||
	       bsearch(&s->tid_a, c->pid_tids, c->npid_tids, sizeof(pid_t), cmp_pid) != NULL;
}

static void index_pid_tids(struct ctx *c)
{
	c->pid_tids = xcalloc(c->run->nthreads + 1, sizeof(pid_t));
	for (size_t i = 0; i < c->run->nthreads; i++)
		if (c->run->threads[i].pid == c->opts->pid)
			c->pid_tids[c->npid_tids++] = c->run->threads[i].tid;
	qsort(c->pid_tids, c->npid_tids, sizeof(pid_t), cmp_pid);
}

static void section_sharing(struct ctx *c)
{
	const struct prof_run *run = c->run;
	struct rtable *t = report_add_table(c->rep, "sharing", sharing_cols, 4, "Threads sharing memory");
	size_t n;
	const void **v;

	index_pid_tids(c);
	v = select_rows(c, run->sharing, run->nsharing, sizeof(*run->sharing),
			sharing_kept, by_sharing, &n);
	for (size_t i = 0; i < top_n(c, n); i++) {
		const struct prof_sharing *s = v[i];

		rtable_int(t, s->tid_a);
		rtable_int(t, s->tid_b);
		rtable_int(t, s->pages);
		rtable_int(t, s->lines);
	}
	free(v);
	free(c->pid_tids);
}

/* ---- the whole report ---- */

static uint64_t samples_of(const struct ctx *c)
{
	uint64_t n = 0;

	if (!c->opts->pid)
		return c->run->total_samples;
	for (size_t i = 0; i < c->run->nthread_cpus; i++)
		if (c->run->thread_cpus[i].pid == c->opts->pid)
			n += c->run->thread_cpus[i].samples;
	return n;
}

/* Why a profile has no access section, and what to try. */
static void no_samples(struct ctx *c)
{
	const struct prof_run_info *ri = &c->run->run;
	struct rtable *t = report_add_table(c->rep, "accessed", hot_cols, HOT_NCOLS, "Most accessed objects");

	if (!c->run->has_run)
		t->note = xstrdup("no samples: the program never ran");
	else if (ri->mode && !strcmp(ri->mode, "run") && (!ri->sampler || !strcmp(ri->sampler, "none")))
		t->note = xstrdup("no samples: this run was recorded without a sampler"
				  " (numamma run -o samples as profile does, unless -s none)");
	else if (c->opts->pid && c->run->total_samples)
		t->note = xasprintf("no samples in process %" PRId64 " (the other processes have some)",
				    c->opts->pid);
	else if (!ri->sampler || !strcmp(ri->sampler, "none"))
		t->note = xasprintf("no samples: no sampler ran (%s); profile again with one"
				    " (numamma profile --list-samplers says which work here)",
				    ri->sampler_reason && *ri->sampler_reason ? ri->sampler_reason
									      : "none");
	else
		t->note = xasprintf("no samples: the %s sampler recorded none; the program ran too"
				    " briefly or touched too little memory for it: profile a longer"
				    " run, or a smaller --period", ri->sampler);
}

void report_build(const struct prof_run *run, const struct report_opts *opts, struct report *rep)
{
	struct ctx c = { .run = run, .opts = opts, .rep = rep };

	memset(rep, 0, sizeof(*rep));
	section_run(&c);
	if (opts->object) {
		section_object(&c);
		report_build_detail(&c);
		return;
	}
	section_objects(&c);
	section_callsites(&c);
	section_threads(&c);
	section_placement(&c);
	if (!samples_of(&c))
		no_samples(&c);
	else if (run->aggregates_missing)
		rep->access_left_out = true;
	else {
		section_hot_objects(&c);
		section_sharing(&c);
	}
	if (opts->detail)
		report_build_detail(&c);
}
