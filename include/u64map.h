/* A hash map from 64-bit keys to two 64-bit values, open addressing.
 * Keys 0 and UINT64_MAX are reserved. */
#ifndef NUMAMMA_U64MAP_H
#define NUMAMMA_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key, a, b;
};

struct u64map {
	struct u64map_slot *v;
	size_t cap, used;       /* used counts removed slots too */
	size_t live;
};

/* The key's slot, or NULL. */
struct u64map_slot *u64map_find(const struct u64map *m, uint64_t key);
/* Brings the key's first slot into the cache, for a find soon after. */
void u64map_prefetch(const struct u64map *m, uint64_t key);
/* Inserts or replaces. */
void u64map_put(struct u64map *m, uint64_t key, uint64_t a, uint64_t b);
void u64map_remove(struct u64map *m, struct u64map_slot *s);
void u64map_free(struct u64map *m);
/* A pid's key: any pid, -1 and 0 included, clear of the reserved keys. */
static inline uint64_t u64map_pid_key(int32_t pid)
{
	return (uint64_t)(uint32_t)pid + 1;
}
/* Iterating: slots with u64map_live(s). */
static inline int u64map_live(const struct u64map_slot *s)
{
	return s->key != 0 && s->key != UINT64_MAX;
}

#endif
