/* What numamma run relies on when it places memory that huge pages
 * already back (src/place/apply.c split_edges): mbind(MPOL_MF_MOVE) of
 * a range that ends inside a transparent huge page migrates the whole
 * huge page, the part outside the range too, unless MADV_COLD on a page
 * of it split it first.
 *
 *   thp-edges [split]
 *
 * 4 MiB of huge pages bound to node 0; mbind with MPOL_MF_MOVE of
 * [1 MiB + 4 KiB, 3 MiB) to node 1 (both edges inside a huge page),
 * after MADV_COLD on each edge's page with `split`; prints how many
 * pages of the range and outside it are on node 1 and whether the
 * huge pages were there at all (AnonHugePages, from /proc/self/smaps). */
#define _GNU_SOURCE
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MiB (1024 * 1024UL)
#define PAGE 4096UL
#define NPAGES (4 * MiB / PAGE)

/* kB of huge pages mapped in [b, b + 4 MiB). */
static long huge_kb(const char *b)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long lo, hi;
	long kb = 0, v;
	int in = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo < (unsigned long)b + 4 * MiB && hi > (unsigned long)b;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &v) == 1)
			kb += v;
	}
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	char *raw = mmap(NULL, 6 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = (char *)(((unsigned long)raw + 2 * MiB - 1) & ~(2 * MiB - 1));
	char *from = b + MiB + PAGE, *to = b + 3 * MiB;
	unsigned long node0 = 1, node1 = 2;
	static void *pages[NPAGES];
	static int status[NPAGES];
	long inside = 0, outside = 0, huge;

	if (raw == MAP_FAILED || mbind(b, 4 * MiB, MPOL_BIND, &node0, 8, 0) < 0) {
		perror("thp-edges: mmap/mbind");
		return 2;
	}
	madvise(b, 4 * MiB, MADV_HUGEPAGE);
	memset(b, 1, 4 * MiB);
	huge = huge_kb(b);
	if (argc > 1 && (madvise(from, PAGE, MADV_COLD) < 0 || madvise(to - PAGE, PAGE, MADV_COLD) < 0)) {
		perror("thp-edges: madvise");
		return 2;
	}
	if (mbind(from, (size_t)(to - from), MPOL_BIND, &node1, 8, MPOL_MF_MOVE) < 0) {
		perror("thp-edges: mbind");
		return 2;
	}
	for (unsigned long i = 0; i < NPAGES; i++)
		pages[i] = b + i * PAGE;
	if (move_pages(0, NPAGES, pages, NULL, status, 0) < 0) {
		perror("thp-edges: move_pages");
		return 2;
	}
	for (unsigned long i = 0; i < NPAGES; i++) {
		int in = (char *)pages[i] >= from && (char *)pages[i] < to;

		inside += in && status[i] == 1;
		outside += !in && status[i] == 1;
	}
	printf("%s: huge pages %ld kB; range on node 1: %ld/%ld pages; outside it on node 1: %ld/%ld\n",
	       argc > 1 ? "split" : "plain", huge, inside, (long)((to - from) / PAGE), outside,
	       (long)(NPAGES - (to - from) / PAGE));
	return 0;
}
