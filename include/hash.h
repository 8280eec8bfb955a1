/* The 64-bit hash of the profile's interned names and stacks, shared by
 * whoever computes one ahead of the store (a module's name is hashed
 * once, when the module is opened, not at every frame naming it). */
#ifndef NUMAMMA_HASH_H
#define NUMAMMA_HASH_H

#include <stdint.h>
#include <string.h>

#define HASH_SEED 0xcbf29ce484222325ULL
#define HASH_PRIME 0x9e3779b97f4a7c15ULL

/* A word at a time: a stack's frames name their module by a 48-byte
 * build-id string, and a byte at a time (FNV-1a) it was 6% of numamma's
 * time on gcc.  The tail's length keeps "ab" apart from "ab\0". */
static inline uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * HASH_PRIME;
		h ^= h >> 29;
	}
	w = (uint64_t)len << 56;
	memcpy(&w, p, len);
	h = (h ^ w) * HASH_PRIME;
	return h ^ h >> 29;
}

/* A module's name as frames carry it (struct nm_frame's module_key);
 * never 0. */
static inline uint64_t hash_module_name(const char *name)
{
	uint64_t h = hash_bytes(HASH_SEED, name, strlen(name) + 1);

	return h ? h : 1;
}

#endif
