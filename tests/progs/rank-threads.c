/* rank-threads: one rank of a job, as the binding tests fake it.  The
 * main thread allocates a buffer at rank_array() and two workers each
 * sweep their half of it, many times; then every thread prints the cpus
 * it may run on ("thread 1 cpus 1"), main last. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (8 << 20)
#define ROUNDS 40

static char *buf;
static char where[3][256];

static void cpus(int rank)
{
	cpu_set_t set;
	size_t n = 0;

	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < sizeof(where[rank]) - 8; c++)
		if (CPU_ISSET(c, &set))
			n += snprintf(where[rank] + n, sizeof(where[rank]) - n, "%s%d", n ? "," : "", c);
}

static void *worker(void *arg)
{
	int rank = (int)(long)arg;
	size_t half = SIZE / 2, start = (size_t)(rank - 1) * half;
	volatile long sum = 0;

	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = start; i < start + half; i += 64)
			sum += buf[i]++;
	cpus(rank);
	return NULL;
}

__attribute__((noinline)) static char *rank_array(void)
{
	return malloc(SIZE);
}

int main(void)
{
	pthread_t t[2];

	buf = rank_array();
	memset(buf, 1, SIZE);
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cpus(0);
	for (int i = 1; i <= 2; i++)
		printf("thread %d cpus %s\n", i, where[i]);
	printf("thread 0 cpus %s\n", where[0]);
	free(buf);
	return 0;
}
