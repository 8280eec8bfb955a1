/* advise: chunks dealt to threads in turn, as OpenMP's schedule(static,
 * chunk) does: chunk k of the object goes to the thread of phase k mod n.
 * Each thread's samples keep to one phase for the right chunk size and
 * n, and to none for any other, so the pair is found by trying them: the
 * one whose phases hold the most samples wins.  The rule then places
 * chunks no sample caught too, which a map of the samples cannot. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "error.h"

#define CYCLIC_MIN_SAMPLES  20     /* behind the claim, and 8 per phase */
#define CYCLIC_MIN_CHUNKS   16     /* fewer: a pagemap says as much */
#define CYCLIC_MAX_PHASES   16
#define CYCLIC_STEP         64     /* chunk sizes tried: multiples of it, */
#define CYCLIC_FINE         (512 * 1024)   /* every one up to this size, */
#define CYCLIC_MAX_TRIES    8192   /* and this many evenly spaced above */
#define CYCLIC_SEARCH_PTS   512    /* samples the search looks at */
#define CYCLIC_THREAD_SHARE 0.80   /* of a thread's samples in its phase */
#define CYCLIC_EXPLAINED    0.50   /* of the samples, from such threads */

/* One (chunk, phases) candidate's fit: per thread its phase (-1 when
 * its samples keep to none), and the samples that fall in it. */
struct fit {
	uint64_t chunk;
	int phases;
	int *phase;
	uint64_t owned, fitted;    /* in their phase; of fitting threads */
};

static int phase_of(const struct point *p, uint64_t chunk, int phases)
{
	return (int)(p->off / chunk % (uint64_t)phases);
}

/* Fits (chunk, phases) to pts: per thread the phase holding most of its
 * samples when that is CYCLIC_THREAD_SHARE of them, and a phase no other
 * thread took (two threads on one phase is no schedule).  A thread needs
 * RANK_MIN_SAMPLES to claim one: a stray sample or two of the main thread
 * would otherwise take a worker's phase.  At least two threads must fit,
 * or nothing does. */
static void fit_candidate(const struct analysis *a, const struct point *pts, size_t n,
			  struct fit *f, uint32_t *hist)
{
	int nthreads = a->adv->nthreads, used = 0;

	memset(hist, 0, (size_t)nthreads * f->phases * sizeof(*hist));
	for (size_t i = 0; i < n; i++)
		hist[pts[i].thread * f->phases + phase_of(&pts[i], f->chunk, f->phases)]++;
	f->owned = f->fitted = 0;
	for (int t = 0; t < nthreads; t++) {
		const uint32_t *h = hist + (size_t)t * f->phases;
		uint32_t all = 0, best = 0;

		f->phase[t] = -1;
		for (int k = 0; k < f->phases; k++) {
			all += h[k];
			if (h[k] > h[best])
				best = k;
		}
		if (all < RANK_MIN_SAMPLES || h[best] < CYCLIC_THREAD_SHARE * all || (used >> best & 1))
			continue;
		used |= 1 << best;
		f->phase[t] = (int)best;
		f->owned += h[best];
		f->fitted += all;
	}
	if (popcount64((uint64_t)used) < 2)
		f->owned = f->fitted = 0;
}

/* The points of threads of known node, at most CYCLIC_SEARCH_PTS of
 * them, evenly strided: the search tries thousands of candidates. */
static struct point *search_points(const struct analysis *a, const struct site *s, size_t *n)
{
	struct point *v = xcalloc(s->npts + 1, sizeof(*v));
	size_t known = 0, stride;

	for (size_t i = 0; i < s->npts; i++)
		if (planned_node(a, &s->pts[i]) >= 0)
			v[known++] = s->pts[i];
	stride = known / CYCLIC_SEARCH_PTS + 1;
	*n = 0;
	for (size_t i = 0; i < known; i += stride)
		v[(*n)++] = v[i];
	return v;
}

/* Sizes near the chunk's fit the samples as well as it does: among them,
 * the roundest, as chunks are counts of elements, usually round ones. */
static int better(const struct fit *f, const struct fit *best)
{
	if (f->owned != best->owned)
		return f->owned > best->owned;
	return f->owned && f->phases == best->phases &&
	       __builtin_ctzll(f->chunk) > __builtin_ctzll(best->chunk);
}

/* The chunk size tried after c: the exact size matters, as a chunk a
 * little off drifts out of phase over the object, but the largest
 * objects would take too many tries. */
static uint64_t next_chunk(uint64_t c, uint64_t largest)
{
	uint64_t step = (largest / CYCLIC_MAX_TRIES + CYCLIC_STEP - 1) / CYCLIC_STEP * CYCLIC_STEP;

	return c + (c < CYCLIC_FINE || step < CYCLIC_STEP ? CYCLIC_STEP : step);
}

/* The best candidate for pts into best (its phase array kept). */
static void search(const struct analysis *a, const struct site *s, const struct point *pts,
		   size_t n, struct fit *best)
{
	int nthreads = a->adv->nthreads;
	int most = nthreads < CYCLIC_MAX_PHASES ? nthreads : CYCLIC_MAX_PHASES;
	uint32_t *hist = xcalloc((size_t)nthreads * most + 1, sizeof(*hist));
	struct fit f = { .phase = xcalloc(nthreads + 1, sizeof(int)) };

	for (f.phases = 2; f.phases <= most; f.phases++) {
		uint64_t largest = s->max_size / (CYCLIC_MIN_CHUNKS > 2 * f.phases ?
						 CYCLIC_MIN_CHUNKS : 2 * f.phases);

		for (f.chunk = PLACE_PAGE_SIZE; f.chunk <= largest;
		     f.chunk = next_chunk(f.chunk, largest)) {
			fit_candidate(a, pts, n, &f, hist);
			if (!better(&f, best))
				continue;
			best->chunk = f.chunk;
			best->phases = f.phases;
			best->owned = f.owned;
			best->fitted = f.fitted;
			memcpy(best->phase, f.phase, nthreads * sizeof(int));
		}
	}
	free(f.phase);
	free(hist);
}

/* The site without the samples of threads the fit leaves out (those
 * touching every chunk: the initialisation); s itself when none is. */
static struct site *fitted_only(const struct analysis *a, struct site *s, const struct fit *f)
{
	struct site *copy = xcalloc(1, sizeof(*copy));

	*copy = (struct site){ .kind = s->kind, .max_size = s->max_size };
	for (size_t i = 0; i < s->npts; i++)
		if (planned_node(a, &s->pts[i]) >= 0 && f->phase[s->pts[i].thread] >= 0)
			add_point(copy, s->pts[i]);
	if (copy->npts < s->npts)
		return copy;
	site_free(copy);
	free(copy);
	return s;
}

/* Phase k on its thread's node; a phase no thread kept to (a thread
 * never sampled, or the main thread's share hidden by its sweep) goes by
 * rank when the others follow ranks, as OpenMP deals them. */
static void cyclic_rule(const struct analysis *a, const struct fit *f, struct policy_rule *r)
{
	int *user = xmalloc(f->phases * sizeof(*user));

	r->action = ACT_CYCLIC;
	r->chunk = f->chunk;
	r->neach = f->phases;
	r->each = xmalloc(f->phases * sizeof(*r->each));
	for (int k = 0; k < f->phases; k++)
		user[k] = r->each[k] = -1;
	for (int t = 0; t < a->adv->nthreads; t++)
		if (f->phase[t] >= 0) {
			user[f->phase[t]] = t;
			r->each[f->phase[t]] = a->adv->threads[t].node;
		}
	fill_by_rank(a, user, f->phases, r->each);
	free(user);
}

char *try_cyclic(const struct analysis *a, struct site *s, struct policy_rule *r,
		 struct site **eval)
{
	struct fit best = { .phase = xcalloc(a->adv->nthreads + 1, sizeof(int)) };
	size_t n;
	struct point *pts = search_points(a, s, &n);
	struct site *fitted = s;
	struct locality l = { 0, 0 };

	if (n >= CYCLIC_MIN_SAMPLES)
		search(a, s, pts, n, &best);
	free(pts);
	if (best.owned && n >= 8u * best.phases && best.fitted >= CYCLIC_EXPLAINED * n) {
		fitted = fitted_only(a, s, &best);
		cyclic_rule(a, &best, r);
		l = predict(a, fitted, r);
	}
	free(best.phase);
	if (fraction(l) < CYCLIC_THREAD_SHARE) {
		drop_copy(s, &fitted);
		reset_rule(r);
		r->action = ACT_LEAVE;
		return NULL;
	}
	drop_copy(s, eval);
	*eval = fitted;
	return with_sweep_note(xasprintf("cyclic: %d threads take turns on chunks of %" PRIu64
					 " bytes (schedule(static, chunk); %.0f%% of %" PRIu64
					 " samples)", r->neach, r->chunk, 100 * fraction(l), l.total),
			       s, fitted, "threads touching every chunk");
}
