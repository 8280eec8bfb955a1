/* Each of NWORKERS threads computes on its own copy of a thread-local
 * array (2 MiB, page-aligned).  glibc's pthread_create clears that copy
 * (.tbss) in the creating thread, so its pages sit on the main thread's
 * node whatever node the worker runs on.  At the end it reports, per
 * worker, the share of its copy's pages on the node where it ran.
 *
 *   tls-workers [ROUNDS]    (20) */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blocks.h"

#define NWORKERS 4
#define WORDS (PAGES_PER_BLOCK * 4096 / sizeof(double))

_Alignas(4096) static __thread double work[WORDS];
static char *copy[NWORKERS];
static int worker_node[NWORKERS];
static int rounds = 20;
static pthread_barrier_t measured, reported;

static void *worker(void *arg)
{
	long w = (long)arg;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < WORDS; i++)
			work[i] = work[i] * 0.5 + r;
	copy[w] = (char *)work;
	worker_node[w] = numa_node_of_cpu(sched_getcpu());
	/* Its copy is there until it exits: measured meanwhile. */
	pthread_barrier_wait(&measured);
	pthread_barrier_wait(&reported);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NWORKERS];

	if (argc > 1)
		rounds = atoi(argv[1]);
	if (numa_available() < 0) {
		fprintf(stderr, "tls-workers: no NUMA support\n");
		return 1;
	}
	pthread_barrier_init(&measured, NULL, NWORKERS + 1);
	pthread_barrier_init(&reported, NULL, NWORKERS + 1);
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&t[w], NULL, worker, (void *)w);
	pthread_barrier_wait(&measured);
	report_blocks(copy, worker_node, NWORKERS, sysconf(_SC_PAGESIZE));
	pthread_barrier_wait(&reported);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(t[w], NULL);
	return 0;
}
