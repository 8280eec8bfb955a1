/* Malloc-heavy benchmark: THREADS threads (2 by default), each doing N
 * malloc+free pairs with sizes from 16 B to 1 MiB (log-uniform,
 * deterministic).  Prints the number of intercepted calls it made, for
 * the per-call cost.
 *
 *   malloc-storm [N [THREADS]] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long iterations = 20000;
static char *volatile sink;     /* keeps the compiler from eliding malloc */

static void *storm(void *arg)
{
	uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;

	for (long i = 0; i < iterations; i++) {
		size_t size;
		char *p;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size = (size_t)16 << (x % 17);          /* 16 B .. 1 MiB */
		size += x % size;
		if (size > (1 << 20))
			size = 1 << 20;
		p = malloc(size);
		p[0] = p[size - 1] = 1;
		sink = p;
		free(p);        /* sink is shared by the threads: not it */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = argc > 2 ? atol(argv[2]) : 2;
	pthread_t *t = calloc(threads > 0 ? threads : 1, sizeof(*t));

	if (argc > 1)
		iterations = atol(argv[1]);
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, storm, (void *)(i + 1));
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	free(t);
	printf("%ld\n", 2 * threads * iterations);      /* malloc + free per iteration */
	return 0;
}
