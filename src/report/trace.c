/* --format=trace: Chrome trace-event JSON, as Perfetto and
 * chrome://tracing open it.  Per thread, the lifetime of every heap and
 * mmap object it allocated (async slices, from allocation to free or to
 * the end of the run) and a counter of its samples per 10 ms.  Times are
 * microseconds since the start of the run. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

#define BIN_NS 10000000ull      /* sample density: 10 ms bins */

struct trace {
	FILE *f;
	const struct prof_run *run;
	size_t nevents;
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

static void names(struct trace *tr)
{
	const struct prof_run *run = tr->run;

	for (size_t i = 0; i < run->nprocesses; i++) {
		fprintf(event(tr), "\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %d,"
			" \"args\": {\"name\": ", run->processes[i].pid);
		json_string(tr->f, run->processes[i].exe ? basename_of(run->processes[i].exe) : "?");
		fputs("}}", tr->f);
	}
	for (size_t i = 0; i < run->nthreads; i++)
		fprintf(event(tr), "\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %d, \"tid\": %d,"
			" \"args\": {\"name\": \"rank %d (tid %d)\"}}", run->threads[i].pid,
			run->threads[i].tid, run->threads[i].rank, run->threads[i].tid);
}

/* An object still live at the end lasts until the run's end. */
static uint64_t end_of(const struct prof_run *run, const struct prof_object *o)
{
	if (o->free_ns)
		return o->free_ns;
	return run->run.has_end && run->run.end_ns > o->alloc_ns ? run->run.end_ns : o->alloc_ns;
}

static void lifetimes(struct trace *tr, const struct report_opts *opts)
{
	const struct prof_run *run = tr->run;

	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];
		char *where;

		if ((o->kind != OBJ_HEAP && o->kind != OBJ_MMAP) || (opts->pid && o->pid != opts->pid))
			continue;
		where = describe_callsite(run, o->callsite_id);
		for (int k = 0; k < 2; k++) {
			fprintf(event(tr), "\"ph\": \"%s\", \"cat\": \"alloc\", \"id\": %" PRId64
				", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"name\": ", k ? "e" : "b",
				o->id, o->pid, o->tid, us(run, k ? end_of(run, o) : o->alloc_ns));
			json_string(tr->f, where);
			fprintf(tr->f, ", \"args\": {\"object\": %" PRId64 ", \"bytes\": %" PRIu64 "}}",
				o->id, o->size);
		}
		free(where);
	}
}

static int by_thread_time(const void *x, const void *y)
{
	const struct prof_sample *p = x, *q = y;

	if (p->pid != q->pid)
		return CMP(p->pid, q->pid);
	return p->tid != q->tid ? CMP(p->tid, q->tid) : CMP(p->time_ns, q->time_ns);
}

static uint64_t bin_of(const struct prof_run *run, const struct prof_sample *s)
{
	return s->time_ns > run->run.start_ns ? (s->time_ns - run->run.start_ns) / BIN_NS : 0;
}

static void counter(struct trace *tr, const struct prof_sample *s, uint64_t bin, uint64_t n)
{
	fprintf(event(tr), "\"ph\": \"C\", \"name\": \"samples of tid %d\", \"pid\": %d,"
		" \"ts\": %.3f, \"args\": {\"samples\": %" PRIu64 "}}", s->tid, s->pid,
		us(tr->run, tr->run->run.start_ns + bin * BIN_NS), n);
}

/* A thread's samples per bin; the counter falls back to 0 after a bin
 * followed by an empty one. */
static void density(struct trace *tr, struct prof_run *run, const struct report_opts *opts)
{
	const struct prof_sample *prev = NULL;
	uint64_t n = 0;

	qsort(run->samples, run->nsamples, sizeof(*run->samples), by_thread_time);
	for (size_t i = 0; i <= run->nsamples; i++) {
		const struct prof_sample *s = i < run->nsamples ? &run->samples[i] : NULL;
		bool same_thread = s && prev && s->tid == prev->tid && s->pid == prev->pid;

		if (s && opts->pid && s->pid != opts->pid)
			continue;
		if (prev && (!same_thread || bin_of(run, s) != bin_of(run, prev))) {
			counter(tr, prev, bin_of(run, prev), n);
			if (!same_thread || bin_of(run, s) != bin_of(run, prev) + 1)
				counter(tr, prev, bin_of(run, prev) + 1, 0);
			n = 0;
		}
		prev = s;
		n++;
	}
}

void report_render_trace(FILE *f, struct prof_run *run, const struct report_opts *opts)
{
	struct trace tr = { .f = f, .run = run };

	fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [", f);
	names(&tr);
	lifetimes(&tr, opts);
	density(&tr, run, opts);
	fputs("\n]}\n", f);
}
