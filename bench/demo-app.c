/* The bundled example: the classic NUMA mistake.  The main thread
 * initialises one big array (first touch puts every page on its node),
 * then worker threads each compute on their own block of it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NWORKERS 4
#define N (8L << 20)          /* 8 Mi doubles: 64 MiB */
#define ROUNDS 16

static double *grid;
static double partial[NWORKERS];

static void *worker(void *arg)
{
	long w = (long)arg, lo = w * (N / NWORKERS), hi = lo + N / NWORKERS;
	double sum = 0;

	for (int r = 0; r < ROUNDS; r++)
		for (long i = lo; i < hi; i++) {
			grid[i] = grid[i] * 0.5 + 1.0;
			sum += grid[i];
		}
	partial[w] = sum;
	return NULL;
}

int main(void)
{
	pthread_t th[NWORKERS];
	double total = 0;

	grid = malloc(N * sizeof(*grid));
	if (!grid)
		return 1;
	for (long i = 0; i < N; i++)          /* serial initialisation */
		grid[i] = (double)(i % 1000);
	for (long w = 0; w < NWORKERS; w++)
		pthread_create(&th[w], NULL, worker, (void *)w);
	for (long w = 0; w < NWORKERS; w++) {
		pthread_join(th[w], NULL);
		total += partial[w];
	}
	printf("checksum %.1f\n", total);
	free(grid);
	return 0;
}
