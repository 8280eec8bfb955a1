/* xcalloc_sparse(): zeroed memory whose pages are not touched until used,
 * in a process whose heap is padded as numamma's is (heap_in_huge_pages(),
 * where calloc clears, and so faults in, every page of a large block). */
#include <errno.h>
#include <unistd.h>

#include "error.h"
#include "resident.h"
#include "unit.h"

#define PAGES 1024

static void test_untouched_until_used(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = xcalloc_sparse(PAGES, page);
	int zero = 1;

	CHECK_INT(resident(p, PAGES), 0);
	p[3 * page + 5] = 7;
	/* One page, or the huge page around it where transparent huge pages
	 * are "always" rather than Debian's "madvise". */
	CHECK(resident(p, PAGES) >= 1 && resident(p, PAGES) <= (int)(HUGE_PAGE_BYTES / page));
	for (size_t i = 0; i < PAGES * page; i += 997)
		zero &= i == 3 * page + 5 || !p[i];
	CHECK(zero);
	CHECK_INT(p[3 * page + 5], 7);
	xfree_sparse(p, PAGES, page);
	CHECK_INT(resident(p, PAGES), -ENOMEM);         /* unmapped */
}

static void test_edges(void)
{
	void *p = xcalloc_sparse(0, 8);

	CHECK(p != NULL);
	xfree_sparse(p, 0, 8);
	xfree_sparse(NULL, 4, 8);       /* nothing to free */
}

int main(void)
{
	heap_in_huge_pages();
	test_untouched_until_used();
	test_edges();
	return unit_done();
}
