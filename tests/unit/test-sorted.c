/* The shared search of arrays sorted by address: empty arrays, keys
 * below, between, on and past the entries, repeated keys, and the
 * macro's element of a struct array.  The radix sort: ascending, stable
 * among equal keys, every item once, whichever bytes differ; and of
 * whole elements, of the sizes copied as constants (16, 24, 32) and
 * another (40), the key not first. */
#include <stddef.h>
#include <stdlib.h>

#include <stdbool.h>

#include "sorted.h"
#include "unit.h"

struct range {
	char name;
	uint64_t start, end;
};

/* n keys from a generator keeping the bytes of mask (ties on purpose). */
static void check_sort(size_t n, uint64_t mask)
{
	struct sort_key *k = malloc((n + 1) * sizeof(*k));
	unsigned char *seen = calloc(n + 1, 1);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		k[i] = (struct sort_key){ x & mask, (uint32_t)i };
	}
	sort_keys(k, n);
	for (size_t i = 0; i < n; i++) {
		ok = ok && k[i].item < n && !seen[k[i].item];
		if (k[i].item < n)
			seen[k[i].item] = 1;
		if (i)
			ok = ok && (k[i - 1].key < k[i].key ||
				    (k[i - 1].key == k[i].key && k[i - 1].item < k[i].item));
	}
	CHECK(ok);
	free(k);
	free(seen);
}

/* Elements of 32 bytes (the symbol tables'), 24 (the address ranges')
 * and 40, keyed at offset 8: sorted stably, each element whole. */
struct wide { uint64_t check; uint64_t key; uint64_t item; uint64_t pad; };
struct odd { uint64_t check; uint64_t key; uint64_t item; };
struct odder { uint64_t check; uint64_t key; uint64_t item; uint64_t pad[2]; };

#define CHECK_SORTED_ELEMENTS(type, n, mask) do { \
	type *e_ = malloc(((n) + 1) * sizeof(type)); \
	uint64_t x_ = 0x9e3779b97f4a7c15ULL; \
	bool ok_ = true; \
	for (size_t i = 0; i < (n); i++) { \
		x_ ^= x_ << 13; x_ ^= x_ >> 7; x_ ^= x_ << 17; \
		e_[i] = (type){ .check = ~((x_ & (mask)) ^ i), .key = x_ & (mask), .item = i }; \
	} \
	SORT_BY_KEY(e_, (n), key); \
	for (size_t i = 0; i < (n); i++) { \
		ok_ = ok_ && e_[i].check == ~(e_[i].key ^ e_[i].item); \
		if (i) \
			ok_ = ok_ && (e_[i - 1].key < e_[i].key || \
				      (e_[i - 1].key == e_[i].key && e_[i - 1].item < e_[i].item)); \
	} \
	CHECK(ok_); \
	free(e_); \
} while (0)

int main(void)
{
	struct range v[] = { { 'a', 0x1000, 0x2000 }, { 'b', 0x3000, 0x4000 },
			     { 'c', 0x3000, 0x3800 }, { 'd', UINT64_MAX - 1, UINT64_MAX } };
	size_t off = offsetof(struct range, start), n = sizeof(v) / sizeof(v[0]);
	const struct range *r;

	CHECK_INT(sorted_count_at_most(v, 0, sizeof(*v), off, 0x1000), 0);
	CHECK_INT(sorted_count_at_most(v, n, sizeof(*v), off, 0xfff), 0);
	CHECK_INT(sorted_count_at_most(v, n, sizeof(*v), off, 0x1000), 1);
	CHECK_INT(sorted_count_at_most(v, n, sizeof(*v), off, 0x2fff), 1);
	CHECK_INT(sorted_count_at_most(v, n, sizeof(*v), off, 0x3000), 3);   /* both at 0x3000 */
	CHECK_INT(sorted_count_at_most(v, n, sizeof(*v), off, UINT64_MAX), 4);
	r = SORTED_LAST_AT_MOST(v, n, start, 0x1fff);
	CHECK(r && r->name == 'a');
	r = SORTED_LAST_AT_MOST(v, n, start, 0x3100);
	CHECK(r && r->name == 'c');
	CHECK(SORTED_LAST_AT_MOST(v, n, start, 0x10) == NULL);
	CHECK(SORTED_LAST_AT_MOST(v, 0, start, 0x3000) == NULL);
	check_sort(0, ~0ULL);
	check_sort(1, ~0ULL);
	check_sort(10000, ~0ULL);
	check_sort(10000, 0xff);                  /* many ties */
	check_sort(10000, 0x7fff00000000fff0ULL); /* bytes that never differ skipped */
	check_sort(1000, 0);                      /* all equal */
	CHECK_SORTED_ELEMENTS(struct wide, 10000, 0xffffffULL);
	CHECK_SORTED_ELEMENTS(struct wide, 10000, 0xf0ULL);
	CHECK_SORTED_ELEMENTS(struct odd, 10000, ~0ULL);
	CHECK_SORTED_ELEMENTS(struct odd, 3, 0ULL);
	CHECK_SORTED_ELEMENTS(struct odder, 5000, 0xff00ffULL);
	return unit_done();
}
