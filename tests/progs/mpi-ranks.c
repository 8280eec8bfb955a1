/* An MPI job whose rank r allocates (r + 1) MiB in rank_buffer(), touches
 * it, and reports a checksum: each rank's profile must hold its own
 * buffer with that call site. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *rank_buffer(int rank)
{
	size_t size = (size_t)(rank + 1) << 20;
	char *buf = malloc(size);

	if (buf)
		memset(buf, rank + 1, size);
	return buf;
}

int main(int argc, char **argv)
{
	int rank, size;
	long sum = 0, total = 0;
	char *buf;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	buf = rank_buffer(rank);
	for (size_t i = 0; buf && i < (size_t)(rank + 1) << 20; i += 4096)
		sum += buf[i];
	MPI_Reduce(&sum, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("%d ranks, checksum %ld\n", size, total);
	free(buf);
	MPI_Finalize();
	return 0;
}
