/* dl-allocator-main LIB N: dlopens LIB (tests/progs/dl-allocator.c) and
 * runs its pool_work(N); prints the sum. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	void *h;
	long (*work)(long);

	if (argc != 3 || !(h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) ||
	    !(work = (long (*)(long))dlsym(h, "pool_work")))
		return 2;
	printf("%ld\n", work(atol(argv[2])));
	return 0;
}
