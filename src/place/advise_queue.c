/* advise: a queue, data some threads write and others read (a ring
 * buffer between producers and consumers, a pipeline's stage buffer).
 * No thread owns a part of it: every slot passes from a writer to a
 * reader, so the question is only whose node holds it.  Each element is
 * written once and read once (or more), and whichever node holds it,
 * one side's accesses are remote: the side that spends longer on the
 * queue should be the local one.  With the clock sampler, samples are
 * time, so that is the node making the most samples; on a tie the
 * readers', as a load that misses stalls its thread while stores drain
 * from the store buffer.  When the readers span nodes, no node serves
 * most of the accesses: interleave.  Writers and readers must be at it
 * at the same time (one thread writing the data before others read it
 * is an initialisation, not a queue), and on the same parts of it
 * (writers on some parts and readers on others is a pagemap). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "advise_int.h"
#include "error.h"

#define QUEUE_ROLE_SHARE 0.80    /* of a thread's reads and writes: its role */
#define QUEUE_OVERLAP    0.50    /* of the shorter side's time, shared; of
				  * the readers' samples, on parts written */
#define QUEUE_PARTS      64      /* of the object at most, for what was written */

/* The nodes of the threads that write the site and of those that read
 * it, and each thread's role. */
struct roles {
	uint64_t writers, readers;   /* node masks */
	int nwriters, nreaders;      /* threads */
	char *role;                  /* per thread: ACCESS_WRITE, ACCESS_READ or 0 */
};

static void add_role(const struct advice_thread *t, uint64_t reads, uint64_t writes,
		     struct roles *ro, char *role, int *mixed)
{
	uint64_t n = reads + writes;

	if (n < RANK_MIN_SAMPLES || t->node < 0 || t->node >= POLICY_MAX_NODES)
		return;
	if (writes >= QUEUE_ROLE_SHARE * n) {
		ro->writers |= 1ULL << t->node;
		ro->nwriters++;
		*role = ACCESS_WRITE;
	} else if (reads >= QUEUE_ROLE_SHARE * n) {
		ro->readers |= 1ULL << t->node;
		ro->nreaders++;
		*role = ACCESS_READ;
	} else {
		*mixed = 1;
	}
}

/* Every thread with RANK_MIN_SAMPLES samples of known kind writes (80%
 * of them) or reads; 0 when one does both, or a side is missing. */
static int find_roles(const struct analysis *a, const struct site *s, struct roles *ro)
{
	int nthreads = a->adv->nthreads, mixed = 0;
	uint64_t *rw = xcalloc(2 * (size_t)nthreads + 2, sizeof(*rw));

	for (size_t i = 0; i < s->npts; i++) {
		const struct point *p = &s->pts[i];

		if (p->thread >= 0 && (p->access == ACCESS_READ || p->access == ACCESS_WRITE))
			rw[2 * p->thread + (p->access == ACCESS_WRITE)]++;
	}
	*ro = (struct roles){ .role = xcalloc(nthreads + 1, 1) };
	for (int t = 0; t < nthreads; t++)
		add_role(&a->adv->threads[t], rw[2 * t], rw[2 * t + 1], ro, &ro->role[t], &mixed);
	free(rw);
	return !mixed && ro->nwriters && ro->nreaders;
}

static int by_time(const void *x, const void *y)
{
	uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;

	return (p > q) - (p < q);
}

/* When one role's samples were taken: their 5th to 95th percentile. */
static void role_span(const struct site *s, const struct roles *ro, char role, uint64_t *lo,
		      uint64_t *hi)
{
	uint64_t *t = xcalloc(s->npts + 1, sizeof(*t));
	size_t n = 0;

	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].thread >= 0 && ro->role[s->pts[i].thread] == role)
			t[n++] = s->pts[i].time_ns;
	qsort(t, n, sizeof(*t), by_time);
	*lo = n ? t[n * 5 / 100] : 0;
	*hi = n ? t[n * 95 / 100] : 0;
	free(t);
}

/* Writers and readers at it at the same time, for half the shorter
 * side's time at least. */
static int concurrent(const struct site *s, const struct roles *ro)
{
	uint64_t wlo, whi, rlo, rhi, lo, hi, shorter;

	role_span(s, ro, ACCESS_WRITE, &wlo, &whi);
	role_span(s, ro, ACCESS_READ, &rlo, &rhi);
	lo = wlo > rlo ? wlo : rlo;
	hi = whi < rhi ? whi : rhi;
	shorter = whi - wlo < rhi - rlo ? whi - wlo : rhi - rlo;
	return shorter && hi > lo && hi - lo >= QUEUE_OVERLAP * shorter;
}

/* The readers' samples mostly on parts the writers wrote: elements pass
 * from one side to the other.  Writers filling some parts while readers
 * read others is no queue (a pagemap places each part).  What was
 * written is known from the writers' samples: parts coarse enough for
 * them to cover (two samples a part: 86% of a queue's parts seen
 * written; the writer of a queue whose reader works longer gets few
 * samples: at 64 parts, its 27 in the guest's t9028 saw a third of the
 * queue written, and it was taken for no queue one profile in 10). */
static int same_parts(const struct site *s, const struct roles *ro)
{
	bool written[QUEUE_PARTS] = { false };
	uint64_t reads = 0, on_written = 0, writes = 0, parts;

	for (size_t i = 0; i < s->npts; i++)
		writes += s->pts[i].thread >= 0 && ro->role[s->pts[i].thread] == ACCESS_WRITE;
	parts = writes / 2 < QUEUE_PARTS ? writes / 2 : QUEUE_PARTS;
	if (!parts)
		return 0;
	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].thread >= 0 && ro->role[s->pts[i].thread] == ACCESS_WRITE)
			written[(uint64_t)s->pts[i].pos * parts / POLICY_PPM % parts] = true;
	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].thread >= 0 && ro->role[s->pts[i].thread] == ACCESS_READ) {
			reads++;
			on_written += written[(uint64_t)s->pts[i].pos * parts / POLICY_PPM % parts];
		}
	return reads && on_written >= QUEUE_OVERLAP * reads;
}

/* The node of the most samples among the users', the readers' on a tie. */
static int busiest_side(const struct roles *ro, const uint64_t *count)
{
	int best = -1;

	for (int n = 0; n < POLICY_MAX_NODES; n++) {
		if (!((ro->writers | ro->readers) >> n & 1))
			continue;
		if (best < 0 || count[n] > count[best] ||
		    (count[n] == count[best] && (ro->readers >> n & 1) && !(ro->readers >> best & 1)))
			best = n;
	}
	return best;
}

char *try_queue(const struct analysis *a, const struct site *s, const uint64_t *count,
		uint64_t known, struct policy_rule *r)
{
	struct roles ro;
	char *w, *rd, *reason;
	int node;

	if (!find_roles(a, s, &ro) || !concurrent(s, &ro) || !same_parts(s, &ro)) {
		free(ro.role);
		return NULL;
	}
	free(ro.role);
	w = nodelist_text(ro.writers);
	rd = nodelist_text(ro.readers);
	if (popcount64(ro.readers) > 1) {
		r->action = ACT_INTERLEAVE;
		r->nodemask = ro.writers | ro.readers;
		reason = xasprintf("interleave: a queue written by %d thread%s on node%s %s and read by "
				   "%d on nodes %s: the readers span nodes, so no node serves most of it",
				   ro.nwriters, ro.nwriters > 1 ? "s" : "",
				   popcount64(ro.writers) > 1 ? "s" : "", w, ro.nreaders, rd);
	} else {
		node = busiest_side(&ro, count);
		r->action = ACT_BIND;
		r->nodemask = 1ULL << node;
		reason = xasprintf("bind: a queue, written by %d thread%s on node%s %s and read by %d "
				   "on node%s %s; node %d's threads make %.0f%% of %" PRIu64 " samples "
				   "(one side's accesses are remote wherever it is: the side that "
				   "spends longer on it keeps it, the readers on a tie)",
				   ro.nwriters, ro.nwriters > 1 ? "s" : "",
				   popcount64(ro.writers) > 1 ? "s" : "", w, ro.nreaders,
				   popcount64(ro.readers) > 1 ? "s" : "", rd, node,
				   100.0 * count[node] / known, known);
	}
	free(w);
	free(rd);
	return reason;
}
