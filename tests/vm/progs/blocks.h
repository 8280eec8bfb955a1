/* Shared by the serial-init programs: after the compute phase, each
 * worker's block is checked with move_pages against the node its worker
 * ran on, and one line per block plus a total are printed. */
#include <numaif.h>
#include <stdio.h>

#define PAGES_PER_BLOCK 512

static double block_locality(char *base, long page_size, int node, long *on)
{
	void *pages[PAGES_PER_BLOCK];
	int status[PAGES_PER_BLOCK];

	for (int i = 0; i < PAGES_PER_BLOCK; i++)
		pages[i] = base + (long)i * page_size;
	*on = 0;
	if (move_pages(0, PAGES_PER_BLOCK, pages, NULL, status, 0) < 0)
		return 0;
	for (int i = 0; i < PAGES_PER_BLOCK; i++)
		*on += status[i] == node;
	return 100.0 * *on / PAGES_PER_BLOCK;
}

static void report_blocks(char *const *base, const int *worker_node, int n, long page_size)
{
	long on_all = 0;
	double worst = 100;

	for (int w = 0; w < n; w++) {
		long on;
		double pct = block_locality(base[w], page_size, worker_node[w], &on);

		printf("block %d: worker on node %d, %ld/%d pages local (%.1f%%)\n",
		       w, worker_node[w], on, PAGES_PER_BLOCK, pct);
		on_all += on;
		if (pct < worst)
			worst = pct;
	}
	printf("all blocks: %.1f%% local, worst block %.1f%%\n",
	       100.0 * on_all / ((long)n * PAGES_PER_BLOCK), worst);
}
