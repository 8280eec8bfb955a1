/* What the agent adds to a program's memory: THREADS threads each make
 * CALLS allocator calls (malloc and free of 32 bytes) from STACKS distinct
 * stacks (recursion depths), then the program prints its peak resident
 * size and that of numamma's agent mapping ("numamma-agent" in its own
 * smaps).
 *
 *   agent-memory THREADS CALLS STACKS
 * Prints "peak KiB P agent KiB N" (N 0 when not run under the agent). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int calls, stacks;

__attribute__((noinline)) static void down(int depth, int n)
{
	if (depth > 0) {
		down(depth - 1, n);
		__asm__ volatile("");   /* not a tail call: one frame a level */
		return;
	}
	for (int i = 0; i < n; i++) {
		void *volatile p = malloc(32);

		free(p);
	}
}

static void *work(void *arg)
{
	for (int i = 0; i < calls / 64; i++)
		down(i % stacks, 32);
	return arg;
}

/* The Rss lines of the mappings named numamma-agent, in KiB. */
static long agent_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long total = 0, kib;
	unsigned long start, end;
	int agent = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %ld kB", &kib) == 1)
			total += agent ? kib : 0;
		else if (sscanf(line, "%lx-%lx ", &start, &end) == 2)   /* a mapping's first line */
			agent = strstr(line, "numamma-agent") != NULL;
	}
	if (f)
		fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[1]) : 0;
	pthread_t t[256];
	struct rusage ru;

	calls = argc > 3 ? atoi(argv[2]) : 0;
	stacks = argc > 3 ? atoi(argv[3]) : 0;
	if (threads < 1 || threads > 256 || calls < 64 || stacks < 1) {
		fprintf(stderr, "usage: agent-memory THREADS(1-256) CALLS(>=64) STACKS\n");
		return 2;
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak KiB %ld agent KiB %ld\n", ru.ru_maxrss, agent_kib());
	return 0;
}
