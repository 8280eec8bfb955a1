/* A function with another inlined into it, for the symbolize unit test:
 * code of grab() inside outer() is named grab's line, and called from
 * outer's. */
#include <stdlib.h>

static inline __attribute__((always_inline)) void *grab(size_t n)
{
	void *p = malloc(n);     /* GRAB LINE */

	if (p)
		*(volatile char *)p = 1;
	return p;
}

__attribute__((noinline)) void *outer(size_t n)
{
	void *p = grab(n);       /* OUTER CALL */

	return p;
}

int main(void)
{
	free(outer(64));
	return 0;
}
