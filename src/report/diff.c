/* numamma report --diff BEFORE AFTER: the objects of two runs of one
 * program, matched by what stays the same across runs despite ASLR: the
 * allocation call stack as (module, offset) frames, or for a static its
 * module and symbol.  Per match: the change in accesses, remote ratio
 * and mean latency, the question after `numamma run --policy` being
 * "did the placed objects stop being remote?". */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

struct pair {
	const struct site_match *a, *b;  /* NULL: none in that run */
};

static uint64_t samples_of(const struct pair *p)
{
	return (p->a ? p->a->samples : 0) + (p->b ? p->b->samples : 0);
}

static int by_samples(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;
	uint64_t a = samples_of(p), b = samples_of(q);
	uint64_t sa = (p->a ? p->a->bytes : 0) + (p->b ? p->b->bytes : 0);
	uint64_t sb = (q->a ? q->a->bytes : 0) + (q->b ? q->b->bytes : 0);

	return a != b ? CMP(b, a) : sa != sb ? CMP(sb, sa) : strcmp((p->b ? p->b : p->a)->key,
								     (q->b ? q->b : q->a)->key);
}

/* The two sorted lists merged by key. */
static struct pair *pair_up(const struct site_match *a, size_t na, const struct site_match *b, size_t nb,
			    size_t *n)
{
	struct pair *p = xcalloc(na + nb + 1, sizeof(*p));
	size_t i = 0, j = 0;

	*n = 0;
	while (i < na || j < nb) {
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(a[i].key, b[j].key);

		p[(*n)++] = (struct pair){ cmp <= 0 ? &a[i] : NULL, cmp >= 0 ? &b[j] : NULL };
		i += cmp <= 0;
		j += cmp >= 0;
	}
	return p;
}

static const struct rcolumn diff_cols[] = {
	CODE("WHERE"), RIGHT("OBJECTS"), RIGHT("BYTES"), RIGHT("SAMPLES BEFORE"),
	RIGHT("SAMPLES AFTER"), PERCENT("REMOTE BEFORE", 1, "-"),
	PERCENT("REMOTE AFTER", 1, "-"),
	NULLS("CYCLES BEFORE", 'r', "-"),
	NULLS("CYCLES AFTER", 'r', "-"),
};

static void remote_cell(struct rtable *t, const struct site_match *m)
{
	if (m && m->located)
		rtable_percent(t, 100.0 * m->remote / m->located);
	else
		rtable_null(t);
}

/* Mean latency, cycles per sample, where the sampler measures latency (PEBS, IBS);
 * the others weigh every sample 1. */
static void latency_cell(struct rtable *t, const struct site_match *m)
{
	const char *s = m ? m->run->run.sampler : NULL;

	if (m && m->samples && s && (!strcmp(s, "pebs") || !strcmp(s, "ibs")))
		rtable_int(t, (int64_t)((m->weight + m->samples / 2) / m->samples));
	else
		rtable_null(t);
}

static void diff_row(struct rtable *t, const struct pair *p)
{
	const struct site_match *m = p->b ? p->b : p->a;
	char *where = site_where(m);

	rtable_str(t, where);
	rtable_int(t, m->objects);
	rtable_bytes(t, m->bytes);
	rtable_int(t, p->a ? (int64_t)p->a->samples : 0);
	rtable_int(t, p->b ? (int64_t)p->b->samples : 0);
	remote_cell(t, p->a);
	remote_cell(t, p->b);
	latency_cell(t, p->a);
	latency_cell(t, p->b);
	free(where);
}

void report_build_diff(const struct prof_run *before, const struct prof_run *after,
		       const struct report_opts *opts, struct report *rep)
{
	struct ctx c = { .run = after, .opts = opts, .rep = rep };
	size_t na, nb, n;
	struct site_match *a, *b;
	struct pair *p;
	struct rtable *t;

	memset(rep, 0, sizeof(*rep));
	a = site_matches(&c, before, &na);
	b = site_matches(&c, after, &nb);
	p = pair_up(a, na, b, nb, &n);
	qsort(p, n, sizeof(*p), by_samples);
	t = report_add_table(rep, "diff", diff_cols, 9, "Objects matched by call site: %s -> %s",
			     before->file, after->file);
	for (size_t i = 0; i < top_n(&c, n); i++)
		diff_row(t, &p[i]);
	free(p);
	site_matches_free(a, na);
	site_matches_free(b, nb);
}
