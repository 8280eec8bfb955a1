/* Serial initialisation of per-thread buffers: the main thread allocates
 * one buffer per worker in a loop (one call site, NWORKERS objects) and
 * fills them all, then worker w computes on buffer w.  At the end it
 * reports, per buffer, the share of its pages on its worker's node. */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blocks.h"

#define NWORKERS 4
static int rounds = 20;

static double *buf[NWORKERS];
static long buf_elems;
static int worker_node[NWORKERS];

static void *worker(void *arg)
{
	long w = (long)arg;
	double *b = buf[w];

	for (int r = 0; r < rounds; r++)
		for (long i = 0; i < buf_elems; i++)
			b[i] = b[i] * 0.5 + r;
	worker_node[w] = numa_node_of_cpu(sched_getcpu());
	return NULL;
}

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	pthread_t th[NWORKERS];

	if (argc > 1)
		rounds = atoi(argv[1]);
	buf_elems = PAGES_PER_BLOCK * page_size / sizeof(double);
	for (int w = 0; w < NWORKERS; w++)
		buf[w] = aligned_alloc(page_size, buf_elems * sizeof(double));
	for (int w = 0; w < NWORKERS; w++)
		for (long i = 0; i < buf_elems; i++)
			buf[w][i] = i;
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)w);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	report_blocks((char **)buf, worker_node, NWORKERS, page_size);
	return 0;
}
