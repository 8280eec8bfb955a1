/* Synthetic perf records for the decoder tests: a record body built field
 * by field in the order of perf_event_open(2), and a ring buffer that the
 * record is written into the way the kernel does, wrapping at the end. */
#ifndef NUMAMMA_SYNTH_RECORD_H
#define NUMAMMA_SYNTH_RECORD_H

#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>

/* A record body under construction. */
struct body {
	uint8_t b[512];
	size_t n;
};

static void put(struct body *b, const void *v, size_t n)
{
	memcpy(b->b + b->n, v, n);
	b->n += n;
}

static void put64(struct body *b, uint64_t v)
{
	put(b, &v, 8);
}

static void put32x2(struct body *b, uint32_t x, uint32_t y)
{
	uint32_t v[2] = { x, y };
	put(b, v, 8);
}

/* The data pages of a perf ring: size is a power of two, as the kernel's. */
struct ring {
	uint8_t *data;
	size_t size;
	uint64_t head;
};

/* Appends a record of the given type, wrapping around the end. */
static void ring_write(struct ring *r, uint32_t type, const struct body *b)
{
	struct perf_event_header h = { type, 0, (uint16_t)(sizeof(h) + b->n) };
	uint8_t rec[sizeof(h) + sizeof(b->b)];

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), b->b, b->n);
	for (size_t i = 0; i < h.size; i++)
		r->data[(r->head + i) % r->size] = rec[i];
	r->head += h.size;
}

#endif
