/* See include/u64map.h. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "u64map.h"

#define EMPTY 0
#define TOMB UINT64_MAX

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

struct u64map_slot *u64map_find(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = mix(key) & (m->cap - 1); m->v[i].key != EMPTY; i = (i + 1) & (m->cap - 1))
		if (m->v[i].key == key)
			return &m->v[i];
	return NULL;
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
	if (m->cap)
		__builtin_prefetch(&m->v[mix(key) & (m->cap - 1)]);
}

static void grow(struct u64map *m)
{
	struct u64map old = *m;

	/* Mostly removed slots: rehash at the same size. */
	m->cap = old.cap ? (old.used - old.live > old.cap / 4 ? old.cap : 2 * old.cap) : 1024;
	m->v = xcalloc_table(m->cap, sizeof(*m->v));
	m->used = m->live = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (u64map_live(&old.v[i]))
			u64map_put(m, old.v[i].key, old.v[i].a, old.v[i].b);
	free(old.v);
}

void u64map_put(struct u64map *m, uint64_t key, uint64_t a, uint64_t b)
{
	struct u64map_slot *s = u64map_find(m, key);
	size_t i;

	if (!s) {
		if (2 * (m->used + 1) > m->cap)
			grow(m);
		i = mix(key) & (m->cap - 1);
		while (u64map_live(&m->v[i]))
			i = (i + 1) & (m->cap - 1);
		s = &m->v[i];
		if (s->key == EMPTY)
			m->used++;
		m->live++;
	}
	*s = (struct u64map_slot){ key, a, b };
}

void u64map_remove(struct u64map *m, struct u64map_slot *s)
{
	s->key = TOMB;
	m->live--;
}

void u64map_free(struct u64map *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}
