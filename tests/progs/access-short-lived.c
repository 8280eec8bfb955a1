/* Blocks that live a few microseconds, in a storm of allocator calls:
 * each of THREADS threads, ITERATIONS times, writes then sums a fresh
 * block of 0.5 to 17 KiB and frees it, then makes CHURN malloc/free pairs
 * of 16-byte blocks.  Its samples in the workers' loops are of the blocks
 * they touch, each freed a moment after (t0314).
 *
 *   access-short-lived THREADS ITERATIONS CHURN */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static long iterations;
static int churn;

static void *worker(void *arg)
{
	uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1, sum = 0;

	for (long k = 0; k < iterations; k++) {
		size_t n, i;
		uint64_t *p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = 64 + x % 2048;
		p = malloc(n * sizeof(*p));
		for (i = 0; i < n; i++)
			p[i] = i ^ x;
		for (i = 0; i < n; i++)
			sum += p[i];
		free(p);
		for (int j = 0; j < churn; j++) {
			void *volatile q = malloc(16);

			free(q);
		}
	}
	return (void *)(uintptr_t)(sum & 0xffff);
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	pthread_t t[64];
	uint64_t total = 0;

	iterations = argc > 2 ? atol(argv[2]) : 100000;
	churn = argc > 3 ? atoi(argv[3]) : 8;
	if (threads < 1 || threads > 64)
		return 2;
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < threads; i++) {
		void *r;

		pthread_join(t[i], &r);
		total += (uintptr_t)r;
	}
	printf("checksum %llu\n", (unsigned long long)total);
	return 0;
}
