/* Reading DWARF's encodings (little-endian fixed sizes, LEB128) within
 * bounds: shared by the readers of .debug_line and .debug_aranges. */
#ifndef NUMAMMA_DWARF_CURSOR_H
#define NUMAMMA_DWARF_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

/* A bounded reader; any overrun sets bad. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static inline uint64_t read_fixed(struct cursor *c, int size)
{
	uint64_t v = 0;

	if (c->end - c->p < size) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	for (int i = 0; i < size; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += size;
	return v;
}

static inline uint64_t read_uleb(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static inline int64_t read_sleb(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b = 0;

	do {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

#endif
