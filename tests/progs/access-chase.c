/* Ground truth for the clock sampler's choice of access: one thread
 * loads from a random place of a large table (a cache miss, its next
 * place from the value loaded), and at once adds the value into a
 * 512-byte array (always a hit), for SECONDS.  The thread waits on the
 * table: samples land just after its load, at the array's update.
 *
 *   access-chase [TABLE_MIB [SECONDS]]    (64 1)
 * Prints "chased yes" once the work is done. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t *table;
uint64_t small[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64, n = 1, sum = 0;
	double end = now() + (argc > 2 ? atof(argv[2]) : 1);
	uint64_t idx = 1, rounds = 0;

	while (n * 2 * sizeof(*table) <= mib << 20)
		n *= 2;
	table = malloc(n * sizeof(*table));
	for (size_t i = 0; i < n; i++)
		table[i] = i * 0x9e3779b97f4a7c15ULL;
	while (now() < end) {
		for (int k = 0; k < 65536; k++) {
			uint64_t x = table[idx & (n - 1)];

			small[k & 63] += x;
			idx = x ^ (idx >> 3);
		}
		rounds++;
	}
	for (int i = 0; i < 64; i++)
		sum += small[i] != 0;
	printf("chased %s\n", rounds && sum ? "yes" : "no");
	return 0;
}
