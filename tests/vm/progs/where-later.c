/* where-later SECONDS: touches a static array, then every 100 ms for
 * SECONDS allocates, touches and keeps a 1 MiB heap block; at the end
 * prints where the pages of the static array, of the first block
 * allocated after SECONDS/2 and of the last block are (as where.c does).
 * Halfway is by the clock, not by rounds: under emulation a round takes
 * longer than its 100 ms sleep.  For attaching `numamma run -p` in the
 * meantime. */
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char static_array[2 << 20];

static void report(const char *name, char *p, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *start = (char *)(((unsigned long)p + page - 1) & ~(page - 1));
	char *end = (char *)(((unsigned long)p + size) & ~(page - 1));
	long n = (end - start) / page, count[4] = { 0 }, other = 0;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));

	for (long i = 0; i < n; i++)
		pages[i] = start + i * page;
	move_pages(0, n, pages, NULL, status, 0);
	for (long i = 0; i < n; i++) {
		if (status[i] >= 0 && status[i] < 4)
			count[status[i]]++;
		else
			other++;
	}
	printf("%s 0:%ld 1:%ld 2:%ld 3:%ld other:%ld\n", name, count[0], count[1], count[2], count[3], other);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3, start = now();
	char *block = NULL, *middle = NULL;

	memset(static_array, 1, sizeof(static_array));
	while (now() - start < seconds) {
		block = malloc(1 << 20);
		memset(block, 2, 1 << 20);
		if (!middle && now() - start >= seconds / 2)
			middle = block;
		usleep(100000);
	}
	report("static", static_array, sizeof(static_array));
	report("middle", middle, 1 << 20);
	report("last", block, 1 << 20);
	return 0;
}
