/* Serial initialisation of a static array (in .bss, past the file's
 * pages), then NWORKERS threads each working on their own contiguous
 * block; at the end, per block, the share of its pages on its worker's
 * node (move_pages). */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blocks.h"

#define NWORKERS 4
#define MAX_PAGE 4096
static int rounds = 20;

static double data[NWORKERS * PAGES_PER_BLOCK * MAX_PAGE / sizeof(double)]
	__attribute__((aligned(MAX_PAGE)));
static long block_elems;
static int worker_node[NWORKERS];

static void *worker(void *arg)
{
	long w = (long)arg;
	double *b = data + w * block_elems;

	for (int r = 0; r < rounds; r++)
		for (long i = 0; i < block_elems; i++)
			b[i] = b[i] * 0.5 + r;
	worker_node[w] = numa_node_of_cpu(sched_getcpu());
	return NULL;
}

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	pthread_t th[NWORKERS];
	char *bases[NWORKERS];

	if (argc > 1)
		rounds = atoi(argv[1]);
	if (page_size > MAX_PAGE)
		return 77;
	block_elems = PAGES_PER_BLOCK * page_size / sizeof(double);
	for (long i = 0; i < NWORKERS * block_elems; i++)
		data[i] = i;
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)w);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	for (int w = 0; w < NWORKERS; w++)
		bases[w] = (char *)(data + w * block_elems);
	report_blocks(bases, worker_node, NWORKERS, page_size);
	return 0;
}
