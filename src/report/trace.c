/* --format=trace: Chrome trace-event JSON, as Perfetto and
 * chrome://tracing open it.  Per thread, the lifetime of the heap and
 * mmap objects it allocated (async slices, from allocation to free or to
 * the end of the run) and a counter of its samples per bin of time.
 * Times are microseconds since the start of the run.
 *
 * Bounded whatever the profile's size: the TRACE_MAX_OBJECTS most
 * sampled (then largest) objects, the TRACE_MAX_THREADS most sampled
 * threads, at most TRACE_MAX_BINS bins per thread (10 ms each, wider for
 * a run longer than 5 s), call sites cut to TRACE_MAX_NAME bytes;
 * "otherData" says what was left out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

#define BIN_NS 10000000ull      /* sample density: 10 ms bins at the finest */
#define TRACE_MAX_OBJECTS 1000
#define TRACE_MAX_THREADS 32
#define TRACE_MAX_BINS 500
#define TRACE_MAX_NAME 200

struct trace {
	FILE *f;
	const struct prof_run *run;
	const struct report_opts *opts;
	size_t nevents;
	uint64_t bin_ns;
	/* The threads given a counter (and a name): indexes into run->threads. */
	size_t threads[TRACE_MAX_THREADS], nthreads;
	size_t objects, objects_shown;
};

/* Starts an event: JSON wants commas between them, none after the last. */
static FILE *event(struct trace *tr)
{
	fputs(tr->nevents++ ? ",\n{" : "\n{", tr->f);
	return tr->f;
}

static double us(const struct prof_run *run, uint64_t ns)
{
	return ns > run->run.start_ns ? (ns - run->run.start_ns) / 1e3 : 0;
}

static const struct prof_thread *shown_thread(const struct trace *tr, pid_t pid, pid_t tid)
{
	for (size_t i = 0; i < tr->nthreads; i++) {
		const struct prof_thread *t = &tr->run->threads[tr->threads[i]];

		if (t->pid == pid && t->tid == tid)
			return t;
	}
	return NULL;
}

static void names(struct trace *tr)
{
	const struct prof_run *run = tr->run;

	for (size_t i = 0; i < run->nprocesses && i < TRACE_MAX_THREADS; i++) {
		fprintf(event(tr), "\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %d,"
			" \"args\": {\"name\": ", run->processes[i].pid);
		json_string(tr->f, run->processes[i].exe ? basename_of(run->processes[i].exe) : "?");
		fputs("}}", tr->f);
	}
	for (size_t i = 0; i < tr->nthreads; i++) {
		const struct prof_thread *t = &run->threads[tr->threads[i]];

		fprintf(event(tr), "\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %d, \"tid\": %d,"
			" \"args\": {\"name\": \"rank %d (tid %d)\"}}", t->pid, t->tid, t->rank, t->tid);
	}
}

/* An object still live at the end lasts until the run's end. */
static uint64_t end_of(const struct prof_run *run, const struct prof_object *o)
{
	if (o->free_ns)
		return o->free_ns;
	return run->run.has_end && run->run.end_ns > o->alloc_ns ? run->run.end_ns : o->alloc_ns;
}

/* A call site's text, cut on a character boundary. */
static char *slice_name(const struct prof_run *run, int64_t callsite_id)
{
	char *s = describe_callsite(run, callsite_id);
	size_t n = strlen(s);

	if (n > TRACE_MAX_NAME) {
		n = TRACE_MAX_NAME;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		s[n] = 0;
	}
	return s;
}

static void lifetime(struct trace *tr, const struct prof_object *o)
{
	char *where = slice_name(tr->run, o->callsite_id);

	for (int k = 0; k < 2; k++) {
		fprintf(event(tr), "\"ph\": \"%s\", \"cat\": \"alloc\", \"id\": %" PRId64
			", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"name\": ", k ? "e" : "b",
			o->id, o->pid, o->tid, us(tr->run, k ? end_of(tr->run, o) : o->alloc_ns));
		json_string(tr->f, where);
		fprintf(tr->f, ", \"args\": {\"object\": %" PRId64 ", \"bytes\": %" PRIu64 "}}",
			o->id, o->size);
	}
	free(where);
}

static uint64_t object_samples(const struct prof_run *run, const struct prof_object *o)
{
	const struct prof_access *a = prof_access(run, o->id);

	return a ? a->samples : 0;
}

static const struct prof_run *order_run;   /* for qsort's comparators */

/* The most sampled first, then the largest, then the first allocated. */
static int by_interest(const void *x, const void *y)
{
	const struct prof_object *p = *(const struct prof_object *const *)x;
	const struct prof_object *q = *(const struct prof_object *const *)y;
	uint64_t sp = object_samples(order_run, p), sq = object_samples(order_run, q);

	if (sp != sq)
		return CMP(sq, sp);
	return p->size != q->size ? CMP(q->size, p->size) : CMP(p->id, q->id);
}

static int by_id(const void *x, const void *y)
{
	return CMP((*(const struct prof_object *const *)x)->id, (*(const struct prof_object *const *)y)->id);
}

/* The heap and mmap objects (of --pid), at most TRACE_MAX_OBJECTS of
 * them, in allocation order. */
static void lifetimes(struct trace *tr)
{
	const struct prof_run *run = tr->run;
	const struct prof_object **keep = xmalloc((run->nobjects + 1) * sizeof(*keep));
	size_t n = 0;

	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];

		if ((o->kind == OBJ_HEAP || o->kind == OBJ_MMAP) &&
		    (!tr->opts->pid || o->pid == tr->opts->pid))
			keep[n++] = o;
	}
	tr->objects = n;
	if (n > TRACE_MAX_OBJECTS) {
		order_run = run;
		qsort(keep, n, sizeof(*keep), by_interest);
		n = TRACE_MAX_OBJECTS;
		qsort(keep, n, sizeof(*keep), by_id);
	}
	tr->objects_shown = n;
	for (size_t i = 0; i < n; i++)
		lifetime(tr, keep[i]);
	free(keep);
}

struct thread_rank {
	size_t index;           /* into run->threads */
	uint64_t samples;
};

static int by_samples(const void *x, const void *y)
{
	const struct thread_rank *p = x, *q = y;

	return p->samples != q->samples ? CMP(q->samples, p->samples) : CMP(p->index, q->index);
}

/* The TRACE_MAX_THREADS most sampled threads (of --pid), then the first
 * recorded. */
static void choose_threads(struct trace *tr)
{
	const struct prof_run *run = tr->run;
	struct thread_rank *r = xcalloc(run->nthreads + 1, sizeof(*r));
	size_t n = 0;

	for (size_t i = 0; i < run->nthreads; i++) {
		const struct prof_thread *t = &run->threads[i];

		if (tr->opts->pid && t->pid != tr->opts->pid)
			continue;
		r[n].index = i;
		for (size_t k = 0; k < run->nthread_cpus; k++)
			if (run->thread_cpus[k].pid == t->pid && run->thread_cpus[k].tid == t->tid)
				r[n].samples += run->thread_cpus[k].samples;
		n++;
	}
	qsort(r, n, sizeof(*r), by_samples);
	for (size_t i = 0; i < n && i < TRACE_MAX_THREADS; i++)
		tr->threads[tr->nthreads++] = r[i].index;
	free(r);
}

/* 10 ms, or as many 10 ms as keep the run within TRACE_MAX_BINS bins. */
static uint64_t bin_width(const struct prof_run *run)
{
	uint64_t last = run->run.has_end ? run->run.end_ns : run->run.start_ns;
	uint64_t span;

	for (size_t i = 0; i < run->nsamples; i++)
		if (run->samples[i].time_ns > last)
			last = run->samples[i].time_ns;
	span = last > run->run.start_ns ? last - run->run.start_ns : 0;
	return BIN_NS * (span / (BIN_NS * TRACE_MAX_BINS) + 1);
}

static int by_thread_time(const void *x, const void *y)
{
	const struct prof_sample *p = x, *q = y;

	if (p->pid != q->pid)
		return CMP(p->pid, q->pid);
	return p->tid != q->tid ? CMP(p->tid, q->tid) : CMP(p->time_ns, q->time_ns);
}

static uint64_t bin_of(const struct trace *tr, const struct prof_sample *s)
{
	const struct prof_run *run = tr->run;

	return s->time_ns > run->run.start_ns ? (s->time_ns - run->run.start_ns) / tr->bin_ns : 0;
}

static void counter(struct trace *tr, const struct prof_sample *s, uint64_t bin, uint64_t n)
{
	fprintf(event(tr), "\"ph\": \"C\", \"name\": \"samples of tid %d\", \"pid\": %d,"
		" \"ts\": %.3f, \"args\": {\"samples\": %" PRIu64 "}}", s->tid, s->pid,
		us(tr->run, tr->run->run.start_ns + bin * tr->bin_ns), n);
}

/* A shown thread's samples per bin; the counter falls back to 0 after a
 * bin followed by an empty one. */
static void density(struct trace *tr, struct prof_run *run)
{
	const struct prof_sample *prev = NULL;
	uint64_t n = 0;

	qsort(run->samples, run->nsamples, sizeof(*run->samples), by_thread_time);
	for (size_t i = 0; i <= run->nsamples; i++) {
		const struct prof_sample *s = i < run->nsamples ? &run->samples[i] : NULL;
		bool same_thread = s && prev && s->tid == prev->tid && s->pid == prev->pid;

		if (s && !same_thread && !shown_thread(tr, s->pid, s->tid)) {
			/* Skip the thread: the samples are sorted by thread. */
			while (i + 1 < run->nsamples && run->samples[i + 1].pid == s->pid &&
			       run->samples[i + 1].tid == s->tid)
				i++;
			s = NULL;
		}
		if (prev && (!same_thread || bin_of(tr, s) != bin_of(tr, prev))) {
			counter(tr, prev, bin_of(tr, prev), n);
			if (!same_thread || bin_of(tr, s) != bin_of(tr, prev) + 1)
				counter(tr, prev, bin_of(tr, prev) + 1, 0);
			n = 0;
		}
		prev = s;
		n = s ? n + 1 : 0;
	}
}

/* What the bounds left out, for a reader to say so. */
static void other_data(struct trace *tr)
{
	fprintf(tr->f, ",\n\"otherData\": {\"objects\": %zu, \"objects_shown\": %zu,"
		" \"threads_shown\": %zu, \"bin_ms\": %" PRIu64 ", \"max_objects\": %d,"
		" \"max_threads\": %d, \"max_bins\": %d}", tr->objects, tr->objects_shown,
		tr->nthreads, tr->bin_ns / 1000000, TRACE_MAX_OBJECTS, TRACE_MAX_THREADS,
		TRACE_MAX_BINS);
}

void report_render_trace(FILE *f, struct prof_run *run, const struct report_opts *opts)
{
	struct trace tr = { .f = f, .run = run, .opts = opts, .bin_ns = bin_width(run) };

	choose_threads(&tr);
	fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [", f);
	names(&tr);
	lifetimes(&tr);
	density(&tr, run);
	fputs("\n]", f);
	other_data(&tr);
	fputs("}\n", f);
}
