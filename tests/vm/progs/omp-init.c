/* Serial initialisation, then an OpenMP parallel loop with the static
 * schedule: thread t (the master is thread 0) works on the t-th block.
 * At the end, per block, the share of its pages on the node its thread
 * ran on (move_pages). */
#define _GNU_SOURCE
#include <numa.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blocks.h"

#define MAX_THREADS 64

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, nthreads = omp_get_max_threads();
	long page_size = sysconf(_SC_PAGESIZE), block_elems = PAGES_PER_BLOCK * page_size / sizeof(double);
	int thread_node[MAX_THREADS];
	char *bases[MAX_THREADS];
	double *data;

	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	data = malloc(nthreads * block_elems * sizeof(double));
	for (long i = 0; i < nthreads * block_elems; i++)
		data[i] = i;
#pragma omp parallel num_threads(nthreads)
	{
		for (int r = 0; r < rounds; r++) {
#pragma omp for schedule(static)
			for (long i = 0; i < nthreads * block_elems; i++)
				data[i] = data[i] * 0.5 + r;
		}
		thread_node[omp_get_thread_num()] = numa_node_of_cpu(sched_getcpu());
	}
	for (int t = 0; t < nthreads; t++)
		bases[t] = (char *)(data + t * block_elems);
	report_blocks(bases, thread_node, nthreads, page_size);
	return 0;
}
