/* A library with an allocator of its own, for dlopen: it defines malloc
 * and free (a bump allocator over a static pool) and, linked with
 * -Bsymbolic, calls them itself from pool_work().  numamma intercepts the
 * allocator of every module that defines one, loaded late or not. */
#include <stddef.h>
#include <stdint.h>

static _Alignas(16) unsigned char pool[1 << 20];
static size_t used;

void *malloc(size_t size)
{
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (used + size > sizeof(pool))
		used = 0;               /* recycled: the test keeps nothing */
	p = pool + used;
	used += size;
	return p;
}

void free(void *p)
{
}

/* n malloc + free pairs through this library's allocator. */
__attribute__((noinline)) long pool_work(long n)
{
	long sum = 0;

	for (long i = 0; i < n; i++) {
		unsigned char *p = malloc(64 + i % 256);

		p[0] = (unsigned char)i;
		sum += p[0];
		free(p);
	}
	return sum;
}
