/* advise: which action fits a site, from where its samples fall in its
 * objects and which threads made them, and the locality each plan would
 * give.  Pure: sites in, a rule and its reason out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "error.h"

#define MIN_SAMPLES       20     /* fewer: too cold to tell a pattern */
#define COLD_PER_MILLE    1      /* of all attributed samples */
#define BIND_SHARE        0.90   /* one node makes this much: bind */
#define PATTERN_LOCAL     0.80   /* block/pagemap must make this local */
#define USER_SHARE        0.05   /* a node using this much interleaves */
#define SWEEP_SPAN        0.75   /* a thread spanning this much sweeps */
#define SWEEP_MIN_SAMPLES 4      /* fewer: no telling a sweep */
#define MAX_BUCKETS       1024   /* pagemap resolution */

void add_point(struct site *s, struct point p)
{
	if (s->npts == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pts = xrealloc(s->pts, s->cap * sizeof(*s->pts));
	}
	s->pts[s->npts++] = p;
}

/* ---- predicting locality ---- */

const struct advice_thread *thread_at(const struct analysis *a, const struct point *p)
{
	return p->thread >= 0 ? &a->adv->threads[p->thread] : NULL;
}

int planned_node(const struct analysis *a, const struct point *p)
{
	return p->thread >= 0 ? a->adv->threads[p->thread].node : -1;
}

static int segment_node(const struct policy_rule *r, uint32_t pos)
{
	for (int i = 0; i < r->nseg; i++)
		if (pos >= r->seg[i].start && pos < r->seg[i].end)
			return r->seg[i].node;
	return -1;
}

/* Accesses that would be local under rule r with the planned threads;
 * leave keeps each page where the profile saw it. */
struct locality predict(const struct analysis *a, const struct site *s,
			       const struct policy_rule *r)
{
	struct locality l = { 0, 0 };

	for (size_t i = 0; i < s->npts; i++) {
		const struct point *p = &s->pts[i];
		int node = planned_node(a, p);

		if (node < 0 || (r->action == ACT_LEAVE && p->page_node < 0))
			continue;
		l.total++;
		switch (r->action) {
		case ACT_LEAVE:
			l.local += p->page_node == node;
			break;
		case ACT_BIND:
			l.local += r->nodemask >> node & 1;
			break;
		case ACT_INTERLEAVE:
			if (node < POLICY_MAX_NODES && (r->nodemask >> node & 1))
				l.local += 1.0 / popcount64(r->nodemask);
			break;
		case ACT_BLOCK:
		case ACT_PAGEMAP:
			l.local += segment_node(r, p->pos) == node;
			break;
		case ACT_EACH:
			l.local += p->nth >= 0 && r->each[p->nth % r->neach] == node;
			break;
		case ACT_CYCLIC:
			l.local += p->off >= r->chunk_from &&
				   r->each[(p->off - r->chunk_from) / r->chunk % r->neach] == node;
			break;
		case ACT_TILES:
			l.local += policy_tiles_node(r, p->off, p->size) == node;
			break;
		}
	}
	return l;
}

struct locality measured(const struct site *s)
{
	struct locality l = { 0, 0 };

	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].node >= 0 && s->pts[i].page_node >= 0) {
			l.total++;
			l.local += s->pts[i].node == s->pts[i].page_node;
		}
	return l;
}

double fraction(struct locality l)
{
	return l.total ? l.local / l.total : 0;
}

/* ---- choosing the action ---- */

void add_segment(struct policy_rule *r, uint32_t start, uint32_t end, int node)
{
	struct policy_segment *last = r->nseg ? &r->seg[r->nseg - 1] : NULL;

	if (end <= start)
		return;
	if (last && last->node == node && last->end == start) {
		last->end = end;
		return;
	}
	r->seg = xrealloc(r->seg, (r->nseg + 1) * sizeof(*r->seg));
	r->seg[r->nseg++] = (struct policy_segment){ .start = start, .end = end, .node = node };
}

/* Sample counts per planned node; returns the samples with a known node. */
static uint64_t node_counts(const struct analysis *a, const struct site *s, uint64_t *count)
{
	uint64_t known = 0;

	memset(count, 0, POLICY_MAX_NODES * sizeof(*count));
	for (size_t i = 0; i < s->npts; i++) {
		int node = planned_node(a, &s->pts[i]);

		if (node >= 0 && node < POLICY_MAX_NODES) {
			count[node]++;
			known++;
		}
	}
	return known;
}

/* A run of buckets of the object owned by one key (a thread or a node):
 * the key with the most samples in each bucket.  lo/hi are the owner's
 * first and last sampled positions in the run, to cut between runs more
 * finely than buckets do. */
struct owner_run {
	int key;
	size_t first, last;
	uint32_t lo, hi;
};

typedef int (*point_key)(const struct analysis *a, const struct point *p);

static int thread_key(const struct analysis *a, const struct point *p)
{
	return planned_node(a, p) >= 0 ? p->thread : -1;
}

static int node_key(const struct analysis *a, const struct point *p)
{
	return planned_node(a, p);
}

static int point_by_pos(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	return (p->pos > q->pos) - (p->pos < q->pos);
}

/* Enough buckets for a fine map, few enough that each holds about 8
 * samples, and never finer than pages. */
static size_t bucket_count(const struct site *s, uint64_t known)
{
	uint64_t pages = (s->max_size + PLACE_PAGE_SIZE - 1) / PLACE_PAGE_SIZE, nb = known / 8;

	nb = nb > MAX_BUCKETS ? MAX_BUCKETS : nb < 2 ? 2 : nb;
	return nb > pages ? pages : nb;
}

static int bucket_owner(const struct analysis *a, const struct point *pts, size_t n, point_key key,
			uint32_t *count)
{
	uint32_t best = 0;
	int owner = -1;

	for (size_t i = 0; i < n; i++) {
		int k = key(a, &pts[i]);

		if (k >= 0 && ++count[k] > best) {
			best = count[k];
			owner = k;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (key(a, &pts[i]) >= 0)
			count[key(a, &pts[i])] = 0;
	return owner;
}

/* Buckets nobody sampled extend the run before them. */
static int owner_runs(const struct analysis *a, struct site *s, size_t nb, point_key key,
		      int nkeys, struct owner_run **out)
{
	uint32_t *count = xcalloc(nkeys, sizeof(*count));
	struct owner_run *runs = NULL, *run = NULL;
	int n = 0;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_pos);
	for (size_t b = 0, i = 0, j; b < nb; b++, i = j) {
		int owner;

		for (j = i; j < s->npts && (uint64_t)s->pts[j].pos * nb / POLICY_PPM == b; j++)
			;
		owner = bucket_owner(a, s->pts + i, j - i, key, count);
		if (owner >= 0 && (!run || run->key != owner)) {
			runs = xrealloc(runs, (n + 1) * sizeof(*runs));
			run = &runs[n++];
			*run = (struct owner_run){ owner, b, b, UINT32_MAX, 0 };
		}
		if (!run)
			continue;
		run->last = b;
		for (size_t k = i; k < j; k++)
			if (key(a, &s->pts[k]) == run->key) {
				run->lo = s->pts[k].pos < run->lo ? s->pts[k].pos : run->lo;
				run->hi = s->pts[k].pos > run->hi ? s->pts[k].pos : run->hi;
			}
	}
	free(count);
	*out = runs;
	return n;
}

/* Where run r ends and the next begins: halfway between the last sample
 * of one owner and the first of the next. */
static uint32_t run_boundary(const struct owner_run *r, size_t nb)
{
	if (r[0].hi < r[1].lo)
		return (uint32_t)(((uint64_t)r[0].hi + r[1].lo) / 2);
	return (uint32_t)((r[0].last + 1) * POLICY_PPM / nb);
}

static int runs_to_segments(const struct analysis *a, const struct owner_run *runs, int n, size_t nb,
			    point_key key, struct policy_rule *r)
{
	for (int i = 0; i < n; i++) {
		uint32_t start = i ? run_boundary(&runs[i - 1], nb) : 0;
		uint32_t end = i + 1 < n ? run_boundary(&runs[i], nb) : POLICY_PPM;
		int node = key == thread_key ? a->adv->threads[runs[i].key].node : runs[i].key;

		add_segment(r, start, end, node);
	}
	return r->nseg;
}

/* Block: each busy thread owns one contiguous run of the object. */
static int try_block(const struct analysis *a, struct site *s, uint64_t known, struct policy_rule *r)
{
	size_t nb = bucket_count(s, known);
	struct owner_run *runs;
	int n = owner_runs(a, s, nb, thread_key, a->adv->nthreads, &runs), ok = n >= 2;

	for (int i = 0; ok && i < n; i++)
		for (int j = 0; ok && j < i; j++)
			ok = runs[j].key != runs[i].key;
	if (ok)
		runs_to_segments(a, runs, n, nb, thread_key, r);
	free(runs);
	r->action = ACT_BLOCK;
	return ok && r->nseg >= 2 && fraction(predict(a, s, r)) >= PATTERN_LOCAL ? n : 0;
}

/* Pagemap: runs owned by nodes, in any order, repeating. */
static int try_pagemap(const struct analysis *a, struct site *s, uint64_t known,
		       struct policy_rule *r)
{
	size_t nb = bucket_count(s, known);
	struct owner_run *runs;
	int n = owner_runs(a, s, nb, node_key, POLICY_MAX_NODES, &runs);

	runs_to_segments(a, runs, n, nb, node_key, r);
	free(runs);
	r->action = ACT_PAGEMAP;
	return r->nseg >= 2 && fraction(predict(a, s, r)) >= PATTERN_LOCAL;
}

void reset_rule(struct policy_rule *r)
{
	free(r->seg);
	r->seg = NULL;
	r->nseg = 0;
	free(r->each);
	r->each = NULL;
	r->neach = 0;
	r->nodemask = 0;
	r->chunk = r->chunk_from = 0;
}

char *nodelist_text(uint64_t mask)
{
	struct policy_rule r = { .site = SITE_DEFAULT, .action = ACT_INTERLEAVE, .nodemask = mask };
	char *text;

	policy_rule_format(&r);     /* "default interleave LIST" */
	text = xstrdup(strrchr(r.text, ' ') + 1);
	free(r.text);
	return text;
}

static char *block_reason(const struct policy_rule *r, int threads, struct locality after)
{
	uint32_t even = POLICY_PPM / threads;
	int equal = r->nseg == threads;

	for (int i = 0; equal && i < r->nseg; i++)
		equal = abs((int)(r->seg[i].end - r->seg[i].start) - (int)even) < (int)even / 10;
	if (equal)
		return xasprintf("block: %d threads each touch a disjoint 1/%d (%.0f%% of %" PRIu64
				 " samples)", threads, threads, 100 * fraction(after), after.total);
	return xasprintf("block: %d threads each touch their own contiguous slice (%.0f%% of %"
			 PRIu64 " samples)", threads, 100 * fraction(after), after.total);
}

/* Shared use: interleave over the nodes that use it, or bind when that is
 * one node after all. */
static char *plan_shared(const uint64_t *count, uint64_t known, struct policy_rule *r)
{
	uint64_t top = 0;
	char *nodes, *reason;

	for (int n = 0; n < POLICY_MAX_NODES; n++) {
		if (count[n] >= USER_SHARE * known)
			r->nodemask |= 1ULL << n;
		if (count[n] > top)
			top = count[n];
	}
	r->action = popcount64(r->nodemask) > 1 ? ACT_INTERLEAVE : ACT_BIND;
	nodes = nodelist_text(r->nodemask);
	if (r->action == ACT_BIND)
		reason = xasprintf("bind: threads on node %s make %.0f%% of %" PRIu64 " samples",
				   nodes, 100.0 * top / known, known);
	else
		reason = xasprintf("interleave: shared by threads on nodes %s (the busiest node makes "
				   "%.0f%% of %" PRIu64 " samples)", nodes, 100.0 * top / known, known);
	free(nodes);
	return reason;
}

/* Block: the reason, or NULL when it does not fit.  known: s's samples
 * of a known node (node_counts()). */
static char *try_block_pattern(const struct analysis *a, struct site *s, uint64_t known,
			       struct policy_rule *r)
{
	int threads = try_block(a, s, known, r);

	if (threads)
		return block_reason(r, threads, predict(a, s, r));
	reset_rule(r);
	return NULL;
}

/* Pagemap: the reason, or NULL when it does not fit. */
static char *try_pagemap_pattern(const struct analysis *a, struct site *s, uint64_t known,
				 struct policy_rule *r)
{
	if (try_pagemap(a, s, known, r)) {
		struct locality l = predict(a, s, r);

		return xasprintf("pagemap: %d runs of pages, each used mostly by one node "
				 "(%.0f%% of %" PRIu64 " samples)", r->nseg, 100 * fraction(l), l.total);
	}
	reset_rule(r);
	return NULL;
}

/* Block, then pagemap: the reason, or NULL when neither fits. */
static char *try_patterns(const struct analysis *a, struct site *s, struct policy_rule *r)
{
	uint64_t count[POLICY_MAX_NODES], known = node_counts(a, s, count);
	char *reason = try_block_pattern(a, s, known, r);

	return reason ? reason : try_pagemap_pattern(a, s, known, r);
}

int point_by_thread(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	if (p->thread != q->thread)
		return p->thread < q->thread ? -1 : 1;
	return (p->pos > q->pos) - (p->pos < q->pos);
}

/* Does a thread whose n samples (sorted by position) are pts span
 * SWEEP_SPAN of the object?  Its 5th to 95th percentile samples, the
 * order statistics lo and hi of n, lie on average (hi - lo) / (n + 1) of
 * the span apart, not 90%: a full sweep seen in 20 samples (the guest's
 * serial initialisation of an array) measures 86% on average, and below
 * 75% one time in ten, which made it a user of part of the object.  The
 * threshold is scaled alike: a full sweep passes 99 times in 100 at 20
 * samples, and a thread on 60% of the object never does.  Below
 * SWEEP_MIN_SAMPLES, the scaled threshold would let a thread's last
 * sample and its first make a sweep. */
static int sweeps(const struct point *pts, size_t n)
{
	size_t lo = n * 5 / 100, hi = n * 95 / 100;

	return n >= SWEEP_MIN_SAMPLES &&
	       pts[hi].pos - pts[lo].pos >= SWEEP_SPAN * POLICY_PPM * (double)(hi - lo) / (double)(n + 1);
}

/* A thread sweeping the whole object (its 5th to 95th percentile span
 * most of it) while others keep to parts of it: the serial initialisation
 * of data the threads then share out, or first-touch samples.  Such
 * sweeps hide the pattern the plan is for.  Returns a copy of the site
 * without them, or NULL when there is no sweep or fewer than min_kept
 * samples besides. */
static struct site *without_sweepers(const struct analysis *a, struct site *s, size_t min_kept)
{
	char *sweeper = xcalloc(a->adv->nthreads + 1, 1);
	uint64_t nodes = 0;
	size_t kept = 0, swept = 0;
	int sweepers = 0;
	struct site *copy = NULL;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_thread);
	for (size_t i = 0, j; i < s->npts; i = j) {
		size_t n;

		for (j = i; j < s->npts && s->pts[j].thread == s->pts[i].thread; j++)
			;
		n = j - i;
		if (planned_node(a, &s->pts[i]) < 0)
			continue;
		if (sweeps(&s->pts[i], n)) {
			sweeper[s->pts[i].thread] = 1;
			swept += n;
			sweepers++;
		} else {
			kept += n;
			nodes |= 1ULL << planned_node(a, &s->pts[i]);
		}
	}
	/* One thread's sweep and next to nothing besides: the site's real
	 * users went unseen (cold; a sibling's plan may fit it). */
	s->cold = sweepers == 1 && kept < MIN_SAMPLES;
	if (swept && kept >= min_kept && popcount64(nodes) >= 2) {
		copy = xcalloc(1, sizeof(*copy));
		*copy = (struct site){ .kind = s->kind, .max_size = s->max_size };
		for (size_t i = 0; i < s->npts; i++)
			if (planned_node(a, &s->pts[i]) >= 0 && !sweeper[s->pts[i].thread])
				add_point(copy, s->pts[i]);
	}
	free(sweeper);
	return copy;
}

void site_free(struct site *s)
{
	free(s->pts);
}

char *with_sweep_note(char *reason, const struct site *s, const struct site *eval,
			     const char *sweepers)
{
	char *full;

	if (eval == s)
		return reason;
	full = xasprintf("%s, leaving out %zu samples of %s (initialisation)", reason,
			 s->npts - eval->npts, sweepers);
	free(reason);
	return full;
}

void drop_copy(struct site *s, struct site **eval)
{
	if (*eval != s) {
		site_free(*eval);
		free(*eval);
	}
	*eval = s;
}

/* Sets r's action and returns the reason, in words.  *eval is the site
 * whose samples the plan should be judged on: s, or its copy without
 * sweeps when the pattern was found there. */
char *choose_action(const struct analysis *a, struct site *s, struct policy_rule *r,
			   struct site **eval)
{
	uint64_t count[POLICY_MAX_NODES], known = node_counts(a, s, count), top = 0;
	int top_node = -1;
	char *reason;

	r->action = ACT_LEAVE;
	*eval = s;
	if (s->max_size < a->opts->min_size)
		return xasprintf("leave: too small (%" PRIu64 " bytes < %" PRIu64 ")",
				 s->max_size, a->opts->min_size);
	if (!(*eval = without_sweepers(a, s, RANK_MIN_SAMPLES)))
		*eval = s;
	/* First the static schedule: when it explains the samples, it also
	 * places the slices of workers no sample caught, which finding
	 * boundaries would hand to their neighbours. */
	if ((reason = rank_blocks(a, *eval, s, r)))
		return with_sweep_note(reason, s, *eval, "threads sweeping the whole object");
	if ((reason = per_object(a, s, r, eval)))
		return reason;
	if (known < MIN_SAMPLES || known * 1000 < COLD_PER_MILLE * a->adv->samples) {
		drop_copy(s, eval);
		s->cold = 1;
		return xasprintf("leave: too cold (%" PRIu64 " samples from threads of known node)",
				 known);
	}
	/* Before the patterns of positions: a thread's chunks spread over
	 * the whole object, and the schedule places chunks never sampled. */
	if ((reason = try_cyclic(a, s, r, eval)))
		return reason;
	if ((reason = try_tiles(a, *eval, r)))
		return with_sweep_note(reason, s, *eval, "threads sweeping the whole object");
	if (*eval != s && (*eval)->npts >= MIN_SAMPLES && (reason = try_patterns(a, *eval, r)))
		return with_sweep_note(reason, s, *eval, "threads sweeping the whole object");
	drop_copy(s, eval);
	for (int n = 0; n < POLICY_MAX_NODES; n++)
		if (count[n] > top) {
			top = count[n];
			top_node = n;
		}
	if (top >= BIND_SHARE * known) {
		r->action = ACT_BIND;
		r->nodemask = 1ULL << top_node;
		return xasprintf("bind: threads on node %d make %.0f%% of %" PRIu64 " samples",
				 top_node, 100.0 * top / known, known);
	}
	/* A queue before a pagemap: a queue's consumer makes about as many
	 * of its samples as BIND_SHARE, and below it a pagemap fitted to the
	 * sampling noise of its pages won over the queue's bind (t9028 once,
	 * 80% predicted against 79%). */
	if ((reason = try_block_pattern(a, s, known, r)) ||
	    (reason = try_queue(a, s, count, known, r)) ||
	    (reason = try_pagemap_pattern(a, s, known, r)))
		return reason;
	return plan_shared(count, known, r);
}

