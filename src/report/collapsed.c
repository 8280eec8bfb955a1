/* Folded stacks for flame graphs: one line per allocation call stack,
 * its frames from the outermost to the allocator, ';'-separated, then a
 * space and the weight (bytes the stack allocated, or the samples that
 * landed in its objects).  flamegraph.pl, inferno and speedscope merge
 * equal lines, so stacks that differ only by offsets may repeat. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

struct folded {
	uint64_t weight;
	const char *allocator;    /* the objects' name: malloc, mmap... */
};

/* A frame as flame graphs show it: its function, else module+offset.
 * ';' separates frames and a space ends the stack, so neither may be in
 * a name (C++ names have spaces). */
static void put_frame(FILE *f, const struct prof_run *run, const struct prof_frame *fr)
{
	const struct prof_module *m = prof_module(run, fr->module);
	const char *file = m && m->path ? m->path : fr->module ? fr->module : "?";
	char *name = fr->function ? xstrdup(fr->function)
				  : xasprintf("%s+%#" PRIx64, basename_of(file), fr->offset);

	for (char *p = name; *p; p++)
		if (*p == ';' || *p == ' ')
			*p = '_';
	fputs(name, f);
	free(name);
}

static uint64_t weight_of(const struct prof_run *run, const struct prof_object *o, bool by_samples)
{
	const struct prof_access *a;

	if (!by_samples)
		return o->size;
	a = prof_access(run, o->id);
	return a ? a->samples : 0;
}

struct counted_weights {
	struct folded *w;
	const struct prof_run *run;
};

static void weigh_site(void *arg, const struct prof_callsite_total *t)
{
	const struct counted_weights *k = arg;
	const struct prof_callsite *cs = prof_callsite(k->run, t->callsite_id);

	if (cs)
		k->w[cs - k->run->callsites].weight = t->bytes;
}

/* By bytes, a profile that counted every call weighs each stack by all
 * its calls' bytes (--pid: the process's), those of blocks without a row
 * too; their allocator is then unknown ("alloc") unless a row names it. */
static void weigh_counted(struct folded *w, const struct prof_run *run, pid_t pid)
{
	struct counted_weights k = { w, run };

	prof_each_counted(run, pid, weigh_site, &k);
}

void report_render_collapsed(FILE *f, const struct prof_run *run, const struct report_opts *opts,
			     bool by_samples)
{
	struct folded *w = xcalloc(run->ncallsites + 1, sizeof(*w));
	bool counted = !by_samples && run->ncallsite_totals;

	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];
		const struct prof_callsite *cs = prof_callsite(run, o->callsite_id);

		if (!cs || (opts->pid && o->pid != opts->pid))
			continue;
		w[cs - run->callsites].weight += counted ? 0 : weight_of(run, o, by_samples);
		w[cs - run->callsites].allocator = o->name;
	}
	if (counted)
		weigh_counted(w, run, opts->pid);
	for (size_t i = 0; i < run->ncallsites; i++) {
		const struct prof_callsite *cs = &run->callsites[i];

		if (!w[i].weight)
			continue;
		for (int d = cs->nframes - 1; d >= 0; d--) {
			put_frame(f, run, cs->frames[d]);
			fputc(';', f);
		}
		fprintf(f, "%s %" PRIu64 "\n", w[i].allocator ? w[i].allocator : "alloc", w[i].weight);
	}
	free(w);
}
