/* See include/sorted.h. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sorted.h"

size_t sorted_count_at_most(const void *base, size_t n, size_t size, size_t key_off, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, (const char *)base + mid * size + key_off, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One element's copy: of a size the compiler knows, for the sizes the
 * callers sort (a copy of a size known at run time only is a call per
 * element). */
static inline void copy_element(void *to, const void *from, size_t size)
{
	switch (size) {
	case 16: memcpy(to, from, 16); break;
	case 24: memcpy(to, from, 24); break;
	case 32: memcpy(to, from, 32); break;
	default: memcpy(to, from, size); break;
	}
}

static inline uint64_t key_of(const char *element, size_t key_off)
{
	uint64_t k;

	memcpy(&k, element + key_off, sizeof(k));
	return k;
}

void sort_by_key(void *base, size_t n, size_t size, size_t key_off)
{
	char *from = base, *to, *tmp;
	uint64_t all_or = 0, all_and = ~0ULL;

	for (size_t i = 0; i < n; i++) {
		all_or |= key_of(from + i * size, key_off);
		all_and &= key_of(from + i * size, key_off);
	}
	if (n < 2 || all_or == all_and)
		return;
	tmp = xmalloc_array(n, size);
	to = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };

		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;       /* a byte every key shares */
		for (size_t i = 0; i < n; i++)
			count[((key_of(from + i * size, key_off) >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++) {
			const char *e = from + i * size;

			copy_element(to + count[(key_of(e, key_off) >> shift) & 0xff]++ * size, e, size);
		}
		from = to;
		to = from == (char *)base ? tmp : base;
	}
	if (from != (char *)base)
		memcpy(base, from, n * size);
	free(tmp);
}

void sort_keys(struct sort_key *keys, size_t n)
{
	sort_by_key(keys, n, sizeof(*keys), offsetof(struct sort_key, key));
}
