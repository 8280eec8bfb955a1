/* A compute-heavy threaded workload for bench/sampler-overhead.sh:
 * THREADS threads each run STEPS relaxation sweeps over their own arrays
 * (a 1-D stencil, memory-bound at first touch, compute-bound after), with
 * a few allocations per sweep so the tracer has objects to follow.
 *
 *   compute [THREADS [STEPS [KWORDS]]]    (2 2000 256)
 * Prints a checksum; with COMPUTE_CPU_TIMES set, each worker's tid and
 * cpu seconds on stderr ("worker TID SECONDS"): a sampler's samples per
 * worker per cpu-second come from them. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct job {
	int steps;
	size_t n;
	double sum;
	pid_t tid;
	double cpu;
};

static void *relax(void *arg)
{
	struct job *j = arg;
	double *a = malloc(j->n * sizeof(*a)), *b = malloc(j->n * sizeof(*b));
	struct timespec end;
	size_t i;
	int s;

	for (i = 0; i < j->n; i++)
		a[i] = (double)(i % 97);
	for (s = 0; s < j->steps; s++) {
		double *tmp, *scratch = malloc(64 * sizeof(*scratch));

		for (i = 1; i + 1 < j->n; i++)
			b[i] = 0.25 * a[i - 1] + 0.5 * a[i] + 0.25 * a[i + 1];
		b[0] = a[0];
		b[j->n - 1] = a[j->n - 1];
		scratch[0] = b[j->n / 2];
		j->sum += scratch[0];
		free(scratch);
		tmp = a;
		a = b;
		b = tmp;
	}
	free(a);
	free(b);
	j->tid = gettid();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
	j->cpu = (double)end.tv_sec + end.tv_nsec / 1e9;
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2, t;
	struct job *jobs = calloc(threads > 0 ? threads : 1, sizeof(*jobs));
	pthread_t *tids = calloc(threads > 0 ? threads : 1, sizeof(*tids));
	double sum = 0;

	if (threads < 1) {
		fprintf(stderr, "usage: %s [THREADS [STEPS [KWORDS]]]\n", argv[0]);
		return 2;
	}
	for (t = 0; t < threads; t++) {
		jobs[t].steps = argc > 2 ? atoi(argv[2]) : 2000;
		jobs[t].n = (argc > 3 ? atoi(argv[3]) : 256) * 1024;
		pthread_create(&tids[t], NULL, relax, &jobs[t]);
	}
	for (t = 0; t < threads; t++) {
		pthread_join(tids[t], NULL);
		sum += jobs[t].sum;
	}
	printf("checksum %.6f\n", sum);
	for (t = 0; getenv("COMPUTE_CPU_TIMES") && t < threads; t++)
		fprintf(stderr, "worker %d %.6f\n", (int)jobs[t].tid, jobs[t].cpu);
	free(jobs);
	free(tids);
	return 0;
}
