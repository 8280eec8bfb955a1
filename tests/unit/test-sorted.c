/* The shared search of arrays sorted by address: empty arrays, keys
 * below, between, on and past the entries, repeated keys, and the
 * macro's element of a struct array. */
#include <stddef.h>

#include "sorted.h"
#include "unit.h"

struct range {
	char name;
	uint64_t start, end;
};

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
	return unit_done();
}
