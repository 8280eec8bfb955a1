/* A compute-heavy threaded workload for bench/sampler-overhead.sh:
 * THREADS threads each run STEPS relaxation sweeps over their own arrays
 * (a 1-D stencil, memory-bound at first touch, compute-bound after), with
 * a few allocations per sweep so the tracer has objects to follow.
 *
 *   compute [THREADS [STEPS [KWORDS]]]    (2 2000 256)
 * Prints a checksum. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
	int steps;
	size_t n;
	double sum;
};

static void *relax(void *arg)
{
	struct job *j = arg;
	double *a = malloc(j->n * sizeof(*a)), *b = malloc(j->n * sizeof(*b));
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
	free(jobs);
	free(tids);
	return 0;
}
