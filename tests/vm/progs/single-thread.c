/* A single-threaded program: it allocates a 2 MiB array, fills it, works
 * on it, and reports the share of its pages on the node it runs on at
 * the end (blocks.h).  It never creates a thread: numamma run never pins
 * it, and the plan binds its array to the node of its profile.
 *
 *   single-thread [ROUNDS]    (20) */
#define _GNU_SOURCE
#include <numa.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"

#define BYTES ((size_t)PAGES_PER_BLOCK * 4096)

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	double *a = malloc(BYTES);
	char *base[1] = { (char *)a };
	int node[1];

	if (numa_available() < 0 || !a) {
		fprintf(stderr, "single-thread: no NUMA support, or no memory\n");
		return 1;
	}
	memset(a, 0, BYTES);
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < BYTES / sizeof(double); i++)
			a[i] = a[i] * 0.5 + r;
	node[0] = numa_node_of_cpu(sched_getcpu());
	report_blocks(base, node, 1, sysconf(_SC_PAGESIZE));
	free(a);
	return 0;
}
