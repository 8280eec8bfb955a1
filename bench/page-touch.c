/* What the first write to a fresh 4 KiB page costs on this machine, in
 * microseconds: anonymous memory (the program's and numamma's heaps), a
 * shared memfd (the agent's rings and tables, written by the program and
 * read by numamma), and the same memfd with its pages asked for 64 KiB at
 * a time (MADV_POPULATE_WRITE) before they are written.  Every process
 * under numamma touches a few hundred such pages more than alone (its
 * agent's region, numamma's views and tables): where a first touch traps
 * to the hypervisor (a PVM guest: about 10 us, against well under 1 us
 * on bare metal or with EPT), that is most of numamma's fixed cost, and
 * bench figures from two kinds of host differ by it.
 *
 * Usage: bench/page-touch [PAGES]   (default 1024; medians of 5 rounds)
 *        bench/page-touch --huge [N]  the first write to each of N fresh
 *                                     2 MiB huge pages, in ms (default 16)
 *
 * A huge page is cleared whole at its first write.  Where the host takes
 * back a guest's free memory (virtio-balloon's free page reporting, as in
 * the PVM guest), memory idle for a few seconds is the host's to fault in
 * again, 4 KiB at a time: such a huge page then costs its whole 2 MiB
 * (about 5 ms there, against 0.1 ms for one freed a moment ago), so a
 * huge page pays only where most of it is used.  Run it after `sleep 3`
 * to see the cold case; the first pages are often still warm. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define PAGE 4096
#define AHEAD (64 << 10)
#define ROUNDS 5

enum kind { ANONYMOUS, MEMFD, MEMFD_POPULATED };

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* A fresh mapping of pages pages of kind k, or NULL. */
static char *fresh(enum kind k, size_t pages)
{
	size_t bytes = pages * PAGE;
	char *p;
	int fd;

	if (k == ANONYMOUS) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	fd = memfd_create("page-touch", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Microseconds per page to write every cache line of pages fresh pages,
 * in order, as a ring's first lap does; negative when it cannot run. */
static double per_page(enum kind k, size_t pages)
{
	char *p = fresh(k, pages);
	double start, end;

	if (!p)
		return -1;
	start = now_us();
	for (size_t i = 0; i < pages * PAGE; i += 64) {
		if (k == MEMFD_POPULATED && i % AHEAD == 0 &&
		    madvise(p + i, AHEAD < (pages * PAGE - i) ? AHEAD : pages * PAGE - i,
			    MADV_POPULATE_WRITE)) {
			munmap(p, pages * PAGE);
			return -1;      /* a kernel before 5.14 */
		}
		p[i] = 1;
	}
	end = now_us();
	munmap(p, pages * PAGE);
	return (end - start) / (double)pages;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(enum kind k, size_t pages)
{
	double v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		v[r] = per_page(k, pages);
	qsort(v, ROUNDS, sizeof(v[0]), by_value);
	return v[0] < 0 ? -1 : v[ROUNDS / 2];
}

static void print(const char *what, double us)
{
	if (us < 0)
		printf(" %s n/a", what);
	else
		printf(" %s %.2f us", what, us);
}

#define HUGE (2UL << 20)

/* The first write to each of n fresh huge pages, in ms (with
 * transparent_hugepage "never", a 4 KiB page's); 1 when the mapping or
 * the advice is refused (a kernel without transparent huge pages). */
static int huge_pages(long n)
{
	size_t bytes = (size_t)n * HUGE;
	char *map, *p;

	if (n <= 0 || n > 4096) {
		fprintf(stderr, "usage: page-touch --huge [N], N from 1 to 4096\n");
		return 2;
	}
	map = mmap(NULL, bytes + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 1;
	p = (char *)(((unsigned long)map + HUGE - 1) & ~(HUGE - 1));
	if (madvise(p, bytes, MADV_HUGEPAGE))
		return 1;
	printf("first write to a fresh 2 MiB huge page, ms:");
	for (long i = 0; i < n; i++) {
		double start = now_us();

		p[i * HUGE] = 1;
		printf(" %.2f", (now_us() - start) / 1000);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	long pages;

	if (argc > 1 && !strcmp(argv[1], "--huge"))
		return huge_pages(argc > 2 ? strtol(argv[2], NULL, 10) : 16);
	pages = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;

	if (pages <= 0) {
		fprintf(stderr, "usage: %s [PAGES] | --huge [N]\n", argv[0]);
		return 2;
	}
	printf("first write to a fresh 4 KiB page:");
	print("anonymous", median(ANONYMOUS, (size_t)pages));
	print("| shared memfd", median(MEMFD, (size_t)pages));
	print("| memfd populated 64 KiB ahead", median(MEMFD_POPULATED, (size_t)pages));
	printf("\n");
	return 0;
}
