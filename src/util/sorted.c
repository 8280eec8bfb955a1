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

void sort_keys(struct sort_key *keys, size_t n)
{
	struct sort_key *tmp, *from = keys, *to;
	uint64_t all_or = 0, all_and = ~0ULL;

	for (size_t i = 0; i < n; i++) {
		all_or |= keys[i].key;
		all_and &= keys[i].key;
	}
	if (n < 2 || all_or == all_and)
		return;
	tmp = xmalloc_array(n, sizeof(*tmp));
	to = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };

		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;       /* a byte every key shares */
		for (size_t i = 0; i < n; i++)
			count[((from[i].key >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			to[count[(from[i].key >> shift) & 0xff]++] = from[i];
		from = to;
		to = from == keys ? tmp : keys;
	}
	if (from != keys)
		memcpy(keys, from, n * sizeof(*keys));
	free(tmp);
}
