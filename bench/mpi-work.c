/* bench/mpi-scale.sh's job: every rank does the same work, whatever the
 * number of ranks (weak scaling): ALLOCS small allocations kept in a
 * ring of 256 live blocks, and sweeps over a 16 MiB buffer of its own;
 * then one reduction.  Rank 0 prints the slowest rank's time between
 * MPI_Init and the reduction, and a checksum. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOCS  (500 * 1000)
#define RING    256
#define BUFSIZE (16 << 20)
#define SWEEPS  100

__attribute__((noinline)) static char *rank_buffer(void)
{
	return malloc(BUFSIZE);
}

static long churn(void)
{
	char *ring[RING] = { 0 };
	long sum = 0;

	for (int i = 0; i < ALLOCS; i++) {
		size_t size = 64 + (size_t)(i % 64) * 64;

		free(ring[i % RING]);
		ring[i % RING] = malloc(size);
		ring[i % RING][size - 1] = (char)i;
		sum += ring[i % RING][0] != 0;
	}
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	return sum;
}

static long sweep(void)
{
	char *buf = rank_buffer();
	long sum = 0;

	for (int s = 0; s < SWEEPS; s++) {
		memset(buf, s, BUFSIZE);
		for (size_t i = 0; i < BUFSIZE; i += 4096)
			sum += buf[i];
	}
	free(buf);
	return sum;
}

int main(int argc, char **argv)
{
	int rank, size;
	long sum, total = 0;
	double t0, t, slowest = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	t0 = MPI_Wtime();
	sum = churn() + sweep();
	t = MPI_Wtime() - t0;
	MPI_Reduce(&sum, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	MPI_Reduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%d ranks, slowest rank %.3f s, checksum %ld\n", size, slowest, total);
	MPI_Finalize();
	return 0;
}
