/* An object's access pattern is judged on the threads that do its work:
 * see include/access_spans.h. */
#include <stdlib.h>

#include "access_spans.h"
#include "error.h"
#include "sorted.h"

/* One thread's rows and where its samples lie. */
struct span {
	size_t first, n;            /* its rows */
	uint64_t samples;
	uint64_t lo, hi;            /* 5th and 95th percentile pages */
	bool out;                   /* left out of the pattern */
	bool sweeps;                /* out as sweeping across others' blocks */
};

/* The page holding the sample of 0-based rank k among s's rows. */
static uint64_t page_at_rank(const struct page_samples *rows, const struct span *s, uint64_t k)
{
	uint64_t seen = 0;

	for (size_t i = s->first; i < s->first + s->n; i++) {
		seen += rows[i].samples;
		if (seen > k)
			return rows[i].page;
	}
	return rows[s->first + s->n - 1].page;
}

/* The threads of rows, one span each; returns how many. */
static size_t spans_of(const struct page_samples *rows, size_t n, struct span *spans,
		       uint64_t *total)
{
	size_t count = 0;

	*total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!i || rows[i].tid != rows[i - 1].tid)
			spans[count++] = (struct span){ .first = i };
		spans[count - 1].n++;
		spans[count - 1].samples += rows[i].samples;
		*total += rows[i].samples;
	}
	for (size_t t = 0; t < count; t++) {
		spans[t].lo = page_at_rank(rows, &spans[t], spans[t].samples * 5 / 100);
		spans[t].hi = page_at_rank(rows, &spans[t], spans[t].samples * 95 / 100);
	}
	return count;
}

/* Leaves out threads with under one sample in ACCESS_MINOR_SHARE, unless
 * every thread has so few (many threads sharing it evenly). */
static void leave_out_minor(struct span *spans, size_t count, uint64_t total)
{
	size_t minor = 0;

	for (size_t t = 0; t < count; t++)
		minor += spans[t].samples * ACCESS_MINOR_SHARE < total;
	if (minor == count)
		return;
	for (size_t t = 0; t < count; t++)
		spans[t].out = spans[t].samples * ACCESS_MINOR_SHARE < total;
}

static bool meet(const struct span *a, const struct span *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

/* Does t's span meet those of two threads that keep apart from each
 * other?  Among the spans it meets, two are apart when one ends before
 * another starts. */
static bool sweeps_across(const struct span *spans, size_t count, size_t t)
{
	uint64_t first_end = UINT64_MAX, last_start = 0;

	for (size_t u = 0; u < count; u++)
		if (u != t && !spans[u].out && meet(&spans[t], &spans[u])) {
			first_end = spans[u].hi < first_end ? spans[u].hi : first_end;
			last_start = spans[u].lo > last_start ? spans[u].lo : last_start;
		}
	return first_end != UINT64_MAX && first_end < last_start;
}

/* Leaves out the threads sweeping across others' blocks, while two
 * threads or more remain. */
static void leave_out_sweepers(struct span *spans, size_t count)
{
	size_t kept = 0;

	for (size_t t = 0; t < count; t++)
		spans[t].sweeps = !spans[t].out && sweeps_across(spans, count, t);
	for (size_t t = 0; t < count; t++)
		kept += !spans[t].out && !spans[t].sweeps;
	for (size_t t = 0; t < count; t++) {
		spans[t].sweeps &= kept >= 2;
		spans[t].out |= spans[t].sweeps;
	}
}

/* Does any page have rows of two workers?  (Rows are one per thread and
 * page: a page seen twice among the workers' is shared.) */
static bool workers_share_a_page(const struct page_samples *rows, const struct span *spans,
				 size_t count)
{
	size_t n = 0;
	struct sort_key *keys;
	bool shared = false;

	for (size_t t = 0; t < count; t++)
		n += spans[t].out ? 0 : spans[t].n;
	keys = xmalloc_array(n + 1, sizeof(*keys));
	n = 0;
	for (size_t t = 0; t < count; t++)
		for (size_t i = spans[t].first; !spans[t].out && i < spans[t].first + spans[t].n; i++)
			keys[n++] = (struct sort_key){ rows[i].page, (uint32_t)i };
	sort_keys(keys, n);
	for (size_t i = 1; i < n && !shared; i++)
		shared = keys[i].key == keys[i - 1].key;
	free(keys);
	return shared;
}

void access_spans_judge(const struct page_samples *rows, size_t n, struct access_spans *out)
{
	struct span *spans = xmalloc_array(n + 1, sizeof(*spans));
	uint64_t total;
	size_t count = spans_of(rows, n, spans, &total);

	*out = (struct access_spans){ 0 };
	leave_out_minor(spans, count, total);
	leave_out_sweepers(spans, count);
	for (size_t t = 0; t < count; t++) {
		if (spans[t].sweeps) {
			out->sweepers++;
			out->sweepers_samples += spans[t].samples;
		} else if (spans[t].out) {
			out->minor++;
			out->minor_samples += spans[t].samples;
		}
		if (spans[t].out) {
			if (out->nout_listed < ACCESS_OUT_LISTED)
				out->out_tids[out->nout_listed++] = rows[spans[t].first].tid;
			continue;
		}
		out->workers++;
		for (size_t u = t + 1; u < count; u++)
			out->spans_overlap |= !spans[u].out && meet(&spans[t], &spans[u]);
	}
	out->page_shared = workers_share_a_page(rows, spans, count);
	free(spans);
}

static bool left_out(const struct access_spans *s, pid_t tid)
{
	for (int i = 0; i < s->nout_listed; i++)
		if (s->out_tids[i] == tid)
			return true;
	return false;
}

/* A serial initialisation's writes and a worker's on one line are not
 * false sharing: they come one after the other.  (A CI run of t0306 saw
 * its serially initialised 128 MiB array called "false sharing suspect"
 * for one line that main, left out as the sweep, and a worker were both
 * sampled on.) */
bool access_spans_workers_wrote(const struct access_spans *s, const char *tids)
{
	int workers = 0;

	if (!tids)
		return true;
	for (const char *p = tids; *p && workers < 2; p++) {
		char *end;
		long tid = strtol(p, &end, 10);

		if (end == p)
			return true;        /* not a list of tids: as if unknown */
		workers += !left_out(s, (pid_t)tid);
		p = *end ? end : end - 1;
	}
	return workers >= 2;
}
