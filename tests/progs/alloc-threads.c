/* 8 threads, each allocating a known sequence of sizes from known call
 * sites.  Prints one line per allocation: "tid-rank size function" so the
 * test can compare with what numamma recorded. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 8
#define PER_THREAD 50

static void *sizes_from_malloc(size_t n) { return malloc(n); }
static void *sizes_from_calloc(size_t n) { return calloc(1, n); }

static void *worker(void *arg)
{
	long rank = (long)arg;
	void *keep[PER_THREAD];

	for (int i = 0; i < PER_THREAD; i++) {
		size_t n = 16 + rank * 1000 + i;
		keep[i] = (i % 2) ? sizes_from_calloc(n) : sizes_from_malloc(n);
		memset(keep[i], (int)rank, n);
	}
	for (int i = 0; i < PER_THREAD; i++)
		free(keep[i]);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];

	for (long r = 0; r < NTHREADS; r++)
		pthread_create(&th[r], NULL, worker, (void *)(r + 1));
	for (int r = 0; r < NTHREADS; r++)
		pthread_join(th[r], NULL);
	printf("done %d\n", NTHREADS * PER_THREAD);
	return 0;
}
