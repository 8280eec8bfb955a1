/* jemalloc built with a prefix defines its functions under those names
 * alone (Redis's bundled copy: je_malloc; Rust's jemalloc-sys, linked by
 * tikv-jemallocator: _rjem_mallocx).  This program stands in for one: it
 * defines both sets itself, over an arena of its own (neither is
 * packaged), and counts its calls: numamma must count each.
 *
 *   prefixed-jemalloc ROUNDS   prints "allocations A frees F" */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COUNTED_CALLS prefixed_calls
#include "counted-calls.h"

/* Every block of a round, freed by its end: the arena starts again. */
static _Alignas(16) unsigned char arena[4 << 20];
static size_t arena_used;

static void *take(size_t size)
{
	size_t *block = (size_t *)(arena + arena_used);

	arena_used += 16 + ((size + 15) & ~(size_t)15);
	if (arena_used > sizeof(arena))
		abort();
	*block = size;
	return (unsigned char *)block + 16;
}

static size_t size_of(const void *p)
{
	return *(const size_t *)((const unsigned char *)p - 16);
}

static void *moved(void *p, size_t size)
{
	void *q = take(size);

	memcpy(q, p, size < size_of(p) ? size : size_of(p));
	return q;
}

/* Global and out of line, as a library's are: what numamma looks for. */
#define ALLOCATOR __attribute__((noipa, used))

ALLOCATOR void *je_malloc(size_t size) { return take(size); }
ALLOCATOR void *je_calloc(size_t n, size_t size) { return memset(take(n * size), 0, n * size); }
ALLOCATOR void *je_realloc(void *p, size_t size) { return moved(p, size); }
ALLOCATOR void je_free(void *p) { (void)p; }
ALLOCATOR void *_rjem_mallocx(size_t size, int flags) { (void)flags; return take(size); }
ALLOCATOR void *_rjem_rallocx(void *p, size_t size, int flags) { (void)flags; return moved(p, size); }
ALLOCATOR void _rjem_sdallocx(void *p, size_t size, int flags) { (void)p, (void)size, (void)flags; }
ALLOCATOR void _rjem_dallocx(void *p, int flags) { (void)p, (void)flags; }
/* The arena's blocks cannot grow in place. */
ALLOCATOR size_t _rjem_xallocx(void *p, size_t size, size_t extra, int flags)
{
	(void)size, (void)extra, (void)flags;
	return size_of(p);
}

__attribute__((noinline)) static void prefixed_calls(unsigned round)
{
	char *a = je_malloc(32 + round % 100), *b = je_calloc(4, 16), *c, *d;

	a[0] = b[0] = 1;
	a = je_realloc(a, 200 + round % 50);        /* one block released, one made */
	je_free(a);
	je_free(b);
	c = _rjem_mallocx(1 << 16, 0);
	c = _rjem_rallocx(c, (1 << 16) + 64, 0);
	_rjem_sdallocx(c, (1 << 16) + 64, 0);
	d = _rjem_mallocx(48, 0);
	_rjem_xallocx(d, 4096, 0, 0);
	_rjem_dallocx(d, 0);
	allocations += 7;
	frees += 7;
	if (round % 100 == 0) {
		char *e = je_malloc(1 << 20);

		e[0] = 1;
		je_free(e);
		allocations++;
		frees++;
	}
	arena_used = 0;
}
