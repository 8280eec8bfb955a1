/* jemalloc's own API (mallocx, rallocx, xallocx, sdallocx, dallocx), linked
 * against libjemalloc (it cannot be opened with dlopen: its TLS is
 * initial-exec), counted by the program: numamma must count each call.
 *
 *   jemalloc-api ROUNDS   prints "allocations A frees F" */
#include <stddef.h>

#define COUNTED_CALLS jemalloc_calls
#include "counted-calls.h"

/* jemalloc's header is in libjemalloc-dev: its five prototypes. */
void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
size_t xallocx(void *ptr, size_t size, size_t extra, int flags);
void sdallocx(void *ptr, size_t size, int flags);
void dallocx(void *ptr, int flags);

#define MALLOCX_ZERO 0x40

__attribute__((noinline)) static void jemalloc_calls(unsigned round)
{
	char *a = mallocx(32 + round % 100, 0);
	char *b = mallocx(1 << 16, MALLOCX_ZERO);

	a[0] = b[0] = 1;
	/* Moved or not, rallocx releases one block and makes one. */
	a = rallocx(a, 4096 + round % 100, 0);
	/* Grown in place or not, a block released and one made there. */
	xallocx(b, (1 << 16) + 4096, 0, 0);
	allocations += 4;
	sdallocx(a, 4096 + round % 100, 0);
	dallocx(b, 0);
	frees += 4;
}
