/* N objects of 256 KiB, each allocated, touched and freed: every one is a
 * placement for `numamma run`.  Usage: place-objects [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile sink;     /* keeps the compiler from eliding malloc */

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	size_t size = 256 << 10;
	long sum = 0;

	for (long i = 0; i < n; i++) {
		char *p = sink = malloc(size);

		memset(p, (int)i, size);
		sum += sink[size / 2];
		free(sink);
	}
	printf("%ld\n", sum);
	return 0;
}
