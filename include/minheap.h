/* A binary min-heap of (key, id) pairs in an array the caller owns: the
 * agent's rings merged by their next record's TSC (agent_host.c's drain),
 * where a scan of every ready ring for each record read was a third of
 * numamma's work under 100 allocating threads. */
#ifndef NUMAMMA_MINHEAP_H
#define NUMAMMA_MINHEAP_H

#include <stdint.h>

struct minheap_entry {
	uint64_t key;
	uint32_t id;
};

struct minheap {
	struct minheap_entry *v;        /* room for every id the caller pushes */
	uint32_t n;
};

/* The entry with the smallest key (ties: any of them); n must be > 0. */
static inline const struct minheap_entry *minheap_top(const struct minheap *h)
{
	return &h->v[0];
}

void minheap_push(struct minheap *h, uint64_t key, uint32_t id);
/* The top entry's key changed to key (it moves down as far as it must). */
void minheap_replace_top(struct minheap *h, uint64_t key);
void minheap_pop(struct minheap *h);

#endif
