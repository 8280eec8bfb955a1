/* advise: chunks dealt to threads in turn, as OpenMP's schedule(static,
 * chunk) does: chunk k of the object goes to the thread of phase k mod n.
 * Each thread's samples keep to one phase for the right chunk size and
 * n, and to none for any other, so the pair is found by trying them: the
 * one whose phases hold the most samples wins.  Chunk 0 need not start
 * at the object's start (a header before the array): each candidate is
 * also tried with its chunks starting a quarter, a half and three
 * quarters of a chunk in, so that one start is within an eighth of a
 * chunk of the true one and its threads still keep to their phases; the
 * sizes around the winner are then tried with every start.  The rule
 * then places chunks no sample caught too, which a map of the samples
 * cannot. */
#include <inttypes.h>
#include <math.h>
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
#define CYCLIC_START_PTS    32768  /* and the final start */
#define CYCLIC_THREAD_SHARE 0.80   /* of a thread's samples in its phase */
#define CYCLIC_EXPLAINED    0.50   /* of the samples, from such threads */
#define CYCLIC_STARTS       4      /* chunk starts tried: every quarter */
#define CYCLIC_REFINE_STEPS 64     /* starts tried per chunk when refining */
#define CYCLIC_REFINE_SIZES 16     /* sizes tried each side of the best */

/* One (chunk, phases) candidate's fit: per thread its phase (-1 when
 * its samples keep to none), and the samples that fall in it. */
struct fit {
	uint64_t chunk;
	int64_t from;              /* where chunk 0 starts, in [0, chunk) */
	int phases;
	int *phase;
	uint64_t owned, fitted;    /* in their phase; of fitting threads */
};

static int phase_of(const struct point *p, uint64_t chunk, int64_t from, int phases)
{
	/* + a round of chunks: from may be past off (a header's sample) */
	return (int)(((int64_t)p->off + phases * (int64_t)chunk - from) / (int64_t)chunk % phases);
}

/* Per thread the phase holding most of its samples (h: the thread's
 * samples per phase) when that is CYCLIC_THREAD_SHARE of them, and a
 * phase no other thread took (two threads on one phase is no schedule):
 * of two that want one, the one with more samples in it.  A thread needs
 * RANK_MIN_SAMPLES to claim one: a stray sample or two of the main
 * thread would otherwise take a worker's phase (and did with ten, all in
 * a header before the first chunk, the worker left out: 1 run in 40 of
 * t9029 placed a page of every chunk on the wrong node).  At least two
 * threads must fit, or nothing does. */
static void claim_phases(int nthreads, const uint32_t *h, struct fit *f)
{
	int claimed = 0;

	f->owned = f->fitted = 0;
	for (int t = 0; t < nthreads; t++) {
		const uint32_t *ht = h + (size_t)t * f->phases;
		uint32_t all = 0, best = 0;

		for (int k = 0; k < f->phases; k++) {
			all += ht[k];
			if (ht[k] > ht[best])
				best = k;
		}
		f->phase[t] = all >= RANK_MIN_SAMPLES && ht[best] >= CYCLIC_THREAD_SHARE * all ?
			(int)best : -1;
	}
	/* Each phase to the thread wanting it with the most samples in it. */
	for (int k = 0; k < f->phases; k++) {
		int owner = -1;

		for (int t = 0; t < nthreads; t++) {
			if (f->phase[t] != k)
				continue;
			if (owner >= 0 && h[(size_t)t * f->phases + k] <= h[(size_t)owner * f->phases + k]) {
				f->phase[t] = -1;
				continue;
			}
			if (owner >= 0)
				f->phase[owner] = -1;
			owner = t;
		}
		if (owner < 0)
			continue;
		claimed++;
		f->owned += h[(size_t)owner * f->phases + k];
		for (int j = 0; j < f->phases; j++)
			f->fitted += h[(size_t)owner * f->phases + j];
	}
	if (claimed < 2)
		f->owned = f->fitted = 0;
}

/* Fits (chunk, phases) to pts of nt threads, chunk 0 starting at each
 * quarter of a chunk in turn: the best start's fit into f.  h: room for
 * the samples per start, thread and phase; phase: for one thread index
 * each. */
static void fit_candidate(int nt, const struct point *pts, size_t n, struct fit *f, uint32_t *h,
			  int *phase)
{
	int np = f->phases, nq = CYCLIC_STARTS * np;
	uint64_t q = f->chunk / CYCLIC_STARTS;
	struct fit best = { .phase = phase };

	memset(h, 0, (size_t)CYCLIC_STARTS * nt * np * sizeof(*h));
	for (size_t i = 0; i < n; i++) {
		int b = (int)(pts[i].off / q % (uint64_t)nq);
		uint32_t *ht = h + (size_t)pts[i].thread * np;

		/* the quarter b is in phase (b - j) / 4 with chunk 0 at quarter j */
		for (int j = 0; j < CYCLIC_STARTS; j++, ht += (size_t)nt * np)
			ht[(b >= j ? b - j : b - j + nq) / CYCLIC_STARTS]++;
	}
	for (int j = 0; j < CYCLIC_STARTS; j++) {
		f->from = (int64_t)(j * q);
		claim_phases(nt, h + (size_t)j * nt * np, f);
		if (f->owned > best.owned) {
			best.owned = f->owned;
			best.fitted = f->fitted;
			best.from = f->from;
			memcpy(phase, f->phase, nt * sizeof(int));
		}
	}
	f->owned = best.owned;
	f->fitted = best.fitted;
	f->from = best.from;
	memcpy(f->phase, phase, nt * sizeof(int));
}

/* The points of threads of known node, at most max of them, evenly
 * strided: the search tries thousands of candidates. */
static struct point *search_points(const struct analysis *a, const struct site *s, size_t max,
				   size_t *n)
{
	struct point *v = xcalloc(s->npts + 1, sizeof(*v));
	size_t known = 0, stride;

	for (size_t i = 0; i < s->npts; i++)
		if (planned_node(a, &s->pts[i]) >= 0)
			v[known++] = s->pts[i];
	stride = known / max + 1;
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

/* The points of the threads that may claim a phase (RANK_MIN_SAMPLES
 * of pts: claim_phases() leaves the others out whatever the candidate),
 * their threads renumbered from 0 (old[new]: the thread's index); *nt of
 * them.  A JVM's 20 threads made each of the search's thousands of
 * candidates count every thread: advise took 1.2 s on one profile. */
static struct point *claimants(const struct point *pts, size_t n, int nthreads, int *old, int *nt,
			       size_t *m)
{
	uint32_t *count = xcalloc(nthreads + 1, sizeof(*count));
	int *renumbered = xcalloc(nthreads + 1, sizeof(int));
	struct point *v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		count[pts[i].thread]++;
	*nt = 0;
	for (int t = 0; t < nthreads; t++) {
		renumbered[t] = count[t] >= RANK_MIN_SAMPLES ? *nt : -1;
		if (renumbered[t] >= 0)
			old[(*nt)++] = t;
	}
	*m = 0;
	for (size_t i = 0; i < n; i++)
		if (renumbered[pts[i].thread] >= 0) {
			v[*m] = pts[i];
			v[(*m)++].thread = renumbered[pts[i].thread];
		}
	free(renumbered);
	free(count);
	return v;
}

/* The best candidate for pts into best (its phase array kept, by the
 * threads' own indices).  Two threads at least must claim a phase. */
static void search(const struct analysis *a, const struct site *s, const struct point *pts,
		   size_t n, struct fit *best)
{
	int nthreads = a->adv->nthreads, nt;
	int most = nthreads < CYCLIC_MAX_PHASES ? nthreads : CYCLIC_MAX_PHASES;
	int *old = xcalloc(nthreads + 1, sizeof(int));
	size_t m;
	struct point *own = claimants(pts, n, nthreads, old, &nt, &m);
	uint32_t *h = xcalloc((size_t)CYCLIC_STARTS * nt * most + 1, sizeof(*h));
	int *phase = xcalloc(nt + 1, sizeof(int));
	struct fit f = { .phase = xcalloc(nt + 1, sizeof(int)) };

	for (f.phases = 2; nt >= 2 && f.phases <= most; f.phases++) {
		uint64_t largest = s->max_size / (CYCLIC_MIN_CHUNKS > 2 * f.phases ?
						 CYCLIC_MIN_CHUNKS : 2 * f.phases);

		for (f.chunk = PLACE_PAGE_SIZE; f.chunk <= largest;
		     f.chunk = next_chunk(f.chunk, largest)) {
			fit_candidate(nt, own, m, &f, h, phase);
			if (!better(&f, best))
				continue;
			best->chunk = f.chunk;
			best->from = f.from;
			best->phases = f.phases;
			best->owned = f.owned;
			best->fitted = f.fitted;
			for (int t = 0; t < nthreads; t++)
				best->phase[t] = -1;
			for (int t = 0; t < nt; t++)
				best->phase[old[t]] = f.phase[t];
		}
	}
	free(f.phase);
	free(phase);
	free(h);
	free(own);
	free(old);
}

/* Fits (chunk, phases) to pts with chunk 0 at from, into f; h: room
 * for the samples per thread and phase. */
static void fit_from(const struct analysis *a, const struct point *pts, size_t n, struct fit *f,
		     int64_t from, uint32_t *h)
{
	memset(h, 0, (size_t)a->adv->nthreads * f->phases * sizeof(*h));
	for (size_t i = 0; i < n; i++)
		h[pts[i].thread * f->phases + phase_of(&pts[i], f->chunk, from, f->phases)]++;
	f->from = from;
	claim_phases(a->adv->nthreads, h, f);
}

/* The start that keeps most samples in their phase for f's chunk and
 * phases: the middle of the widest run of such starts (samples are
 * sparse: many fit as well), the object's start when it is one.  Into
 * f, with its fit. */
static void best_start(const struct analysis *a, const struct point *pts, size_t n, struct fit *f,
		       uint32_t *h)
{
	int64_t c = (int64_t)f->chunk;
	int64_t step = (c / CYCLIC_REFINE_STEPS + CYCLIC_STEP - 1) / CYCLIC_STEP * CYCLIC_STEP;
	int nsteps = (int)((c + step - 1) / step), run = 0, widest = 0;
	uint64_t *owned = xcalloc(nsteps, sizeof(*owned)), most = 0;
	int64_t best = 0;

	for (int i = 0; i < nsteps; i++) {
		fit_from(a, pts, n, f, i * step, h);
		owned[i] = f->owned;
		most = owned[i] > most ? owned[i] : most;
	}
	for (int i = 0; i < nsteps && owned[0] < most; i++) {
		run = owned[i] == most ? run + 1 : 0;
		if (run > widest) {
			widest = run;
			best = (i - (run - 1) / 2) * step;
		}
	}
	free(owned);
	fit_from(a, pts, n, f, best, h);
}

/* Of the sizes tried, the roundest among those whose fit is within the
 * samples' noise (the square root of the best count) of the best: a size
 * near the right one, started where its chunks fit best, fits nearly as
 * well as the right one, and won by a few samples (once 65,728 bytes for
 * 65,536, whose drift left a tenth of the pages off their node).  -1 when
 * none fits. */
static int roundest_within_noise(const uint64_t *chunk, const uint64_t *owned, int n)
{
	uint64_t most = 0;
	int pick = -1;

	for (int i = 0; i < n; i++)
		most = owned[i] > most ? owned[i] : most;
	for (int i = 0; most && i < n; i++) {
		if ((double)(most - owned[i]) > sqrt((double)most))
			continue;
		if (pick < 0 || __builtin_ctzll(chunk[i]) > __builtin_ctzll(chunk[pick]) ||
		    (__builtin_ctzll(chunk[i]) == __builtin_ctzll(chunk[pick]) && owned[i] > owned[pick]))
			pick = i;
	}
	return pick;
}

/* The candidates around the search's best are tried again with every
 * start, and the roundest that fits as well (roundest_within_noise())
 * replaces it. */
static void refine(const struct analysis *a, const struct site *s, const struct point *pts,
		   size_t n, struct fit *best)
{
	int nthreads = a->adv->nthreads;
	/* Started within an eighth of a chunk of the truth, a size drifting
	 * by that much over the object's chunks fits as well: C / 8 over
	 * size / C chunks, twice that for a margin. */
	double span = (double)best->chunk * best->chunk / (4.0 * s->max_size);
	uint64_t step = (uint64_t)(span / CYCLIC_REFINE_SIZES) / CYCLIC_STEP * CYCLIC_STEP;
	uint64_t chunk[2 * CYCLIC_REFINE_SIZES + 1], owned[2 * CYCLIC_REFINE_SIZES + 1];
	int sizes, tried = 0, pick;
	uint32_t *h = xcalloc((size_t)nthreads * best->phases + 1, sizeof(*h));
	struct fit f = { .phases = best->phases, .phase = xcalloc(nthreads + 1, sizeof(int)) };

	step = step < CYCLIC_STEP ? CYCLIC_STEP : step;
	sizes = span / step < CYCLIC_REFINE_SIZES ? (int)(span / step) + 1 : CYCLIC_REFINE_SIZES;
	for (int i = -sizes; i <= sizes; i++) {
		f.chunk = best->chunk + i * (int64_t)step;
		if (f.chunk < PLACE_PAGE_SIZE)
			continue;
		best_start(a, pts, n, &f, h);
		chunk[tried] = f.chunk;
		owned[tried++] = f.owned;
	}
	pick = roundest_within_noise(chunk, owned, tried);
	if (pick >= 0) {
		f.chunk = chunk[pick];
		best_start(a, pts, n, &f, h);
		free(best->phase);
		*best = f;
	} else {
		free(f.phase);
	}
	free(h);
}

/* The chosen chunk's start again, from (nearly) every sample: a third of
 * them left starts a page apart fitting alike, and the later one taken,
 * 1 KiB past the true start, put a page of every 16 on the wrong node
 * (93.8% local in the 4-node guest, 1 run in 25). */
static void start_from_all(const struct analysis *a, const struct site *s, struct fit *best)
{
	size_t n;
	struct point *pts = search_points(a, s, CYCLIC_START_PTS, &n);
	uint32_t *h = xcalloc((size_t)a->adv->nthreads * best->phases + 1, sizeof(*h));

	best_start(a, pts, n, best, h);
	free(h);
	free(pts);
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

/* Does every thread sampled enough here keep to its phase, but one (the
 * initialisation's)?  A schedule deals every worker its turn: two of four
 * workers keeping to chunks, the others everywhere, is random reads
 * (a shared table's) that one of the thousands of chunk sizes tried fits
 * by chance (5 tables of 20, 6 samples a worker, before this). */
static bool every_worker_fits(const struct analysis *a, const struct site *s, const struct fit *f)
{
	uint32_t *seen = xcalloc(a->adv->nthreads + 1, sizeof(*seen));
	int sampled = 0, fitting = 0;

	for (size_t i = 0; i < s->npts; i++)
		if (planned_node(a, &s->pts[i]) >= 0)
			seen[s->pts[i].thread]++;
	for (int t = 0; t < a->adv->nthreads; t++) {
		sampled += seen[t] >= RANK_MIN_SAMPLES;
		fitting += f->phase[t] >= 0;
	}
	free(seen);
	return fitting + 1 >= sampled;
}

/* Phase k on its thread's node; a phase no thread kept to (a thread
 * never sampled, or the main thread's share hidden by its sweep) goes by
 * rank when the others follow ranks, as OpenMP deals them. */
static void cyclic_rule(const struct analysis *a, const struct fit *f, struct policy_rule *r)
{
	int *user = xmalloc(f->phases * sizeof(*user));

	r->action = ACT_CYCLIC;
	r->chunk = f->chunk;
	r->chunk_from = (uint64_t)f->from;
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
	struct point *pts = search_points(a, s, CYCLIC_SEARCH_PTS, &n);
	struct site *fitted = s;
	struct locality l = { 0, 0 };

	char *from, *reason;

	if (n >= CYCLIC_MIN_SAMPLES)
		search(a, s, pts, n, &best);
	if (best.owned)
		refine(a, s, pts, n, &best);
	free(pts);
	if (best.owned)
		start_from_all(a, s, &best);
	if (best.owned && n >= 8u * best.phases && best.fitted >= CYCLIC_EXPLAINED * n &&
	    every_worker_fits(a, s, &best)) {
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
	from = r->chunk_from ? xasprintf(", the first at byte %" PRIu64 " (a header before it)",
					 r->chunk_from) : xstrdup("");
	reason = xasprintf("cyclic: %d threads take turns on chunks of %" PRIu64 " bytes%s "
			   "(schedule(static, chunk); %.0f%% of %" PRIu64 " samples)", r->neach,
			   r->chunk, from, 100 * fraction(l), l.total);
	free(from);
	return with_sweep_note(reason, s, fitted, "threads touching every chunk");
}
