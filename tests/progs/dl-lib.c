/* A shared library for dlopen-main: it allocates 5555 bytes from its
 * constructor and 6666 bytes from lib_alloc(). */
#include <stdlib.h>

static void *volatile kept;

static __attribute__((constructor)) void lib_ctor(void)
{
	kept = malloc(5555);
}

__attribute__((noinline)) void *lib_alloc(void)
{
	return malloc(6666);
}
