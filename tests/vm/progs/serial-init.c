/* Serial initialisation, then parallel compute: the main thread touches
 * every page of the data first, then NWORKERS threads each work on their
 * own block.  At the end it reports, per block, the share of its pages
 * that sit on the node where its worker ran (move_pages).
 *
 *   serial-init [array|buffers|static|forked] [ROUNDS]
 *
 * array: one malloc'd array cut into blocks; buffers: one buffer per
 * worker, allocated in a loop (one call site, NWORKERS objects); static:
 * one static array (in .bss, past the file's pages); forked: one shared
 * anonymous mapping, the workers forked processes rather than threads
 * (a pre-fork server's or a multiprocessing pool's layout). */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blocks.h"

#define NWORKERS 4
#define MAX_PAGE 4096

static double static_data[NWORKERS * PAGES_PER_BLOCK * MAX_PAGE / sizeof(double)]
	__attribute__((aligned(MAX_PAGE)));
static char *block[NWORKERS];
static long block_elems;
static int rounds = 20;
static int *worker_node;         /* shared with forked workers */

static void *worker(void *arg)
{
	long w = (long)arg;
	double *b = (double *)block[w];

	for (int r = 0; r < rounds; r++)
		for (long i = 0; i < block_elems; i++)
			b[i] = b[i] * 0.5 + r;
	worker_node[w] = numa_node_of_cpu(sched_getcpu());
	return NULL;
}

static int make_blocks(const char *mode, long block_bytes)
{
	double *data = NULL;

	if (!strcmp(mode, "buffers")) {
		for (int w = 0; w < NWORKERS; w++)
			block[w] = aligned_alloc(MAX_PAGE, block_bytes);
		return 0;
	}
	if (!strcmp(mode, "array"))
		data = malloc(NWORKERS * block_bytes);
	else if (!strcmp(mode, "forked"))
		data = mmap(NULL, NWORKERS * block_bytes, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	else if (!strcmp(mode, "static"))
		data = static_data;
	else
		return -1;
	if (data == MAP_FAILED)
		return -1;
	for (int w = 0; w < NWORKERS; w++)
		block[w] = (char *)data + w * block_bytes;
	return 0;
}

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	pthread_t th[NWORKERS];
	pid_t pid[NWORKERS];
	int forked = argc > 1 && !strcmp(argv[1], "forked");

	worker_node = mmap(NULL, NWORKERS * sizeof(int), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page_size > MAX_PAGE || worker_node == MAP_FAILED || make_blocks(argc > 1 ? argv[1] : "array",
						PAGES_PER_BLOCK * page_size) < 0) {
		fprintf(stderr, "usage: serial-init [array|buffers|static|forked] [ROUNDS]\n");
		return 2;
	}
	if (argc > 2)
		rounds = atoi(argv[2]);
	block_elems = PAGES_PER_BLOCK * page_size / sizeof(double);
	for (int w = 0; w < NWORKERS; w++)
		for (long i = 0; i < block_elems; i++)
			((double *)block[w])[i] = i;
	for (long w = 0; w < NWORKERS; w++)
		if (!forked)
			pthread_create(&th[w], NULL, worker, (void *)w);
		else if ((pid[w] = fork()) == 0)
			_exit(worker((void *)w) != NULL);
	for (int w = 0; w < NWORKERS; w++)
		if (!forked)
			pthread_join(th[w], NULL);
		else
			waitpid(pid[w], NULL, 0);
	report_blocks(block, worker_node, NWORKERS, page_size);
	return 0;
}
