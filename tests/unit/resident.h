/* How much of a range is in memory (mincore), for tests of what numamma
 * leaves untouched until it is used. */
#ifndef NUMAMMA_TEST_RESIDENT_H
#define NUMAMMA_TEST_RESIDENT_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* How many of the whole pages in the pages' worth of bytes from p are in
 * memory (p need not be aligned: a block from the heap is not); -errno
 * when mincore refuses (-ENOMEM: not mapped). */
static inline int resident(void *p, size_t pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	size_t whole = (((uintptr_t)p + pages * page) & ~(page - 1)) - start;
	unsigned char *vec = malloc(pages + 1);
	int n = 0;

	if (!vec)
		return -ENOMEM;
	if (mincore((void *)start, whole, vec)) {
		n = -errno;
	} else {
		for (size_t i = 0; i < whole / page; i++)
			n += vec[i] & 1;
	}
	free(vec);
	return n;
}

#endif
