/* Ground truth for the samplers: the main thread fills one table, then
 * every worker reads all of it, over and over, for SECONDS, and writes
 * only its result.
 *
 *   access-shared [NTHREADS [TABLE_PAGES [SECONDS]]]    (4 256 1)
 * Prints "sum N". */
#include "access-common.h"

static void *reader(void *arg)
{
	struct block *b = arg;
	uint64_t end = now_ns() + b->seconds * 1000000000.0, sum = 0;
	const volatile uint64_t *t = b->shared;
	size_t i;

	do {
		for (i = 0; i < b->shared_words; i++)
			sum += t[i];
		b->rounds++;
	} while (now_ns() < end);
	b->result = sum / b->rounds;
	return NULL;
}

int main(int argc, char **argv)
{
	struct blocks bs;
	uint64_t *table, sum = 0;
	size_t i, words;
	int t;

	blocks_parse(&bs, argc, argv);
	words = bs.bytes / 8;
	table = malloc(bs.bytes);
	for (i = 0; i < words; i++)
		table[i] = i;
	for (t = 0; t < bs.nthreads; t++) {
		bs.b[t].shared = table;
		bs.b[t].shared_words = words;
	}
	blocks_run_on(&bs, reader);
	for (t = 0; t < bs.nthreads; t++)
		sum += bs.b[t].result;
	printf("sum %lu\n", (unsigned long)sum);
	free(table);
	return 0;
}
