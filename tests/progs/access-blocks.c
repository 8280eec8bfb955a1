/* Ground truth for the samplers: each of NTHREADS workers writes its own
 * block of one malloc'd array, over and over, for SECONDS.  Block i is
 * BLOCK bytes starting at the first page boundary of the array plus
 * i * BLOCK, so that no page is shared by two blocks.  The main thread
 * does not touch the array.
 *
 *   access-blocks [NTHREADS [BLOCK_PAGES [SECONDS]]]    (4 256 1)
 * Prints "sum N", N the same for every run with the same arguments.  With
 * ACCESS_FAULTS=FILE, writes "block|faults" lines there: the page faults
 * each worker took in its first round over its block. */
#include "access-common.h"

static void write_faults(const struct blocks *bs, const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	for (int i = 0; i < bs->nthreads; i++)
		fprintf(f, "%d|%ld\n", i, bs->b[i].first_round_faults);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct blocks bs;
	char *array;

	blocks_parse(&bs, argc, argv);
	array = malloc(bs.nthreads * bs.bytes + bs.page);
	blocks_run(&bs, array, block_writer);
	printf("sum %lu\n", (unsigned long)blocks_sum(&bs));
	write_faults(&bs, getenv("ACCESS_FAULTS"));
	free(array);
	return 0;
}
