/* numamma report over the profiles of a job's ranks (an MPI job writes
 * one per rank): one row per rank, then the call sites of every rank
 * matched by their ASLR-stable frames, with how much each rank allocated
 * there, so that the rank that does something different stands out. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

static const struct rcolumn rank_cols[] = {
	NULLS("RANK", 'r', "-"), NULLS("HOST", 'l', "?"), RIGHT("THREADS"), RIGHT("OBJECTS"),
	RIGHT("BYTES"), RIGHT("SAMPLES"), PERCENT("REMOTE", 1, "-"), LEFT("PROFILE"),
};

static void rank_row(struct rtable *t, const struct prof_run *run)
{
	uint64_t bytes = 0, located = 0, remote = 0;

	for (size_t i = 0; i < run->nobjects; i++)
		bytes += run->objects[i].size;
	for (size_t i = 0; i < run->naccess; i++) {
		located += run->access[i].located;
		remote += run->access[i].remote;
	}
	if (run->run.launcher_rank >= 0)
		rtable_int(t, run->run.launcher_rank);
	else
		rtable_null(t);
	rtable_str(t, run->run.host);
	rtable_int(t, (int64_t)run->nthreads);
	rtable_int(t, (int64_t)run->nobjects);
	rtable_bytes(t, bytes);
	rtable_int(t, (int64_t)run->total_samples);
	if (located)
		rtable_percent(t, 100.0 * remote / located);
	else
		rtable_null(t);
	rtable_str(t, run->file);
}

/* A call site of the job: the match of each rank that has it. */
struct job_site {
	const struct site_match *first;
	int ranks;
	uint64_t objects, bytes, samples, min_bytes, max_bytes;
	int min_rank, max_rank;
};

static int rank_of(const struct profile *prof, size_t run)
{
	int r = prof->runs[run].run.launcher_rank;

	return r >= 0 ? r : (int)run;
}

static void add_to_site(struct job_site *s, const struct site_match *m, int rank)
{
	if (!s->ranks || m->bytes < s->min_bytes)
		s->min_bytes = m->bytes, s->min_rank = rank;
	if (!s->ranks || m->bytes > s->max_bytes)
		s->max_bytes = m->bytes, s->max_rank = rank;
	if (!s->first)
		s->first = m;
	s->ranks++;
	s->objects += m->objects;
	s->bytes += m->bytes;
	s->samples += m->samples;
}

struct tagged {
	const struct site_match *m;
	int rank;
};

static int by_key_rank(const void *x, const void *y)
{
	const struct tagged *a = x, *b = y;
	int c = strcmp(a->m->key, b->m->key);

	return c ? c : CMP(a->rank, b->rank);
}

/* Every rank's matches, grouped by key. */
static struct job_site *job_sites(const struct profile *prof, struct site_match **per_run,
				  const size_t *n, size_t *nsites)
{
	size_t total = 0, k = 0;
	struct tagged *all;
	struct job_site *sites;

	for (size_t r = 0; r < prof->nruns; r++)
		total += n[r];
	all = xcalloc(total + 1, sizeof(*all));
	for (size_t r = 0; r < prof->nruns; r++)
		for (size_t i = 0; i < n[r]; i++)
			all[k++] = (struct tagged){ &per_run[r][i], rank_of(prof, r) };
	qsort(all, k, sizeof(*all), by_key_rank);
	sites = xcalloc(k + 1, sizeof(*sites));
	*nsites = 0;
	for (size_t i = 0; i < k; i++) {
		if (!i || strcmp(all[i].m->key, all[i - 1].m->key))
			(*nsites)++;
		add_to_site(&sites[*nsites - 1], all[i].m, all[i].rank);
	}
	free(all);
	return sites;
}

static int by_bytes(const void *x, const void *y)
{
	const struct job_site *a = x, *b = y;

	return a->bytes != b->bytes ? CMP(b->bytes, a->bytes) : strcmp(a->first->key, b->first->key);
}

/* The ranks that differ most: the widest gap between two ranks' bytes. */
static int by_spread(const void *x, const void *y)
{
	const struct job_site *a = x, *b = y;
	uint64_t sa = a->max_bytes - a->min_bytes, sb = b->max_bytes - b->min_bytes;

	return sa != sb ? CMP(sb, sa) : by_bytes(x, y);
}

static const struct rcolumn site_cols[] = {
	CODE("WHERE"), RIGHT("RANKS"), RIGHT("OBJECTS"), RIGHT("BYTES"), RIGHT("SAMPLES"),
	RIGHT("MIN BYTES"), RIGHT("MIN RANK"), RIGHT("MAX BYTES"), RIGHT("MAX RANK"),
};

static void site_row(struct rtable *t, const struct job_site *s)
{
	char *where = site_where(s->first);

	rtable_str(t, where);
	rtable_int(t, s->ranks);
	rtable_int(t, (int64_t)s->objects);
	rtable_bytes(t, s->bytes);
	rtable_int(t, (int64_t)s->samples);
	rtable_bytes(t, s->min_bytes);
	rtable_int(t, s->min_rank);
	rtable_bytes(t, s->max_bytes);
	rtable_int(t, s->max_rank);
	free(where);
}

static void site_table(struct ctx *c, struct job_site *sites, size_t n, const char *id,
		       int (*order)(const void *, const void *), const char *title)
{
	struct rtable *t = report_add_table(c->rep, id, site_cols, 9, "%s", title);

	qsort(sites, n, sizeof(*sites), order);
	for (size_t i = 0; i < top_n(c, n); i++)
		site_row(t, &sites[i]);
}

void report_build_job(const struct profile *prof, const struct report_opts *opts,
		      struct report *rep)
{
	struct ctx c = { .run = &prof->runs[0], .opts = opts, .rep = rep };
	struct site_match **per_run = xcalloc(prof->nruns, sizeof(*per_run));
	size_t *n = xcalloc(prof->nruns, sizeof(*n)), nsites;
	struct job_site *sites;
	struct rtable *t;

	memset(rep, 0, sizeof(*rep));
	t = report_add_table(rep, "ranks", rank_cols, 8, "Ranks (%zu profiles%s%s)", prof->nruns,
			     prof->runs[0].run.job_id ? ", job " : "",
			     prof->runs[0].run.job_id ? prof->runs[0].run.job_id : "");
	for (size_t r = 0; r < prof->nruns; r++) {
		rank_row(t, &prof->runs[r]);
		c.run = &prof->runs[r];
		per_run[r] = site_matches(&c, &prof->runs[r], &n[r]);
	}
	sites = job_sites(prof, per_run, n, &nsites);
	site_table(&c, sites, nsites, "job_callsites", by_bytes, "Call sites across ranks, most bytes first");
	site_table(&c, sites, nsites, "job_spread", by_spread,
		   "Call sites where the ranks differ most (bytes of the smallest and largest rank)");
	free(sites);
	for (size_t r = 0; r < prof->nruns; r++)
		site_matches_free(per_run[r], n[r]);
	free(per_run);
	free(n);
}
