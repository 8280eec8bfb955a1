/* See include/dwarf_aranges.h. */
#include <stdlib.h>

#include "dwarf_aranges.h"
#include "dwarf_cursor.h"
#include "error.h"
#include "sorted.h"

struct arange_set {
	uint64_t info_offset;
	size_t first, n;        /* its entries, in the order read */
};

struct reading {
	struct arange *v;
	size_t n, cap;
	struct arange_set *sets;
	size_t nsets, sets_cap;
};

static void push_entry(struct reading *r, uint64_t start, uint64_t length)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	/* unit: the set's index until the sets are ranked */
	r->v[r->n++] = (struct arange){ start, length, r->nsets - 1 };
}

/* One set (DWARF 5, 6.1.2): its header, padded to twice the address
 * size from the set's start, then pairs up to (0, 0).  A (0, 0) before
 * the set's end is refused: libdw versions differ on it (0.188 stops
 * there, later ones skip it).  Entries of length 0 are kept, as libdw
 * keeps them. */
static bool read_set(struct cursor *c, struct reading *r)
{
	const uint8_t *set = c->p, *end;
	uint64_t length = read_fixed(c, 4), info_offset;
	int offset_size = 4, address_size;

	if (length == 0xffffffff) {
		offset_size = 8;
		length = read_fixed(c, 8);
	} else if (length >= 0xfffffff0) {
		return false;
	}
	if (c->bad || length > (uint64_t)(c->end - c->p))
		return false;
	end = c->p + length;
	if (read_fixed(c, 2) != 2)
		return false;
	info_offset = read_fixed(c, offset_size);
	address_size = read_fixed(c, 1);
	if (c->bad || (address_size != 4 && address_size != 8) || read_fixed(c, 1) != 0)
		return false;
	c->p += (2 * address_size - (c->p - set) % (2 * address_size)) % (2 * address_size);
	if (r->nsets == r->sets_cap) {
		r->sets_cap = r->sets_cap ? 2 * r->sets_cap : 256;
		r->sets = xrealloc(r->sets, r->sets_cap * sizeof(*r->sets));
	}
	r->sets[r->nsets++] = (struct arange_set){ info_offset, r->n, 0 };
	for (struct cursor pairs = { c->p, end, c->p > end };;) {
		uint64_t start = read_fixed(&pairs, address_size);
		uint64_t len = read_fixed(&pairs, address_size);

		if (pairs.bad)
			return false;
		if (start || len)
			push_entry(r, start, len);
		else if (pairs.p == end)
			break;
		else
			return false;
	}
	r->sets[r->nsets - 1].n = r->n - r->sets[r->nsets - 1].first;
	c->p = end;
	return true;
}

/* Each set's rank by .debug_info offset becomes its entries' unit:
 * false when two sets name one unit. */
static bool rank_sets(struct reading *r)
{
	struct sort_key *keys = xmalloc((r->nsets ? r->nsets : 1) * sizeof(*keys));
	bool ok = true;

	for (size_t i = 0; i < r->nsets; i++)
		keys[i] = (struct sort_key){ r->sets[i].info_offset, i };
	sort_keys(keys, r->nsets);
	for (size_t rank = 0; rank < r->nsets; rank++) {
		const struct arange_set *set = &r->sets[keys[rank].item];

		if (rank && keys[rank].key == keys[rank - 1].key)
			ok = false;
		for (size_t i = set->first; i < set->first + set->n; i++)
			r->v[i].unit = rank;
	}
	free(keys);
	return ok;
}

/* Sorted by start, stably: entries that tie keep the order read. */
static void sort_by_start(struct aranges *a)
{
	SORT_BY_KEY(a->v, a->n, start);
	a->last_run = a->n;
	while (a->last_run && a->v[a->last_run - 1].unit == a->v[a->n - 1].unit)
		a->last_run--;
}

int aranges_read(const uint8_t *p, size_t size, struct aranges *out)
{
	struct cursor c = { p, p + size, false };
	struct reading r = { 0 };

	while (c.p < c.end)
		if (!read_set(&c, &r))
			goto damaged;
	if (!rank_sets(&r))
		goto damaged;
	free(r.sets);
	*out = (struct aranges){ r.v, r.n, r.nsets, 0 };
	sort_by_start(out);
	return 0;
damaged:
	free(r.v);
	free(r.sets);
	return -1;
}

void aranges_free(struct aranges *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

enum arange_find aranges_find(const struct aranges *a, uint64_t addr, uint32_t *unit)
{
	size_t count = sorted_count_at_most(a->v, a->n, sizeof(*a->v),
					    offsetof(struct arange, start), addr);
	const struct arange *e, *last;

	if (!count)
		return ARANGE_NONE;
	e = &a->v[count - 1];
	last = &a->v[a->n - 1];
	for (const struct arange *o = e; o > a->v && o[-1].start == e->start; o--)
		if (o[-1].unit != e->unit)
			return ARANGE_AMBIGUOUS;
	/* Past the last entry's end (libdwfl's test: the end itself is in). */
	if (count - 1 >= a->last_run && addr > last->start + last->length)
		return ARANGE_NONE;
	*unit = e->unit;
	return ARANGE_FOUND;
}
