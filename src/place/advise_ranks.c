/* advise: the plans that follow creation ranks rather than positions
 * found in the samples: the static schedule (the worker of rank r works
 * on the r-th equal slice of an object) and per-thread objects (the k-th
 * object of a site for the k-th worker).  Both need far fewer samples
 * than finding boundaries, which matters for the watch sampler. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "error.h"

#define MAX_EACH          4096   /* objects an `each` rule lists */

/* The static schedule (OpenMP's default, and most hand-written thread
 * code): the thread of creation rank r works on slice r - first of
 * `slices` equal slices of the object.  first = 1 when the main thread
 * only waits for its workers; first = 0 when it works too (OpenMP's
 * master is thread 0); first = 2 when a helper thread (an initialiser,
 * a monitor) was started before the workers. */
struct schedule {
	int first, slices;
};

struct schedule_fit {
	uint64_t total, in_slice, seen;
};

/* How well the workers' samples fit: the main thread's (and a helper's)
 * are not looked at, since the serial initialisation sweeps the object. */
static struct schedule_fit fit_schedule(const struct analysis *a, const struct site *s,
					struct schedule sc)
{
	struct schedule_fit fit = { 0, 0, 0 };

	for (size_t i = 0; i < s->npts; i++) {
		const struct advice_thread *t = thread_at(a, &s->pts[i]);
		int slice = (int)((uint64_t)s->pts[i].pos * sc.slices / POLICY_PPM);

		if (!t || worker_rank(t) <= 0 || worker_rank(t) < sc.first ||
		    worker_rank(t) - sc.first >= sc.slices || !first_process_worker(a, t))
			continue;
		fit.total++;
		if (slice == worker_rank(t) - sc.first) {
			fit.in_slice++;
			fit.seen |= 1ULL << slice;
		}
	}
	return fit;
}

/* Whether the main thread works on the first slice, as OpenMP's master
 * does: half again as many of its samples there as its initialisation
 * sweep alone would put. */
static int main_works_first(const struct analysis *a, const struct site *s, int slices)
{
	uint64_t in = 0, total = 0;

	for (size_t i = 0; i < s->npts; i++) {
		const struct advice_thread *t = thread_at(a, &s->pts[i]);

		if (!t || worker_rank(t) != 0 || !first_process_worker(a, t))
			continue;
		total++;
		in += (uint64_t)s->pts[i].pos * slices / POLICY_PPM == 0;
	}
	return in >= 2 && 2 * in * slices >= 3 * total;
}

static int fits(struct schedule_fit f)
{
	return f.total >= RANK_MIN_SAMPLES && f.in_slice >= RANK_SHARE * f.total &&
	       popcount64(f.seen) >= 2;
}

/* Recognised when nearly all worker samples fall in their own rank's
 * slice and at least two workers were seen; the slices of the workers no
 * sample caught follow from the others.  Needs far fewer samples than
 * finding boundaries, which matters for the watch sampler.  Returns the
 * number of sampled workers, 0 when the pattern is not there. */
static int try_rank_blocks(const struct analysis *a, const struct site *s, const struct site *all,
			   struct policy_rule *r, struct schedule *sc)
{
	static const int firsts[] = { 1, 0, 2 };    /* the likeliest first */
	const struct advice *adv = a->adv;
	struct schedule_fit best = { 0, 0, 0 };
	int workers = 0;

	for (int i = 0; i < adv->nthreads; i++)
		workers += worker_rank(&adv->threads[i]) > 0 &&
			   first_process_worker(a, &adv->threads[i]);
	if (workers < 2 || workers >= 64)
		return 0;
	/* Several can fit where few samples sit near the slices' ends (the
	 * watch sampler's cluster): OpenMP's when the main thread's samples
	 * (in all, its sweeps too) say it works, else the best fit. */
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		struct schedule c = { firsts[i], workers + 1 - firsts[i] };
		struct schedule_fit f;
		int evidence;

		if (c.slices < 2)
			continue;
		f = fit_schedule(a, s, c);
		evidence = c.first == 0 && main_works_first(a, all, c.slices);
		if (fits(f) && (!best.total || evidence ||
				f.in_slice * best.total > best.in_slice * f.total)) {
			*sc = c;
			best = f;
			if (evidence)
				break;
		}
	}
	if (!best.total)
		return 0;
	for (int i = 0; i < adv->nthreads; i++) {
		const struct advice_thread *t = &adv->threads[i];
		int slice = worker_rank(t) - sc->first;

		if (slice < 0 || slice >= sc->slices || !first_process_worker(a, t) || t->node < 0)
			continue;
		add_segment(r, (uint32_t)((uint64_t)slice * POLICY_PPM / sc->slices),
			    (uint32_t)((uint64_t)(slice + 1) * POLICY_PPM / sc->slices), t->node);
	}
	r->action = ACT_BLOCK;
	return popcount64(best.seen);
}

/* The static-schedule plan and its reason, or NULL (r left reset).  s
 * may be all the site's samples or those left without sweeps. */
char *rank_blocks(const struct analysis *a, const struct site *s, const struct site *all,
			 struct policy_rule *r)
{
	struct schedule sc;
	int seen = try_rank_blocks(a, s, all, r, &sc);
	struct locality l;

	if (!seen) {
		reset_rule(r);
		return NULL;
	}
	l = predict(a, s, r);
	static const char *const who[] = {
		"the thread (0 = main, as in OpenMP) of rank r works on the (r+1)-th",
		"the worker of rank r works on the r-th",
		"the worker of rank r works on the (r-1)-th (rank 1 is a helper)",
	};

	return xasprintf("block: %s of %d equal slices (static schedule, seen in %d workers; %.0f%% "
			 "of %" PRIu64 " samples local under this plan)", who[sc.first], sc.slices,
			 seen, 100 * fraction(l), l.total);
}

/* ---- one node per object ---- */

/* Per-thread buffers: many objects from one call site (allocated in a
 * loop by the main thread), each used by one worker.  Positions inside
 * the objects say nothing; which object a thread uses says it all. */
struct object_use {
	uint64_t known, top;     /* samples of known node, of the top node */
	int node, thread;        /* the node and thread with most samples */
};

static void count_object(const struct analysis *a, const struct point *pts, size_t n,
			 struct object_use *u)
{
	uint32_t per_node[POLICY_MAX_NODES] = { 0 };
	uint32_t *per_thread = xcalloc(a->adv->nthreads, sizeof(*per_thread));
	uint32_t top_thread = 0;

	for (size_t i = 0; i < n; i++) {
		int node = planned_node(a, &pts[i]);

		if (node < 0 || node >= POLICY_MAX_NODES)
			continue;
		u->known++;
		if (++per_node[node] > u->top) {
			u->top = per_node[node];
			u->node = node;
		}
		if (++per_thread[pts[i].thread] > top_thread) {
			top_thread = per_thread[pts[i].thread];
			u->thread = pts[i].thread;
		}
	}
	free(per_thread);
}

static int point_by_thread_nth(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	if (p->thread != q->thread)
		return p->thread < q->thread ? -1 : 1;
	return (p->nth > q->nth) - (p->nth < q->nth);
}

static int point_by_nth(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	return (p->nth > q->nth) - (p->nth < q->nth);
}

void fill_by_rank(const struct analysis *a, const int *user, int n, int *each)
{
	for (int first = 1; first >= 0; first--) {
		int ok = 1;

		for (int k = 0; ok && k < n; k++)
			ok = user[k] < 0 || worker_rank(&a->adv->threads[user[k]]) == k + first;
		if (!ok)
			continue;
		for (int k = 0; k < n; k++)
			for (int i = 0; each[k] < 0 && i < a->adv->nthreads; i++)
				if (worker_rank(&a->adv->threads[i]) == k + first &&
				    first_process_worker(a, &a->adv->threads[i]))
					each[k] = a->adv->threads[i].node;
		return;
	}
}

/* Threads seen on several of the site's objects while others keep to
 * one: the main thread initialising every buffer (sampled on a few of
 * them when samples are sparse).  A copy of the site without them, or
 * NULL when there are none or nothing else. */
static struct site *without_object_sweepers(const struct analysis *a, struct site *s)
{
	char *sweeper = xcalloc(a->adv->nthreads + 1, 1);
	int nsweepers = 0, keep_to_one = 0;
	struct site *copy = NULL;
	size_t kept = 0;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_thread_nth);
	for (size_t i = 0, j; i < s->npts; i = j) {
		int objects = 0;

		for (j = i; j < s->npts && s->pts[j].thread == s->pts[i].thread; j++)
			objects += s->pts[j].nth >= 0 && (j == i || s->pts[j].nth != s->pts[j - 1].nth);
		if (s->pts[i].thread >= 0 && objects >= 2) {
			sweeper[s->pts[i].thread] = 1;
			nsweepers++;
		} else {
			keep_to_one += objects == 1;
			kept += j - i;
		}
	}
	if (nsweepers && keep_to_one >= 2 && kept >= RANK_MIN_SAMPLES) {
		copy = xcalloc(1, sizeof(*copy));
		*copy = (struct site){ .kind = s->kind, .max_size = s->max_size, .nfirst = s->nfirst };
		for (size_t i = 0; i < s->npts; i++)
			if (s->pts[i].thread < 0 || !sweeper[s->pts[i].thread])
				add_point(copy, s->pts[i]);
	}
	free(sweeper);
	return copy;
}

/* Each object on the node of the thread using it: 90% of the samples
 * with a known node on their object's top node, and two nodes at least.
 * Returns the number of objects sampled, 0 when the pattern is not there. */
static int try_each(const struct analysis *a, struct site *s, struct policy_rule *r)
{
	int n = s->nfirst, seen = 0;
	struct object_use *u;
	uint64_t known = 0, top = 0, nodes = 0;

	if (n < 2 || n > MAX_EACH)
		return 0;
	u = xcalloc(n, sizeof(*u));
	for (int k = 0; k < n; k++)
		u[k] = (struct object_use){ 0, 0, -1, -1 };
	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_nth);
	for (size_t i = 0, j; i < s->npts; i = j) {
		for (j = i; j < s->npts && s->pts[j].nth == s->pts[i].nth; j++)
			;
		if (s->pts[i].nth >= 0)
			count_object(a, s->pts + i, j - i, &u[s->pts[i].nth]);
	}
	r->neach = n;
	r->each = xcalloc(n, sizeof(*r->each));
	for (int k = 0; k < n; k++) {
		r->each[k] = u[k].known ? u[k].node : -1;
		known += u[k].known;
		top += u[k].top;
		if (u[k].known) {
			seen++;
			nodes |= 1ULL << u[k].node;
		}
	}
	if (known >= RANK_MIN_SAMPLES && top >= RANK_SHARE * known && popcount64(nodes) >= 2) {
		int *user = xmalloc(n * sizeof(*user));

		for (int k = 0; k < n; k++)
			user[k] = u[k].thread;
		fill_by_rank(a, user, n, r->each);
		free(user);
		r->action = ACT_EACH;
	} else {
		seen = 0;
	}
	free(u);
	return seen;
}

/* The per-object plan and its reason, or NULL (r left reset).  *eval
 * becomes the samples it was judged on. */
char *per_object(const struct analysis *a, struct site *s, struct policy_rule *r,
			struct site **eval)
{
	struct site *copy = s->nfirst >= 2 ? without_object_sweepers(a, s) : NULL;
	struct site *use = copy ? copy : s;
	int seen = try_each(a, use, r);
	struct locality l;
	char *reason;

	if (!seen) {
		reset_rule(r);
		if (copy)
			drop_copy(s, &copy);
		return NULL;
	}
	drop_copy(s, eval);
	*eval = use;
	l = predict(a, use, r);
	reason = xasprintf("each: every object from here is used by one thread (%d objects, %d "
			   "sampled; %.0f%% of %" PRIu64 " samples local under this plan)",
			   s->nfirst, seen, 100 * fraction(l), l.total);
	return with_sweep_note(reason, s, use, "threads seen on several objects");
}

