/* See include/smallobj.h. */
#include <emmintrin.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "smallobj.h"

#define LEVELS 8
#define MIN_CAP 1024

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* ---- the maps ----
 *
 * A slot is 8 bytes: the upper half of the key's hash, whose top bits
 * are its home at any size, and the entry's index + 1 (0: empty).  The
 * key itself is the entry's (key_of()): a hash that matches is checked
 * against it.  Half the 16-byte slots of a key and index: 8 MiB for
 * 600,000 live blocks, where the drain's misses and the program's own
 * (the cache they share) were most of numamma's cost per call. */

enum small_key { KEY_ADDR, KEY_CHAIN };

static uint64_t chain_key(const struct small_entry *e);

static uint64_t key_of(const struct small_index *s, enum small_key k, uint32_t i)
{
	return k == KEY_ADDR ? s->e[i].addr : chain_key(&s->e[i]);
}

uint32_t small_fingerprint(uint64_t key)
{
	return (uint32_t)(mix(key) >> 32);
}

/* The first slot to probe: the hash's top bits, so that a grown map
 * finds every entry's home from its slot alone. */
static uint32_t home(const struct small_map *m, uint32_t fp)
{
	return (uint32_t)(((uint64_t)fp * m->cap) >> 32);
}

/* The slot of key (whose fingerprint is fp), or the empty one that ends
 * its run. */
static uint32_t probe(const struct small_index *s, const struct small_map *m, enum small_key k,
		      uint64_t key, uint32_t fp)
{
	uint32_t i = home(m, fp);

	while (m->v[i].val && !(m->v[i].fp == fp && key_of(s, k, m->v[i].val - 1) == key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static uint32_t map_get(const struct small_index *s, const struct small_map *m,
			enum small_key k, uint64_t key)
{
	uint32_t i;

	if (!m->cap)
		return SMALL_NONE;
	i = probe(s, m, k, key, small_fingerprint(key));
	return m->v[i].val ? m->v[i].val - 1 : SMALL_NONE;
}

static void map_insert(struct small_map *m, uint32_t fp, uint32_t val1)
{
	uint32_t i = home(m, fp);

	while (m->v[i].val)
		i = (i + 1) & (m->cap - 1);
	m->v[i] = (struct small_slot){ fp, val1 };
	m->used++;
}

/* The map at cap slots (a power of two), its entries moved there. */
static void map_resize(struct small_map *m, uint32_t cap)
{
	struct small_map old = *m;

	m->cap = cap;
	m->v = xcalloc_table(m->cap, sizeof(*m->v));
	m->used = 0;
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.v[i].val)
			map_insert(m, old.v[i].fp, old.v[i].val);
	free(old.v);
}

static void map_grow(struct small_map *m)
{
	map_resize(m, m->cap ? 2 * m->cap : MIN_CAP);
}

/* Room for count entries without growing: one rehash, not one per
 * doubling. */
static void map_reserve(struct small_map *m, uint32_t count)
{
	uint32_t cap = m->cap ? m->cap : MIN_CAP;

	while (4 * (uint64_t)count > 3 * (uint64_t)cap)
		cap *= 2;
	if (cap != m->cap)
		map_resize(m, cap);
}

/* Returns the value key had (SMALL_NONE: none): one probe for both. */
static uint32_t map_put(const struct small_index *s, struct small_map *m, enum small_key k,
			uint64_t key, uint32_t val)
{
	uint32_t fp = small_fingerprint(key), i, old;

	/* Three quarters full at most: a table half the size misses the TLB
	 * and faults in less than the probes it adds cost (C++ std::map:
	 * 192.5 -> 182.4 ms, with 16-byte slots). */
	if (4 * (uint64_t)(m->used + 1) > 3 * (uint64_t)m->cap)
		map_grow(m);
	i = probe(s, m, k, key, fp);
	if (m->v[i].val) {
		old = m->v[i].val - 1;
		m->v[i].val = val + 1;
		return old;
	}
	m->v[i] = (struct small_slot){ fp, val + 1 };
	m->used++;
	return SMALL_NONE;
}

/* Backward-shift deletion: each later entry of the run moves into the
 * hole when the hole lies on its probe path. */
/* Returns the value key had (SMALL_NONE: none). */
static uint32_t map_del(const struct small_index *s, struct small_map *m, enum small_key k,
			uint64_t key)
{
	uint32_t mask = m->cap - 1, i, j, val;

	if (!m->cap)
		return SMALL_NONE;
	i = probe(s, m, k, key, small_fingerprint(key));
	if (!m->v[i].val)
		return SMALL_NONE;
	val = m->v[i].val - 1;
	for (j = (i + 1) & mask; m->v[j].val; j = (j + 1) & mask) {
		uint32_t h = home(m, m->v[j].fp);

		if (((j - h) & mask) >= ((j - i) & mask)) {
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->v[i] = (struct small_slot){ 0, 0 };
	m->used--;
	return val;
}

/* ---- size classes and granules ---- */

/* The smallest class whose granule (4 KiB << 4 * level) is at least the
 * block: a block then touches at most its start's granule and the next. */
static uint8_t level_of(uint64_t size)
{
	uint8_t level = 0;

	while (level < LEVELS - 1 && size > 4096ULL << (4 * level))
		level++;
	return level;
}

static uint64_t granule_of(uint64_t addr, uint8_t level)
{
	return addr >> (12 + 4 * level);
}

/* Only live blocks are chained: freed ones are in the freed ring. */
static uint64_t granule_key(uint64_t granule, uint8_t level)
{
	return (granule << 3 | level) + 1;
}

static uint64_t chain_key(const struct small_entry *e)
{
	return granule_key(granule_of(e->addr, e->level), e->level);
}

/* ---- level 0: counts per page ---- */

#define REGION_SHIFT 30
#define SMALL_REGION_PAGES (1u << (REGION_SHIFT - 12))

/* The count of addr's page; NULL when its region has none (and create
 * is false). */
static uint16_t *page_count(struct small_index *s, uint64_t addr, bool create)
{
	uint64_t base = addr >> REGION_SHIFT;
	struct small_region *r = NULL;

	if (s->last_region < s->nr_regions && s->regions[s->last_region].base == base)
		r = &s->regions[s->last_region];
	for (uint32_t k = 0; !r && k < s->nr_regions; k++)
		if (s->regions[k].base == base)
			r = &s->regions[s->last_region = k];
	if (!r) {
		if (!create)
			return NULL;
		s->regions = xrealloc(s->regions, (s->nr_regions + 1) * sizeof(*s->regions));
		r = &s->regions[s->last_region = s->nr_regions++];
		/* Pages of counts never touched are never faulted in. */
		*r = (struct small_region){ base, xcalloc_sparse(SMALL_REGION_PAGES, sizeof(uint16_t)) };
	}
	return &r->pages[(addr >> 12) & (SMALL_REGION_PAGES - 1)];
}

static uint16_t pages_count(const struct small_index *s, uint64_t addr)
{
	uint16_t *c = page_count((struct small_index *)s, addr, false);     /* no region made */

	return c ? *c : 0;
}

/* Into the chain second when it has a head: the map is left alone.
 * Level 0 is counted, not chained. */
static void chain_insert(struct small_index *s, uint32_t i)
{
	struct small_entry *e = &s->e[i];
	uint64_t key;
	uint32_t head;

	s->per_level[e->level]++;
	if (e->level == 0) {
		(*page_count(s, e->addr, true))++;
		while (e->addr & (s->align0 - 1))
			s->align0 /= 2;
		return;
	}
	key = chain_key(e);
	head = map_get(s, &s->granules, KEY_CHAIN, key);
	if (head == SMALL_NONE) {
		e->gprev = e->gnext = SMALL_NONE;
		map_put(s, &s->granules, KEY_CHAIN, key, i);
		return;
	}
	e->gprev = head;
	e->gnext = s->e[head].gnext;
	if (e->gnext != SMALL_NONE)
		s->e[e->gnext].gprev = i;
	s->e[head].gnext = i;
}

static void chain_unlink(struct small_index *s, uint32_t i)
{
	struct small_entry *e = &s->e[i];
	uint64_t key;

	if (e->level == 0) {
		(*page_count(s, e->addr, true))--;
		s->per_level[0]--;
		return;
	}
	key = chain_key(e);
	if (e->gprev != SMALL_NONE)
		s->e[e->gprev].gnext = e->gnext;
	else if (e->gnext != SMALL_NONE)
		map_put(s, &s->granules, KEY_CHAIN, key, e->gnext);
	else
		map_del(s, &s->granules, KEY_CHAIN, key);
	if (e->gnext != SMALL_NONE)
		s->e[e->gnext].gprev = e->gprev;
	s->per_level[e->level]--;
}

/* ---- entries ---- */

/* Entries are 64 bytes on 64-byte boundaries: a block's add and its
 * release each touch one line of the array, where an 80-byte entry
 * always spanned two.  The array is mapped, page-aligned, in room
 * reserved at its first entry (address space only) and made writable as
 * it doubles: it never moves.  Moved by mremap, each of its pages cost a
 * trap at its next touch in a VM that traps page-table changes (3-4 us a
 * page: a probe moving 32 MiB took 25-33 ms to touch it again), and the
 * array doubles up to the largest live set: 600,000 blocks, 38 MiB.
 * Past the room, or where none could be reserved (a low RLIMIT_AS), it
 * grows by mremap.  Past its first 2 MiB (32,768 entries: a small
 * process never pays a huge page), the room asks for huge pages where the
 * system allows them (transparent_hugepage "madvise", Debian's default):
 * a 4 KiB page's first write cost 7.5-15 us in a PVM guest, a huge page's
 * 0.4-1.6 us per 4 KiB (a 40 MiB probe, populated ahead or not). */
static void reserve_entries(struct small_index *s)
{
	size_t want = s->room_wanted, head;
	uint8_t *base = mmap(NULL, want + HUGE_PAGE_BYTES, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED)
		return;
	/* Aligned, so that the room's huge pages are whole. */
	head = (HUGE_PAGE_BYTES - (uintptr_t)base % HUGE_PAGE_BYTES) % HUGE_PAGE_BYTES;
	if (head)
		munmap(base, head);
	munmap(base + head + want, HUGE_PAGE_BYTES - head);
	s->e = (struct small_entry *)(base + head);
	s->room = want;
	if (want > HUGE_PAGE_BYTES)
		advise_huge((uint8_t *)s->e + HUGE_PAGE_BYTES, want - HUGE_PAGE_BYTES);
}

/* The room of an index freed while small, its pages still writable and
 * populated, kept for the next index: each process of a shell's loop or
 * of a build reserved its room, asked for huge pages, made its first
 * pages writable and populated them, and gave it all back at its end
 * (six system calls, 50-110 us a process).  One, at most SPARE_MAX bytes
 * of entries: what it holds stays numamma's memory.  The recorder's
 * thread alone makes and frees indexes. */
#define SPARE_MAX (1u << 20)
static struct {
	struct small_entry *e;
	size_t room;
	uint32_t cap, populated;
} spare;

static bool take_spare(struct small_index *s)
{
	if (!spare.e || spare.room != s->room_wanted)
		return false;
	s->e = spare.e;
	s->room = spare.room;
	s->cap = spare.cap;
	s->populated = spare.populated;
	spare.e = NULL;
	return true;
}

/* s's room kept as the spare, or unmapped. */
static void give_back_entries(struct small_index *s)
{
	size_t bytes = (size_t)s->cap * sizeof(*s->e);

	if (!s->cap)
		return;
	if (s->room && !spare.e && bytes <= SPARE_MAX) {
		spare.e = s->e;
		spare.room = s->room;
		spare.cap = s->cap;
		spare.populated = s->populated;
		return;
	}
	munmap(s->e, s->room ? s->room : bytes);
}

static void entries_grow(struct small_index *s)
{
	uint32_t cap = s->cap ? 2 * s->cap : MIN_CAP;
	size_t old_bytes = (size_t)s->cap * sizeof(*s->e), bytes = (size_t)cap * sizeof(*s->e);
	void *e;

	if (!s->cap && take_spare(s))
		return;
	if (!s->cap)
		reserve_entries(s);
	if (bytes <= s->room) {
		if (mprotect((char *)s->e + old_bytes, bytes - old_bytes, PROT_READ | PROT_WRITE))
			die("out of memory");
		s->cap = cap;
		return;
	}
	if (s->room) {          /* outgrown: the rest of the room goes */
		munmap((char *)s->e + old_bytes, s->room - old_bytes);
		s->room = 0;
	}
	e = s->cap ? mremap(s->e, old_bytes, bytes, MREMAP_MAYMOVE)
		   : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e == MAP_FAILED)
		die("out of memory");
	s->e = e;
	s->cap = cap;
}

/* The array's fresh pages are asked of the kernel this many at a time,
 * ahead of the entries that will use them: a page whose first write
 * faults costs twice one populated (18 against 9.5 us a page in a PVM
 * guest, where page faults trap to the hypervisor; the entries of the
 * 600,000 blocks a program keeps are 9,000 pages).  Best effort: a
 * kernel without MADV_POPULATE_WRITE (< 5.14) faults them as before. */
#define POPULATE_AHEAD (64u << 10)

/* Pages asked for before their first write; false when the kernel has
 * no MADV_POPULATE_WRITE. */
static bool ask_pages(void *from, size_t bytes)
{
	return !madvise(from, bytes, MADV_POPULATE_WRITE) || errno != EINVAL;
}

/* From one page, doubling up to POPULATE_AHEAD: a short process (a
 * shell's child, a few dozen blocks) faults in one page, not sixteen. */
static void populate_ahead(struct small_index *s)
{
	size_t done = (size_t)s->populated * sizeof(*s->e);
	size_t step = done < 4096 ? 4096 : done < POPULATE_AHEAD ? done : POPULATE_AHEAD;
	uint32_t from = s->populated, to = from + step / sizeof(*s->e);

	if (to > s->cap)
		to = s->cap;
	s->populated = to;
	if (!ask_pages(&s->e[from], (size_t)(to - from) * sizeof(*s->e)))
		s->populated = UINT32_MAX;      /* not again */
}

static uint32_t entry_new(struct small_index *s)
{
	uint32_t i = s->free_list;

	if (i != SMALL_NONE) {
		s->free_list = s->e[i].gnext;
		return i;
	}
	if (s->n == s->cap)
		entries_grow(s);
	if (s->n >= s->populated)
		populate_ahead(s);
	return s->n++;
}

static void entry_recycle(struct small_index *s, uint32_t i)
{
	s->e[i].gnext = s->free_list;
	s->free_list = i;
}

void small_init(struct small_index *s, bool ranged)
{
	memset(s, 0, sizeof(*s));
	s->ranged = ranged;
	s->free_list = SMALL_NONE;
	s->align0 = 16;
	s->room_wanted = SMALL_ENTRIES_ROOM;
}

static void ring_release(struct ended_ring *g);

void small_free(struct small_index *s)
{
	for (uint32_t r = 0; r < s->nr_rings; r++)
		ring_release(&s->rings[r]);
	free(s->rings);
	ring_release(&s->freed);
	give_back_entries(s);
	free(s->by_addr.v);
	free(s->granules.v);
	for (uint32_t r = 0; r < s->nr_regions; r++)
		xfree_sparse(s->regions[r].pages, SMALL_REGION_PAGES, sizeof(uint16_t));
	free(s->regions);
	small_init(s, s->ranged);
}

static void end_entry(struct small_index *s, uint32_t i, uint64_t ns, uint64_t keep_ns,
		      uint32_t max_dead);

static uint32_t new_entry(struct small_index *s, const struct nm_object *obj, uint32_t tag)
{
	uint32_t i = entry_new(s);

	s->e[i] = (struct small_entry){
		.addr = obj->addr, .size = obj->size, .alloc_ns = obj->alloc_ns,
		.id = obj->id, .callsite_id = obj->callsite_id, .name = obj->name,
		.tid = obj->tid, .tag = tag, .level = level_of(obj->size), .live = true,
	};
	return i;
}

bool small_fits(const struct nm_object *obj)
{
	return obj->size <= UINT32_MAX && obj->callsite_id >= 0 && obj->callsite_id <= UINT32_MAX;
}

int64_t small_put(struct small_index *s, const struct nm_object *obj, uint32_t tag,
		  uint64_t *old_size, uint32_t *old_tag)
{
	uint32_t i = new_entry(s, obj, tag), old;
	int64_t old_id;

	if (s->ranged)
		chain_insert(s, i);
	s->nr_live++;
	s->live_bytes += obj->size;
	/* A block still there: its release was not read (never seen, or
	 * still to come), it ended by now. */
	old = map_put(s, &s->by_addr, KEY_ADDR, obj->addr, i);
	if (old == SMALL_NONE)
		return 0;
	old_id = s->e[old].id;
	*old_size = s->e[old].size;
	*old_tag = s->e[old].tag;
	end_entry(s, old, obj->alloc_ns, 0, 0);
	return old_id;
}

void small_add(struct small_index *s, const struct nm_object *obj, uint32_t tag)
{
	uint64_t size;
	uint32_t old_tag;

	small_put(s, obj, tag, &size, &old_tag);
}

/* ---- blocks that came ended: a ring per thread ---- */

#define ENDED_MIN 256
#define ENDED_MAX 4096              /* per thread */
#define ENDED_SLOTS (1u << 16)      /* in all rings: numamma's memory */

static struct ended_ring *ring_of(struct small_index *s, int32_t tid)
{
	if (s->last_ring < s->nr_rings && s->rings[s->last_ring].tid == tid)
		return &s->rings[s->last_ring];
	for (uint32_t r = 0; r < s->nr_rings; r++)
		if (s->rings[r].tid == tid)
			return &s->rings[s->last_ring = r];
	s->rings = xrealloc(s->rings, (s->nr_rings + 1) * sizeof(*s->rings));
	s->rings[s->nr_rings] = (struct ended_ring){ .tid = tid };
	return &s->rings[s->last_ring = s->nr_rings++];
}

/* The oldest block the ring still holds. */
static uint64_t ring_first(const struct ended_ring *g)
{
	return g->n > g->cap ? g->n - g->cap : 0;
}

_Static_assert(sizeof(struct ended_block) == 64, "an ended block is one cache line");

/* cap is a power of two (ENDED_MIN doubled): a mask, where the modulo's
 * division was most of the cost of keeping a freed block, 4 million of
 * them in a malloc storm. */
static struct ended_block *ring_at(const struct ended_ring *g, uint64_t k)
{
	return &g->v[k & (g->cap - 1)];
}

/* A ring's largest room is reserved at its first block and its pages
 * are asked for as it grows: it grows only while it has not wrapped, so
 * its blocks keep their places (k & (cap - 1) is k) and none is copied.
 * Doubling into fresh memory copied every block each time and faulted in
 * twice the pages: 8.5 ms of cc1 -O2's 18,000 frees, faults mostly.
 * Twice the room up to max blocks, a thread's rings staying within
 * ENDED_SLOTS in all: a full ring overwrites its oldest block. */
static void ring_grow(struct small_index *s, struct ended_ring *g, uint32_t max, bool counted)
{
	uint32_t cap = g->cap ? 2 * g->cap : ENDED_MIN;

	if (g->cap && (cap > g->room || g->n > g->cap ||
		       (counted && s->ended_slots + cap - g->cap > ENDED_SLOTS)))
		return;
	if (!g->v) {
		g->room = max > ENDED_MIN ? max : ENDED_MIN;
		g->v = mmap(NULL, (size_t)g->room * sizeof(*g->v), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (g->v == MAP_FAILED)
			die("out of memory");
	}
	ask_pages(&g->v[g->cap], (size_t)(cap - g->cap) * sizeof(*g->v));
	if (counted)
		s->ended_slots += cap - g->cap;
	g->cap = cap;
}

static void ring_release(struct ended_ring *g)
{
	if (g->v)
		munmap(g->v, (size_t)g->room * sizeof(*g->v));
}

/* A block ended at free_ns (never 0: that reads as live), findable while
 * keep_ns after the newest end.  Written with non-temporal stores: a busy
 * program's frees fill the freed ring (1 MiB) faster than samples read
 * it, and an ordinary store first read each line it overwrote (Rust maps,
 * clock sampler: end_entry's samples down a fifth). */
static void ring_add(struct small_index *s, struct ended_ring *g, const struct ended_block *b,
		     uint64_t keep_ns)
{
	__m128i *to = (__m128i *)ring_at(g, g->n++);
	const __m128i *from = (const __m128i *)b;

	for (int i = 0; i < 4; i++)
		_mm_stream_si128(to + i, _mm_loadu_si128(from + i));
	if (b->free_ns > s->newest_end)
		s->newest_end = b->free_ns;
	s->keep_ns = keep_ns;
}

static bool recent(const struct small_index *s, const struct ended_block *b)
{
	return s->newest_end - b->free_ns <= s->keep_ns;
}

/* The smaller block, then the younger, is the more specific. */
static bool specific(uint64_t size_a, uint64_t alloc_a, uint64_t size_b, uint64_t alloc_b)
{
	return size_a != size_b ? size_a < size_b : alloc_a > alloc_b;
}

static bool block_holds(const struct ended_block *b, uint64_t addr, uint64_t t)
{
	return !b->taken && b->addr <= addr && addr - b->addr < b->size && b->alloc_ns <= t &&
	       b->free_ns > t;
}

void small_add_ended(struct small_index *s, const struct nm_object *obj, uint64_t keep_ns)
{
	struct ended_ring *g;

	if (!s->ranged || !keep_ns)
		return;
	g = ring_of(s, obj->tid);
	if (g->n >= g->cap)
		ring_grow(s, g, ENDED_MAX, true);
	ring_add(s, g, &(struct ended_block){
		.addr = obj->addr, .size = (uint32_t)obj->size, .alloc_ns = obj->alloc_ns,
		.free_ns = obj->free_ns ? obj->free_ns : 1, .id = obj->id,
		.callsite_id = (uint32_t)obj->callsite_id, .name = obj->name, .tid = obj->tid,
	}, keep_ns);
}

/* The first block of g, ordered by its start (by_end false) or its end,
 * that starts (ends) after t; g->n when none does. */
static uint64_t ring_after(const struct ended_ring *g, uint64_t t, bool by_end)
{
	uint64_t lo = ring_first(g), hi = g->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct ended_block *b = ring_at(g, mid);

		if ((by_end ? b->free_ns : b->alloc_ns) <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The thread's block alive at t (the last to start by t), if it holds
 * addr and is recent enough to be asked about. */
static struct ended_block *ring_find(const struct small_index *s, const struct ended_ring *g,
				     uint64_t addr, uint64_t t)
{
	uint64_t lo = ring_after(g, t, false);
	struct ended_block *e;

	if (lo == ring_first(g))
		return NULL;
	e = ring_at(g, lo - 1);
	return block_holds(e, addr, t) && recent(s, e) ? e : NULL;
}

/* ---- freed blocks: one ring in the order of their frees ---- */

/* Blocks freed after t a lookup looks at, at most.  Samples come in
 * shortly after they are taken: the block a sample hit, if freed since,
 * is among the first freed after it. */
#define FREED_WALK 1024

/* Entry i, out of by_addr already, ends at ns: it stays findable in the
 * freed ring while keep_ns and max_dead allow, its entry free at once. */
static void end_entry(struct small_index *s, uint32_t i, uint64_t ns, uint64_t keep_ns,
		      uint32_t max_dead)
{
	struct small_entry *e = &s->e[i];

	s->nr_live--;
	s->live_bytes -= e->size;
	if (s->ranged) {
		chain_unlink(s, i);
		if (keep_ns && max_dead) {
			if (s->freed.n >= s->freed.cap)
				ring_grow(s, &s->freed, max_dead, false);
			ring_add(s, &s->freed, &(struct ended_block){
				.addr = e->addr, .size = e->size, .alloc_ns = e->alloc_ns,
				.free_ns = ns ? ns : 1, .id = e->id, .callsite_id = e->callsite_id,
				.name = e->name, .tid = e->tid, .tag = e->tag,
			}, keep_ns);
		}
	}
	e->live = false;
	entry_recycle(s, i);
}

/* The most specific block freed after t that held addr at t. */
static struct ended_block *freed_find(const struct small_index *s, uint64_t addr, uint64_t t)
{
	const struct ended_ring *g = &s->freed;
	uint64_t lo = ring_after(g, t, true), end = lo + FREED_WALK < g->n ? lo + FREED_WALK : g->n;
	struct ended_block *best = NULL;

	for (uint64_t k = lo; k < end; k++) {
		struct ended_block *b = ring_at(g, k);

		if (block_holds(b, addr, t) && recent(s, b) &&
		    (!best || specific(b->size, b->alloc_ns, best->size, best->alloc_ns)))
			best = b;
	}
	return best;
}

int64_t small_release(struct small_index *s, uint64_t addr, uint64_t ns, uint64_t keep_ns,
		      uint32_t max_dead, uint64_t *size, uint32_t *tag)
{
	uint32_t i = map_del(s, &s->by_addr, KEY_ADDR, addr);
	int64_t id;

	if (i == SMALL_NONE)
		return 0;
	id = s->e[i].id;
	*size = s->e[i].size;
	*tag = s->e[i].tag;
	end_entry(s, i, ns, keep_ns, max_dead);
	return id;
}

static bool holds(const struct small_entry *e, uint64_t addr, uint64_t t)
{
	return e->addr <= addr && addr - e->addr < e->size && e->alloc_ns <= t;
}

static bool more_specific(const struct small_entry *a, const struct small_entry *b)
{
	return specific(a->size, a->alloc_ns, b->size, b->alloc_ns);
}

/* The best of best and the blocks of key's chain that hold addr at t. */
static uint32_t best_in_chain(const struct small_index *s, uint64_t key, uint64_t addr,
			      uint64_t t, uint32_t best)
{
	for (uint32_t i = map_get(s, &s->granules, KEY_CHAIN, key); i != SMALL_NONE;
	     i = s->e[i].gnext) {
		const struct small_entry *e = &s->e[i];

		if (holds(e, addr, t) && (best == SMALL_NONE || more_specific(e, &s->e[best])))
			best = i;
	}
	return best;
}

/* The best of best and the level-0 blocks holding addr at t: each
 * starts in the 4 KiB up to addr, at a multiple of align0, in a page that
 * counts some. */
static uint32_t best_of_level0(const struct small_index *s, uint64_t addr, uint64_t t,
			       uint32_t best)
{
	uint64_t lowest = addr > 4095 ? addr - 4095 : 0;
	uint64_t start = addr & ~(s->align0 - 1);

	while (start >= lowest) {
		uint64_t page = start & ~4095ULL;

		if (pages_count(s, start)) {
			uint32_t i = map_get(s, &s->by_addr, KEY_ADDR, start);

			if (i != SMALL_NONE && holds(&s->e[i], addr, t) &&
			    (best == SMALL_NONE || more_specific(&s->e[i], &s->e[best])))
				best = i;
		} else {
			start = page;     /* none starts in this page */
		}
		if (start < s->align0)
			break;
		start -= s->align0;
	}
	return best;
}

/* The most specific live block holding addr at t. */
static uint32_t small_find(const struct small_index *s, uint64_t addr, uint64_t t)
{
	uint32_t best = SMALL_NONE;

	if (s->per_level[0])
		best = best_of_level0(s, addr, t, best);
	for (uint8_t level = 1; level < LEVELS; level++) {
		uint64_t g = granule_of(addr, level);

		if (!s->per_level[level])
			continue;
		for (uint64_t d = 0; d < 2 && d <= g; d++)
			best = best_in_chain(s, granule_key(g - d, level), addr, t, best);
	}
	return best;
}

struct nm_object small_object(const struct small_index *s, uint32_t i, pid_t pid)
{
	const struct small_entry *e = &s->e[i];

	return (struct nm_object){
		.id = e->id, .pid = pid, .tid = e->tid, .kind = OBJ_HEAP,
		.addr = e->addr, .size = e->size, .alloc_ns = e->alloc_ns,
		.callsite_id = e->callsite_id, .name = e->name, .row_if_sampled = true,
	};
}

/* Live entry i out of the index. */
static void small_take(struct small_index *s, uint32_t i, struct nm_object *obj, pid_t pid)
{
	struct small_entry *e = &s->e[i];

	*obj = small_object(s, i, pid);
	chain_unlink(s, i);
	map_del(s, &s->by_addr, KEY_ADDR, e->addr);
	s->nr_live--;
	s->live_bytes -= e->size;
	e->live = false;
	entry_recycle(s, i);
}

static bool block_beats(const struct ended_block *b, const struct ended_block *best)
{
	return b && (!best || specific(b->size, b->alloc_ns, best->size, best->alloc_ns));
}

bool small_claim(struct small_index *s, uint64_t addr, uint64_t t, pid_t pid,
		 struct nm_object *obj, uint32_t *tag)
{
	uint32_t i;
	struct ended_block *best;

	if (!s->ranged)
		return false;
	i = small_find(s, addr, t);
	best = freed_find(s, addr, t);
	for (uint32_t r = 0; r < s->nr_rings; r++) {
		struct ended_block *b = ring_find(s, &s->rings[r], addr, t);

		if (block_beats(b, best))
			best = b;
	}
	if (best && (i == SMALL_NONE ||
		     specific(best->size, best->alloc_ns, s->e[i].size, s->e[i].alloc_ns))) {
		best->taken = true;
		*tag = best->tag;
		*obj = (struct nm_object){
			.id = best->id, .pid = pid, .tid = best->tid, .kind = OBJ_HEAP,
			.addr = best->addr, .size = best->size, .alloc_ns = best->alloc_ns,
			.free_ns = best->free_ns, .callsite_id = best->callsite_id, .name = best->name,
			.row_if_sampled = true,
		};
		return true;
	}
	if (i == SMALL_NONE)
		return false;
	*tag = s->e[i].tag;
	small_take(s, i, obj, pid);
	return true;
}

#define PICK_TRIES 32

static uint64_t next_rnd(uint64_t x)
{
	return mix(x + 0x9e3779b97f4a7c15ULL);
}

uint32_t small_pick_uniform(const struct small_index *s, uint64_t rnd)
{
	for (int k = 0; s->nr_live && k < PICK_TRIES; k++, rnd = next_rnd(rnd))
		if (s->e[rnd % s->n].live)
			return rnd % s->n;
	return SMALL_NONE;
}

/* Accepted with probability size / (the largest class's granule). */
uint32_t small_pick_weighted(const struct small_index *s, uint64_t rnd)
{
	uint64_t bound = 4096;

	for (uint8_t level = 0; level < LEVELS; level++)
		if (s->per_level[level])
			bound = 4096ULL << (4 * level);
	for (int k = 0; s->nr_live && k < PICK_TRIES; k++, rnd = next_rnd(rnd)) {
		const struct small_entry *e = &s->e[rnd % s->n];

		if (e->live && mix(rnd) % bound < e->size)
			return rnd % s->n;
	}
	return small_pick_uniform(s, rnd);
}

uint32_t small_inherit(struct small_index *dst, const struct small_index *src, uint64_t ns,
		       int64_t first_id)
{
	uint32_t copied = 0;

	map_reserve(&dst->by_addr, dst->by_addr.used + (uint32_t)src->nr_live);
	/* In the entries' order, not the map's: read in sequence, where the
	 * map's order read a shell's 700 entries at random. */
	for (uint32_t i = 0; i < src->n; i++) {
		const struct small_entry *e = &src->e[i];

		if (!e->live || e->alloc_ns > ns)
			continue;       /* the parent's since the fork */
		small_add(dst, &(struct nm_object){
			.id = first_id + copied++, .tid = e->tid, .kind = OBJ_HEAP, .addr = e->addr,
			.size = e->size, .alloc_ns = ns, .callsite_id = e->callsite_id, .name = e->name,
			.row_if_sampled = true,
		}, e->tag);
	}
	return copied;
}

void small_prefetch(const struct small_index *s, uint64_t addr, bool entry)
{
	uint32_t fp, i;

	if (!s->by_addr.cap)
		return;
	fp = small_fingerprint(addr);
	i = home(&s->by_addr, fp);
	if (!entry) {
		__builtin_prefetch(&s->by_addr.v[i]);
		return;
	}
	/* The entry whose hash matches, unchecked (the check would read the
	 * entry this prefetches). */
	for (; s->by_addr.v[i].val; i = (i + 1) & (s->by_addr.cap - 1))
		if (s->by_addr.v[i].fp == fp) {
			__builtin_prefetch(&s->e[s->by_addr.v[i].val - 1], 1);
			return;
		}
}
