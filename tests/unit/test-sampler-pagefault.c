/* The pagefault sampler on a real thread: every first touch of a fresh
 * mapping is sampled once, by the right thread, at the right time, given
 * to the right object, with the page's node. */
#include <sys/mman.h>

#include "numa_syscall.h"
#include "sampler-harness.h"
#include "unit.h"

#define PAGES 64

static void touch_pages(struct harness *h)
{
	char *p = h->arg;
	long page = sysconf(_SC_PAGESIZE);
	int i, round;

	/* Only the first round faults. */
	for (round = 0; round < 3; round++)
		for (i = 0; i < PAGES; i++)
			p[i * page + 8] = (char)round;
}

/* The node the kernel says all n pages at p are on, or -1 (not one). */
static int pages_node(char *p, int n, long page)
{
	void *pages[PAGES];
	int status[PAGES];

	for (int i = 0; i < n; i++)
		pages[i] = p + i * page;
	if (nm_move_pages(0, (unsigned long)n, pages, NULL, status, 0) < 0)
		return -1;
	for (int i = 1; i < n; i++)
		if (status[i] != status[0])
			return -1;
	return status[0];
}

int main(void)
{
	struct harness h = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	uint64_t lo, hi;
	int64_t id;
	int node, ret = harness_open(&h, "pagefault");

	if (ret == 77)
		UNIT_SKIP("pagefault sampler unavailable here");
	CHECK_INT(ret, 0);
	if (ret)
		return unit_done();   /* nothing to run it on */
	h.arg = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lo = (uint64_t)h.arg;
	hi = lo + PAGES * page;
	id = harness_add_object(&h, OBJ_MMAP, h.arg, PAGES * page);
	CHECK_INT(harness_run(&h, touch_pages), 0);

	CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE address >= %llu AND address < %llu",
				(unsigned long long)lo, (unsigned long long)hi), PAGES);
	CHECK_INT(harness_query(&h, "SELECT count(DISTINCT address / %ld) FROM samples"
				" WHERE address >= %llu AND address < %llu", page,
				(unsigned long long)lo, (unsigned long long)hi), PAGES);
	CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE address >= %llu AND address < %llu"
				" AND tid = %d AND pid = %d AND object_id = %lld AND access = '?'"
				" AND weight = 1 AND cpu >= 0 AND node >= 0 AND page_node >= 0 AND ip > 0"
				" AND time_ns BETWEEN %llu AND %llu",
				(unsigned long long)lo, (unsigned long long)hi, (int)h.tid, (int)getpid(),
				(long long)id, (unsigned long long)h.t_start, (unsigned long long)h.t_end), PAGES);
	/* Where the pages are (on a machine of one node, not asked of the
	 * kernel per sample): the same answer. */
	node = pages_node(h.arg, PAGES, page);
	if (node >= 0)
		CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE address >= %llu"
					" AND address < %llu AND page_node = %d",
					(unsigned long long)lo, (unsigned long long)hi, node), PAGES);
	CHECK_INT(harness_query(&h, "SELECT value FROM sampler_stats WHERE tid = %d AND name = 'lost'",
				(int)h.tid), 0);
	CHECK(harness_query(&h, "SELECT value FROM sampler_stats WHERE tid = %d AND name = 'samples'",
			    (int)h.tid) >= PAGES);
	harness_close(&h);
	return unit_done();
}
