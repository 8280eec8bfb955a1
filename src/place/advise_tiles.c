/* advise: a 2-D array's tiles.  A grid of threads over a row-major
 * array gives each group of threads a band of rows, and each thread of
 * the group a range of columns of every row in the band: within the
 * band its chunks (a row's share) come in turn, as a cyclic schedule's
 * do.  Bands are found from where each thread's samples start and end
 * (threads of one band span the same rows); each band is then fitted as
 * a cyclic schedule of its own threads, and the rule deals each band's
 * chunks to its nodes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "error.h"

#define TILES_MAX_BANDS   16
#define TILES_OVERLAP     0.05    /* of the object: bands' ranges may touch */
#define TILES_CHUNK_SLACK 8       /* bands' chunks agree within 1/8 */
#define TILES_LOCAL       0.80    /* of the samples, local under the plan */
#define TILES_FEW         0.125   /* of the busiest thread's samples: not a tile's */

struct span {
	int thread;
	uint32_t lo, hi;          /* its 5th and 95th percentile positions */
};

struct band {
	uint32_t start, end;      /* of the object, in POLICY_PPM */
	uint64_t threads;         /* a bit per span index */
	struct policy_rule rule;  /* its cyclic fit, chunk 0 at start */
};

static int span_cmp(const void *x, const void *y)
{
	const struct span *p = x, *q = y;

	return (p->lo > q->lo) - (p->lo < q->lo);
}

/* The most samples a thread of pts (sorted by thread) has. */
static size_t busiest_thread(const struct point *pts, size_t n)
{
	size_t most = 0;

	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && pts[j].thread == pts[i].thread; j++)
			;
		most = j - i > most ? j - i : most;
	}
	return most;
}

/* Each thread of known node with enough samples, by where it starts.
 * A band's threads do alike work: one with under TILES_FEW of the
 * busiest's samples is not one of them (the main thread's initialisation,
 * a sweep its 8 samples did not show: their 5th to 95th percentiles then
 * span part of both bands and joined them, t9034 once in 50). */
static int thread_spans(const struct analysis *a, const struct site *s, struct span *v, int max)
{
	struct point *pts = xcalloc(s->npts + 1, sizeof(*pts));
	size_t n = 0, few;
	int nv = 0;

	for (size_t i = 0; i < s->npts; i++)
		if (planned_node(a, &s->pts[i]) >= 0)
			pts[n++] = s->pts[i];
	qsort(pts, n, sizeof(*pts), point_by_thread);
	few = (size_t)(TILES_FEW * (double)busiest_thread(pts, n));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && pts[j].thread == pts[i].thread; j++)
			;
		if (j - i < RANK_MIN_SAMPLES || j - i < few)
			continue;
		if (nv == max) {
			nv = 0;         /* too many threads for tiles */
			break;
		}
		v[nv++] = (struct span){ pts[i].thread, pts[i + (j - i) * 5 / 100].pos,
					 pts[i + (j - i) * 95 / 100].pos };
	}
	free(pts);
	qsort(v, nv, sizeof(*v), span_cmp);
	return nv;
}

/* Bands of equal rows, as a grid of threads cuts them, when every
 * boundary found is within an eighth of a band of k / nb: samples only
 * say where each is to a few rows. */
static void snap_to_equal(struct band *b, int nb)
{
	uint32_t tolerance = POLICY_PPM / (8 * nb);

	for (int k = 1; k < nb; k++) {
		uint32_t even = (uint32_t)((uint64_t)k * POLICY_PPM / nb);

		if (b[k].start + tolerance < even || b[k].start > even + tolerance)
			return;
	}
	for (int k = 0; k < nb; k++) {
		b[k].start = (uint32_t)((uint64_t)k * POLICY_PPM / nb);
		b[k].end = (uint32_t)((uint64_t)(k + 1) * POLICY_PPM / nb);
	}
}

/* Threads whose ranges overlap make a band; a thread starting past the
 * band's end (with TILES_OVERLAP of slack) starts the next.  The bands'
 * boundaries fall halfway between one's end and the next's start.
 * Returns the number of bands, 0 when they are no tiles: one band, or
 * none shared by two threads (that is a block). */
static int find_bands(const struct span *v, int nv, struct band *b)
{
	uint32_t slack = (uint32_t)(TILES_OVERLAP * POLICY_PPM), end = 0;
	int nb = 0, shared = 0;

	for (int i = 0; i < nv; i++) {
		if (!nb || v[i].lo + slack >= end) {
			uint32_t start = nb ? (end + v[i].lo) / 2 : 0;

			if (nb == TILES_MAX_BANDS)
				return 0;
			if (nb)
				b[nb - 1].end = start;
			b[nb++] = (struct band){ .start = start };
			end = 0;
		}
		b[nb - 1].threads |= 1ULL << i;
		end = v[i].hi > end ? v[i].hi : end;
	}
	if (nb)
		b[nb - 1].end = POLICY_PPM;
	for (int k = 0; k < nb; k++)
		shared += popcount64(b[k].threads) >= 2;
	if (nb < 2 || !shared)
		return 0;
	snap_to_equal(b, nb);
	return nb;
}

static uint64_t band_bytes(uint64_t size, uint32_t ppm)
{
	return (uint64_t)((unsigned __int128)size * ppm / POLICY_PPM);
}

/* The band's threads' samples inside it, as a site of its own: offsets
 * and positions from the band's start. */
static struct site *band_site(const struct site *s, const struct band *b, const struct span *v,
			      int nv)
{
	struct site *sub = xcalloc(1, sizeof(*sub));

	*sub = (struct site){ .kind = s->kind,
			      .max_size = band_bytes(s->max_size, b->end) -
					  band_bytes(s->max_size, b->start) };
	for (size_t i = 0; i < s->npts; i++) {
		struct point p = s->pts[i];
		uint64_t from = band_bytes(p.size, b->start), to = band_bytes(p.size, b->end);
		int mine = 0;

		for (int k = 0; k < nv && !mine; k++)
			mine = (b->threads >> k & 1) && v[k].thread == p.thread;
		if (!mine || p.pos < b->start || p.pos >= b->end || p.off < from)
			continue;
		p.off -= from;
		p.size = to - from;
		p.pos = (uint32_t)((uint64_t)(p.pos - b->start) * POLICY_PPM / (b->end - b->start));
		add_point(sub, p);
	}
	return sub;
}

/* The band's cyclic fit; a chunk 0 starting into the band moves the
 * band's start there (the bytes before are the band before's). */
static int fit_band(const struct analysis *a, const struct site *s, struct band *b,
		    const struct span *v, int nv)
{
	struct site *sub = band_site(s, b, v, nv), *eval = sub;
	char *reason = try_cyclic(a, sub, &b->rule, &eval);

	drop_copy(sub, &eval);
	site_free(sub);
	free(sub);
	if (!reason)
		return -1;
	free(reason);
	if (b->rule.chunk_from)
		b->start += (uint32_t)((unsigned __int128)b->rule.chunk_from * POLICY_PPM / s->max_size);
	return 0;
}

static void tiles_rule(const struct band *b, int nb, uint64_t chunk, struct policy_rule *r)
{
	r->action = ACT_TILES;
	r->chunk = chunk;
	r->seg = xcalloc(nb, sizeof(*r->seg));
	for (int k = 0; k < nb; k++) {
		struct policy_segment *seg = &r->seg[r->nseg++];

		*seg = (struct policy_segment){ .start = b[k].start, .end = k + 1 < nb ? b[k + 1].start
										   : POLICY_PPM,
						.first = r->neach, .count = b[k].rule.neach };
		r->each = xrealloc(r->each, (r->neach + seg->count) * sizeof(*r->each));
		memcpy(r->each + r->neach, b[k].rule.each, seg->count * sizeof(*r->each));
		r->neach += seg->count;
		seg->node = r->each[seg->first];
	}
}

static int chunks_agree(const struct band *b, int nb, uint64_t *chunk)
{
	*chunk = b[0].rule.chunk;
	for (int k = 1; k < nb; k++) {
		uint64_t c = b[k].rule.chunk, d = c > *chunk ? c - *chunk : *chunk - c;

		if (d * TILES_CHUNK_SLACK > *chunk)
			return 0;
	}
	return 1;
}

char *try_tiles(const struct analysis *a, const struct site *s, struct policy_rule *r)
{
	struct span v[64];
	struct band b[TILES_MAX_BANDS];
	int nv = thread_spans(a, s, v, 64), nb = nv ? find_bands(v, nv, b) : 0, fitted = 0;
	uint64_t chunk = 0;
	struct locality l = { 0, 0 };

	for (int k = 0; k < nb; k++)
		fitted += fit_band(a, s, &b[k], v, nv) == 0;
	if (nb && fitted == nb && chunks_agree(b, nb, &chunk)) {
		tiles_rule(b, nb, chunk, r);
		l = predict(a, s, r);
	}
	for (int k = 0; k < nb; k++)
		reset_rule(&b[k].rule);
	if (!l.total || fraction(l) < TILES_LOCAL) {
		reset_rule(r);
		r->action = ACT_LEAVE;
		return NULL;
	}
	return xasprintf("tiles: %d bands of rows, each dealt in chunks of %" PRIu64 " bytes to "
			 "its threads in turn (a 2-D decomposition; %.0f%% of %" PRIu64 " samples)",
			 nb, chunk, 100 * fraction(l), l.total);
}
