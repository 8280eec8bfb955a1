/* The small heap blocks of one process: those under --min-object-size,
 * which get a row only once a sample hits them.  They are most of the
 * allocations of a busy program, so this index is built for the rate of
 * malloc and free: O(1) each, a few cache lines touched, no tree.
 *
 * Live blocks are kept by start address (for free) and, above 4 KiB,
 * chained per granule of their start, at a granule size that grows with
 * their size, so that "which live block holds this address at time t"
 * looks at two granules per size class.  Blocks of 4 KiB or less, most
 * of them, are only counted per page: a lookup probes the start-address
 * map at each aligned address of the 4 KiB before it, in pages that have
 * some (lookups are thousands a second, calls millions).  A freed block stays findable for a while
 * (samples are decoded shortly after they are taken), within a bounded
 * count, in a ring in the order of the frees: a lookup at t looks at the
 * first blocks freed after t.
 *
 * A block that comes already ended (its thread freed it at its very next
 * call: a storm's, a temporary buffer's) goes into a ring of its thread's
 * instead: a thread's such blocks come in the order of its calls and
 * never overlap in time, so a lookup at t has one candidate per thread,
 * found by binary search, and the block costs an append, no map or chain.
 *
 * Entries are named by index: the array grows, indices stay valid until
 * the entry is removed. */
#ifndef NUMAMMA_SMALLOBJ_H
#define NUMAMMA_SMALLOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define SMALL_NONE UINT32_MAX

struct small_entry {
	uint64_t addr, alloc_ns;
	int64_t id;
	const char *name;
	uint32_t size;            /* small_fits() */
	uint32_t callsite_id;     /* small_fits() */
	int32_t tid;
	uint32_t tag;             /* the caller's, given back at the end */
	uint32_t gnext, gprev;    /* live: chain of the start's granule; free:
				   * gnext links the free list */
	uint8_t level;            /* size class */
	bool live;
} __attribute__((aligned(64)));   /* one cache line each (see entries_grow) */

/* A block that ended, in a ring: one cache line, as a small_entry (a
 * busy program's frees write one each; 72 bytes straddled two). */
struct ended_block {
	uint64_t addr, alloc_ns, free_ns;
	int64_t id;
	const char *name;
	uint32_t size;            /* small_fits() */
	uint32_t callsite_id;     /* small_fits() */
	int32_t tid;
	uint32_t tag;
	bool taken;               /* moved out by a sample */
} __attribute__((aligned(64)));

struct ended_ring {
	int32_t tid;              /* a thread's ring of blocks that came ended */
	uint32_t cap;             /* 0 until its first block */
	uint32_t room;            /* blocks reserved at v (cap at most) */
	uint64_t n;               /* written in all: the ring holds the last cap */
	struct ended_block *v;
};

/* Open addressing with linear probing and backward-shift deletion: no
 * tombstones, so a churning table never degrades.  A slot holds the upper
 * half of its key's hash and its entry's index + 1 (0: empty); the key is
 * the entry's (smallobj.c). */
struct small_map {
	struct small_slot { uint32_t fp, val; } *v;
	uint32_t cap, used;
};

/* Live level-0 blocks starting in each page of a 1 GiB region. */
struct small_region {
	uint64_t base;                /* addr >> 30 */
	uint16_t *pages;              /* SMALL_REGION_PAGES counts */
};

/* Address space reserved for a process's entries: 67 million of them
 * before the array has to move (smallobj.c, entries_grow). */
#define SMALL_ENTRIES_ROOM (4ULL << 30)

struct small_index {
	struct small_entry *e;
	uint32_t n, cap, free_list;
	uint32_t populated;           /* entries whose pages were asked for */
	size_t room;                  /* bytes reserved at e (0: none, e moves as it grows) */
	size_t room_wanted;           /* SMALL_ENTRIES_ROOM (tests make it small) */
	struct small_map by_addr;     /* live blocks: start -> entry */
	struct small_map granules;    /* (granule, level) -> first entry, levels >= 1 */
	/* Level 0 (4 KiB or less: most blocks) is not chained: a count per
	 * page of the blocks starting there, and the smallest alignment of
	 * their starts, say where a lookup probes by_addr (small_find). */
	struct small_region *regions;
	uint32_t nr_regions, last_region;
	uint64_t align0;              /* a power of two, 16 or less */
	uint32_t per_level[8];        /* entries (live or freed) per level */
	struct ended_ring freed;      /* blocks freed, in that order */
	struct ended_ring *rings;     /* per thread, blocks that came ended */
	uint32_t nr_rings, last_ring;
	uint32_t ended_slots;         /* in all rings */
	uint64_t newest_end, keep_ns;
	uint64_t nr_live, live_bytes;
	bool ranged;                  /* chained by granule: findable by any address */
};

/* ranged false: blocks are found by their start only (their free), never
 * by an address inside them (small_find, picks): what a run without a
 * sampler needs, without the chains' cost at every call. */
void small_init(struct small_index *s, bool ranged);
/* The upper half of key's hash, which a map slot holds (tests find keys
 * that share one). */
uint32_t small_fingerprint(uint64_t key);
void small_free(struct small_index *s);   /* emptied, ranged as it was */
/* Whether obj can be a small block: its size and call site fit the
 * entry's 32 bits (a bigger one is tracked as an object). */
bool small_fits(const struct nm_object *obj);
/* A new live block; obj->row_if_sampled is implied. */
void small_add(struct small_index *s, const struct nm_object *obj, uint32_t tag);
/* The same; a live block starting there still ends at obj's allocation:
 * returns its id (0: none), *old_size and *old_tag say which it was. */
int64_t small_put(struct small_index *s, const struct nm_object *obj, uint32_t tag,
		  uint64_t *old_size, uint32_t *old_tag);
/* A block that ended at obj->free_ns as it came (its thread freed it at
 * its next call; small_fits()): findable as a freed block while keep_ns
 * after the newest such end and among its thread's last ones, never live. */
void small_add_ended(struct small_index *s, const struct nm_object *obj, uint64_t keep_ns);
/* free(addr): the live block starting at addr ends at ns, and stays
 * findable while keep_ns after the newest end (0: forgotten at once) and
 * among the last max_dead ended.  Returns its id, 0 when addr is not a
 * block here; *size and *tag tell which block it was. */
int64_t small_release(struct small_index *s, uint64_t addr, uint64_t ns, uint64_t keep_ns,
		      uint32_t max_dead, uint64_t *size, uint32_t *tag);
/* Takes the most specific block holding addr at time t (the smallest,
 * then the youngest) out of the index: a sample claimed it, it becomes a
 * tracked object with a row.  *obj and *tag receive it; false: none. */
bool small_claim(struct small_index *s, uint64_t addr, uint64_t t, pid_t pid,
		 struct nm_object *obj, uint32_t *tag);
/* A live block at random from rnd, each equally likely / likelier by
 * its size (by rejection: a few tries, then any live one); SMALL_NONE
 * when none is found. */
uint32_t small_pick_uniform(const struct small_index *s, uint64_t rnd);
uint32_t small_pick_weighted(const struct small_index *s, uint64_t rnd);
/* Entry i as an nm_object of pid. */
struct nm_object small_object(const struct small_index *s, uint32_t i, pid_t pid);
/* The slot of addr in the address map, fetched into the cache; entry:
 * the live block's entry that slot names (the slot fetched before). */
void small_prefetch(const struct small_index *s, uint64_t addr, bool entry);
/* A fork child's copies (into dst) of the blocks live in its parent's
 * src that were made at ns or before (the fork's time), each as made at
 * ns, with ids from first_id on and its parent's tag.  Returns how many:
 * the ids taken. */
uint32_t small_inherit(struct small_index *dst, const struct small_index *src, uint64_t ns,
		       int64_t first_id);

#endif
