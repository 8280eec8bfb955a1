/* Ground truth for the samplers: the main thread initialises the whole
 * array (so, under first touch, every page is placed where main runs),
 * then each worker computes on its own block for SECONDS.
 *
 *   access-serial-init [NTHREADS [BLOCK_PAGES [SECONDS]]]    (4 256 1)
 * Prints "sum N". */
#include "access-common.h"

int main(int argc, char **argv)
{
	struct blocks bs;
	size_t size, i;
	char *array;

	blocks_parse(&bs, argc, argv);
	size = bs.nthreads * bs.bytes + bs.page;
	array = malloc(size);
	/* Not memset: the compiler would turn malloc + memset(0) into a
	 * calloc that a fresh mapping satisfies without touching a page. */
	for (i = 0; i < size; i += sizeof(uint64_t))
		*(volatile uint64_t *)(array + i) = 0;
	blocks_run(&bs, array, block_writer);
	printf("sum %lu\n", (unsigned long)blocks_sum(&bs));
	free(array);
	return 0;
}
