/* The main thread's own memory: before its first thread it runs on node
 * TOUCH (its affinity narrowed to that node's cpus, then given back, as a
 * program's start may land anywhere) and first-touches its copy of a
 * thread-local array and an array on its stack (2 MiB each).  Then it
 * starts NWORKERS threads (numamma run pins it there, to the policy's
 * node for rank 0) and works on both arrays with them.  At the end it
 * reports the share of each array's pages on the node it runs on.
 *
 *   main-memory [TOUCH [ROUNDS]]    (node 3, 20 rounds) */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"

#define NWORKERS 3
#define BYTES ((size_t)PAGES_PER_BLOCK * 4096)
#define WORDS (BYTES / sizeof(double))

_Alignas(4096) static __thread double work[WORDS];
static int rounds = 20;
static pthread_barrier_t done;

static void compute(double *a)
{
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < WORDS; i++)
			a[i] = a[i] * 0.5 + r;
}

static void *worker(void *arg)
{
	(void)arg;
	compute(work);
	pthread_barrier_wait(&done);
	return NULL;
}

/* Runs the caller on node's cpus (all of them again with node -1). */
static void run_on(int node, const cpu_set_t *all)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	cpu_set_t set;

	if (node < 0) {
		sched_setaffinity(0, sizeof(*all), all);
		return;
	}
	CPU_ZERO(&set);
	if (numa_node_to_cpus(node, cpus) == 0)
		for (unsigned i = 0; i < cpus->size && i < CPU_SETSIZE; i++)
			if (numa_bitmask_isbitset(cpus, i) && CPU_ISSET(i, all))
				CPU_SET(i, &set);
	if (CPU_COUNT(&set))
		sched_setaffinity(0, sizeof(set), &set);
	numa_free_cpumask(cpus);
}

int main(int argc, char **argv)
{
	double *stack_array = __builtin_alloca(BYTES + 4096);
	int touch = argc > 1 ? atoi(argv[1]) : 3;
	char *base[2];
	int node[2];
	pthread_t t[NWORKERS];
	cpu_set_t all;

	if (argc > 2)
		rounds = atoi(argv[2]);
	if (numa_available() < 0) {
		fprintf(stderr, "main-memory: no NUMA support\n");
		return 1;
	}
	stack_array = (double *)(((uintptr_t)stack_array + 4095) & ~(uintptr_t)4095);
	sched_getaffinity(0, sizeof(all), &all);
	run_on(touch, &all);
	memset(work, 1, BYTES);
	memset(stack_array, 1, BYTES);
	printf("main: touched its arrays on node %d\n", numa_node_of_cpu(sched_getcpu()));
	run_on(-1, &all);
	pthread_barrier_init(&done, NULL, NWORKERS + 1);
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&t[w], NULL, worker, NULL);
	compute(work);
	compute(stack_array);
	base[0] = (char *)work;
	base[1] = (char *)stack_array;
	node[0] = node[1] = numa_node_of_cpu(sched_getcpu());
	printf("main: runs on node %d\n", node[0]);
	report_blocks(base, node, 2, sysconf(_SC_PAGESIZE));
	pthread_barrier_wait(&done);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(t[w], NULL);
	return 0;
}
