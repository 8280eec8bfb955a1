/* The threads an object's pattern is judged on: a serial initialisation
 * sweeping across the workers' blocks is left out (the blocks stay
 * disjoint), as is a thread with a stray sample or two; threads that all
 * read everything, or take turns page by page, stay shared; one worker
 * and the sweep stay two threads; when every thread has few samples,
 * none is left out; a worker's few strays past its block do not make
 * the blocks meet.  A line written by the sweep and one worker is not
 * shared by workers; one written by two workers is. */
#include "access_spans.h"
#include "unit.h"

#define MAX_ROWS 4096

struct rows {
	struct page_samples v[MAX_ROWS];
	size_t n;
};

/* Rows must come sorted by tid then page: callers add them so. */
static void add(struct rows *r, pid_t tid, uint64_t page, uint64_t samples)
{
	if (r->n < MAX_ROWS)
		r->v[r->n++] = (struct page_samples){ tid, page, samples };
}

/* Threads 1..workers, each on its own block of pages pages, samples each. */
static void add_blocks(struct rows *r, int first_tid, int workers, uint64_t pages,
		       uint64_t samples)
{
	for (int w = 0; w < workers; w++)
		for (uint64_t p = 0; p < pages; p++)
			add(r, first_tid + w, w * pages + p, samples);
}

/* Judges r's rows and checks the threads kept and left out, and how
 * the kept ones' spans and pages meet. */
static void expect(const struct rows *r, int workers, int left_out, bool overlap, bool shared,
		   int line)
{
	struct access_spans j;

	access_spans_judge(r->v, r->n, &j);
	if (j.workers != workers || j.sweepers + j.minor != left_out ||
	    j.spans_overlap != overlap || j.page_shared != shared) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %d workers, %d left out, overlap %d, shared %d; "
			"want %d, %d, %d, %d\n", __FILE__, line, j.workers, j.sweepers + j.minor,
			j.spans_overlap, j.page_shared, workers, left_out, overlap, shared);
	}
}

#define EXPECT(r, workers, left_out, overlap, shared) \
	expect(r, workers, left_out, overlap, shared, __LINE__)

static void serial_init(uint64_t sweep_samples, int want_sweepers, int want_minor)
{
	static struct rows r;
	struct access_spans j;
	uint64_t n = 0;

	r.n = 0;
	/* Thread 1 (main) writes every 16th page of the 4 x 64 pages. */
	for (uint64_t p = 0; p < 4 * 64 && n < sweep_samples; p += 16, n++)
		add(&r, 1, p, 1);
	add_blocks(&r, 2, 4, 64, 2);
	EXPECT(&r, 4, 1, false, false);
	access_spans_judge(r.v, r.n, &j);
	CHECK_INT(j.sweepers, want_sweepers);
	CHECK_INT(j.sweepers_samples, want_sweepers ? n : 0);
	CHECK_INT(j.minor, want_minor);
	CHECK_INT(j.minor_samples, want_minor ? n : 0);
	/* Main (tid 1) is left out, whichever way: the lines it wrote with
	 * a worker are not false sharing; two workers' line is. */
	CHECK_INT(j.nout_listed, 1);
	CHECK_INT(j.out_tids[0], 1);
	CHECK(!access_spans_workers_wrote(&j, "1,3"));
	CHECK(access_spans_workers_wrote(&j, "2,3"));
	CHECK(access_spans_workers_wrote(&j, "1,2,5"));
	CHECK(!access_spans_workers_wrote(&j, "1"));
}

/* More threads left out than listed: an unlisted one counts as a
 * worker; a line whose writers were not recorded counts as shared. */
static void unlisted_left_out(void)
{
	static struct rows r;
	struct access_spans j;

	r.n = 0;
	for (int t = 1; t <= ACCESS_OUT_LISTED + 2; t++)
		add(&r, t, 0, 1);               /* strays: under 1% each */
	add_blocks(&r, 100, 2, 64, 10);
	access_spans_judge(r.v, r.n, &j);
	CHECK_INT(j.minor, ACCESS_OUT_LISTED + 2);
	CHECK_INT(j.nout_listed, ACCESS_OUT_LISTED);
	CHECK(!access_spans_workers_wrote(&j, "1,2"));
	CHECK(access_spans_workers_wrote(&j, "9,10"));      /* not listed: taken for workers */
	CHECK(!access_spans_workers_wrote(&j, "1,10"));
	CHECK(access_spans_workers_wrote(&j, NULL));
	CHECK(access_spans_workers_wrote(&j, "100,101"));
}

int main(void)
{
	static struct rows r;
	struct access_spans j;

	serial_init(16, 1, 0);          /* 16 of 528 samples: a sweep */
	serial_init(2, 0, 1);           /* 2 of 514: under 1% */
	unlisted_left_out();

	/* Without the initialisation, nothing is left out. */
	r.n = 0;
	add_blocks(&r, 2, 4, 64, 2);
	EXPECT(&r, 4, 0, false, false);

	/* Every thread reads every page: shared, nobody left out. */
	r.n = 0;
	for (int t = 1; t <= 4; t++)
		for (uint64_t p = 0; p < 32; p++)
			add(&r, t, p, 3);
	EXPECT(&r, 4, 0, true, true);

	/* Two threads taking even and odd pages. */
	r.n = 0;
	for (int t = 1; t <= 2; t++)
		for (uint64_t p = t - 1; p < 64; p += 2)
			add(&r, t, p, 1);
	EXPECT(&r, 2, 0, true, false);

	/* One worker and the sweep before it: two threads that share. */
	r.n = 0;
	for (uint64_t p = 0; p < 64; p += 4)
		add(&r, 1, p, 1);
	for (uint64_t p = 0; p < 64; p++)
		add(&r, 2, p, 1);
	EXPECT(&r, 2, 0, true, true);

	/* 200 threads of one sample each, on pages of their own. */
	r.n = 0;
	add_blocks(&r, 1, 200, 1, 1);
	EXPECT(&r, 200, 0, false, false);

	/* Workers of 100 samples in their blocks and a stray of 2 each, in
	 * another's block: the 5th to 95th percentile spans stay apart (the
	 * strays' pages are shared). */
	r.n = 0;
	for (int w = 0; w < 3; w++) {
		uint64_t stray = (uint64_t)((w + 1) % 3) * 50 + 10;

		if (stray < (uint64_t)w * 50)
			add(&r, w + 1, stray, 2);
		for (uint64_t p = 0; p < 50; p++)
			add(&r, w + 1, w * 50 + p, 2);
		if (stray > (uint64_t)w * 50)
			add(&r, w + 1, stray, 2);
	}
	EXPECT(&r, 3, 0, false, true);

	/* No rows: no thread. */
	access_spans_judge(r.v, 0, &j);
	CHECK_INT(j.workers, 0);
	return unit_done();
}
