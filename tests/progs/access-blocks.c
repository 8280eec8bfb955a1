/* Ground truth for the samplers: each of NTHREADS workers writes its own
 * block of one malloc'd array, over and over, for SECONDS.  Block i is
 * BLOCK bytes starting at the first page boundary of the array plus
 * i * BLOCK, so that no page is shared by two blocks.  The main thread
 * does not touch the array.
 *
 *   access-blocks [NTHREADS [BLOCK_PAGES [SECONDS]]]    (4 256 1)
 * Prints "sum N", N the same for every run with the same arguments. */
#include "access-common.h"

static void *worker(void *arg)
{
	struct block *b = arg;
	uint64_t end = now_ns() + b->seconds * 1000000000.0, *w = b->words;
	size_t i, n = b->bytes / 8;

	do {
		for (i = 0; i < n; i++)
			w[i] += i;
		b->rounds++;
	} while (now_ns() < end);
	return NULL;
}

int main(int argc, char **argv)
{
	struct blocks bs;
	char *array;

	blocks_parse(&bs, argc, argv);
	array = malloc(bs.nthreads * bs.bytes + bs.page);
	blocks_run(&bs, array, worker);
	printf("sum %lu\n", (unsigned long)blocks_sum(&bs));
	free(array);
	return 0;
}
