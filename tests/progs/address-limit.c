/* Maps most of what an address-space limit leaves it: address-limit MIB
 * allocates MIB MiB at once (a mapping of its own), touches a page of
 * each MiB, and makes 100 small blocks.  Prints what it got, or that the
 * allocation failed (exit 3). */
#include <stdio.h>
#include <stdlib.h>

#define SMALL 100

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 1;
	char *big = malloc((size_t)mib << 20);
	void *small[SMALL];

	if (!big) {
		puts("malloc failed");
		return 3;
	}
	for (long i = 0; i < mib; i++)
		big[i << 20] = 1;
	for (int i = 0; i < SMALL; i++)
		small[i] = malloc(64);
	for (int i = 0; i < SMALL; i++)
		free(small[i]);
	free(big);
	printf("allocated %ld MiB\n", mib);
	return 0;
}
