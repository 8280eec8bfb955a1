/* Ground truth for the clock sampler's look back: workers add 1 to
 * random counters of one shared table for SECONDS, through a global
 * pointer the compiler reloads at each atomic add, in the program's last
 * function (its module's last FDE, whose end no FDE after it gives).  The
 * add misses the cache and stalls: samples land just after it, and the
 * next access ahead is the pointer's load, not the table's counter.
 *
 *   access-atomic-last [NTHREADS [TABLE_PAGES [SECONDS]]]    (2 2048 1)
 * Prints "counters add up" when they hold every update. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

uint64_t *counters;
static size_t ncounters;
static double seconds;

static void *updater(void *arg);

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 2;
	long pages = argc > 2 ? atol(argv[2]) : 2048;
	pthread_t t[64];
	uint64_t updates = 0, sum = 0;

	seconds = argc > 3 ? atof(argv[3]) : 1;
	if (nthreads < 1 || nthreads > 64 || pages < 1) {
		fprintf(stderr, "usage: %s [NTHREADS [TABLE_PAGES [SECONDS]]]\n", argv[0]);
		return 2;
	}
	/* A power of two, for the mask. */
	ncounters = 1;
	while (ncounters * 2 <= (size_t)pages * sysconf(_SC_PAGESIZE) / sizeof(*counters))
		ncounters *= 2;
	counters = calloc(ncounters, sizeof(*counters));
	for (long i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, updater, (void *)(i + 1));
	for (int i = 0; i < nthreads; i++) {
		void *n;

		pthread_join(t[i], &n);
		updates += (uintptr_t)n;
	}
	for (size_t i = 0; i < ncounters; i++)
		sum += counters[i];
	puts(sum == updates ? "counters add up" : "counters lost updates");
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Last in the file, so last in .text. */
__attribute__((noinline)) static void *updater(void *arg)
{
	uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL, n = 0, mask = ncounters - 1;
	double end = now() + seconds;

	while (now() < end) {
		for (int k = 0; k < 4096; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			__atomic_fetch_add(&counters[x & mask], 1, __ATOMIC_RELAXED);
		}
		n += 4096;
	}
	return (void *)(uintptr_t)n;
}
