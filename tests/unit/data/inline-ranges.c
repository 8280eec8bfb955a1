/* Inlined code outside its unit's plain functions, for the symbolize
 * unit test: in a nested function (GCC's extension: its code lies apart
 * from the function that holds its DIE) and in the cold part of a
 * function split in two (DW_AT_ranges).  grab()'s code there is called
 * from the line marked. */
#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((always_inline)) void *grab(size_t n)
{
	void *p = malloc(n);     /* GRAB LINE */

	if (p)
		*(volatile char *)p = 1;
	return p;
}

__attribute__((noinline)) void *holder(size_t n)
{
	__attribute__((noinline)) void *nested(size_t k)
	{
		void *p = grab(k);       /* NESTED CALL */

		return p;
	}
	return nested(n + 1);
}

/* abort() makes the branch cold: GCC moves it to split.cold. */
__attribute__((noinline)) void *split(size_t n)
{
	if (n > 100000) {
		void *p;

		fprintf(stderr, "big\n");
		p = grab(n);             /* COLD CALL */
		if (p)
			abort();
		return p;
	}
	return grab(n + 1);
}

int main(int argc, char **argv)
{
	(void)argv;
	free(holder((size_t)argc));
	free(split((size_t)argc));
	return 0;
}
