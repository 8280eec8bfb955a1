/* Serial initialisation, then an OpenMP loop with schedule(static,
 * CHUNK): chunk k of CHUNK elements goes to thread k mod T, the master
 * (thread 0) included.  At the end, per thread, the share of the pages
 * wholly inside its chunks that sit on the node it ran on (move_pages),
 * in blocks.h's words ("block T: ...", "all blocks: ...").
 *
 *   omp-cyclic [ROUNDS [CHUNK]]    (CHUNK in doubles, default 3000) */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 64
#define PAGES       2048

static int thread_node[MAX_THREADS];

/* The thread whose chunks hold every byte of [from, to), or -1. */
static int owner(long from, long to, long chunk_bytes, int nthreads)
{
	long first = from / chunk_bytes, last = (to - 1) / chunk_bytes;

	return first == last ? (int)(first % nthreads) : -1;
}

static void report(const double *data, long page_size, long chunk_bytes, int nthreads)
{
	static void *pages[PAGES];
	static int status[PAGES];
	long on[MAX_THREADS] = { 0 }, owned[MAX_THREADS] = { 0 }, all_on = 0, all = 0;
	long skew = -(long)((unsigned long)data % page_size);   /* to the first whole page */
	double worst = 100;

	if (skew < 0)
		skew += page_size;
	for (long p = 0; p < PAGES - 1; p++)
		pages[p] = (char *)data + skew + p * page_size;
	if (move_pages(0, PAGES - 1, pages, NULL, status, 0) < 0)
		return;
	for (long p = 0; p < PAGES - 1; p++) {
		int t = owner(skew + p * page_size, skew + (p + 1) * page_size, chunk_bytes, nthreads);

		if (t < 0)
			continue;
		owned[t]++;
		on[t] += status[p] == thread_node[t];
	}
	for (int t = 0; t < nthreads; t++) {
		double pct = owned[t] ? 100.0 * on[t] / owned[t] : 100;

		printf("block %d: thread on node %d, %ld/%ld pages local (%.1f%%)\n", t,
		       thread_node[t], on[t], owned[t], pct);
		worst = pct < worst ? pct : worst;
		all_on += on[t];
		all += owned[t];
	}
	printf("all blocks: %.1f%% local, worst block %.1f%%\n", 100.0 * all_on / all, worst);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, nthreads = omp_get_max_threads();
	long chunk = argc > 2 ? atol(argv[2]) : 3000, page_size = sysconf(_SC_PAGESIZE);
	long n = PAGES * page_size / sizeof(double);
	double *data = malloc(n * sizeof(double));

	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (long i = 0; i < n; i++)
		data[i] = i;
#pragma omp parallel num_threads(nthreads)
	{
		for (int r = 0; r < rounds; r++) {
#pragma omp for schedule(static, chunk)
			for (long i = 0; i < n; i++)
				data[i] = data[i] * 0.5 + r;
		}
		thread_node[omp_get_thread_num()] = numa_node_of_cpu(sched_getcpu());
	}
	report(data, page_size, chunk * sizeof(double), nthreads);
	return 0;
}
