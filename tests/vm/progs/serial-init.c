/* Serial initialisation, then parallel compute: the main thread touches
 * every page of one array first, then NWORKERS threads each work on their
 * own contiguous block.  At the end it reports, per block, the share of
 * its pages that sit on the node where its worker ran (move_pages). */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NWORKERS 4
#define PAGES_PER_BLOCK 512
static int rounds = 20;

static double *data;
static long page_size, block_elems;
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

static double block_locality(int w, long *on, long *total)
{
	void *pages[PAGES_PER_BLOCK];
	int status[PAGES_PER_BLOCK];
	char *base = (char *)(data + w * block_elems);

	for (int i = 0; i < PAGES_PER_BLOCK; i++)
		pages[i] = base + (long)i * page_size;
	if (move_pages(0, PAGES_PER_BLOCK, pages, NULL, status, 0) < 0)
		return 0;
	*on = *total = 0;
	for (int i = 0; i < PAGES_PER_BLOCK; i++) {
		*total += 1;
		*on += status[i] == worker_node[w];
	}
	return 100.0 * *on / *total;
}

int main(int argc, char **argv)
{
	pthread_t th[NWORKERS];
	long on_all = 0, total_all = 0;
	double worst = 100;

	if (argc > 1)
		rounds = atoi(argv[1]);
	page_size = sysconf(_SC_PAGESIZE);
	block_elems = PAGES_PER_BLOCK * page_size / sizeof(double);
	data = malloc(NWORKERS * block_elems * sizeof(double));
	for (long i = 0; i < NWORKERS * block_elems; i++)
		data[i] = i;
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)w);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	for (int w = 0; w < NWORKERS; w++) {
		long on, total;
		double pct = block_locality(w, &on, &total);

		printf("block %d: worker on node %d, %ld/%ld pages local (%.1f%%)\n",
		       w, worker_node[w], on, total, pct);
		on_all += on;
		total_all += total;
		if (pct < worst)
			worst = pct;
	}
	printf("all blocks: %.1f%% local, worst block %.1f%%\n", 100.0 * on_all / total_all, worst);
	return 0;
}
