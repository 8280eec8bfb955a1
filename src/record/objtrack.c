/* The object tracker.
 *
 * Each process keeps its live objects in a treap ordered by (addr, id) and
 * augmented with the largest end address of each subtree, so that "which
 * objects cover addr" is a stabbing query in O(log n + k).
 *
 * Freed objects wait in a log in the order they ended; a lookup sorts
 * them into one run ordered by address, an implicit interval tree, once
 * more than DEAD_SCAN wait (fewer are scanned), forgetting on the way
 * those too old to be asked about.  Lookups come with samples, in
 * batches, while frees can come by the hundred thousand a second: a
 * storm's frees cost an append each, not a share of a merge per level.
 *
 * Live objects are also kept in an array (any order) with a Fenwick tree
 * over their sizes, for size-weighted random picks in O(log n), and live
 * heap/mmap objects in a hash keyed by start address, for free().
 *
 * Nodes are allocated in slabs and never move, so the nm_object pointers
 * handed out stay valid while their object is findable (objtrack_keep_freed):
 * the nodes of forgotten objects are reused. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "error.h"
#include "objtrack.h"
#include "smallobj.h"
#include "sorted.h"
#include "u64map.h"

#define NEVER UINT64_MAX          /* free time of a live object */
#define NOT_LIVE UINT32_MAX
#define SLAB_NODES 4096
#define DEAD_SCAN 256             /* freed objects scanned linearly at most */
/* Freed small blocks kept findable at most: samples are decoded within
 * milliseconds, and a storm of frees must not grow numamma.  16,384 (1.3
 * MiB of entries) stay in the caches: with 262,144, each free's purge of
 * the oldest missed them, and a 2-thread malloc storm under the clock
 * sampler took 1.69 s instead of 1.47 s, for 85% of its samples on a
 * block instead of 83%. */
#define SMALL_MAX_DEAD (1u << 14)
/* The same bound for freed blocks with a row (--min-object-size and up):
 * a 2-thread storm of 16 B..1 MiB blocks under the clock sampler frees
 * 235,000 of 1 MiB in 0.4 s; all kept for the window, their runs took
 * numamma 0.2 s of merging and page faults (0.59 s against 0.49 s). */
#define TRACKED_MAX_DEAD (1u << 14)

struct otnode {
	struct nm_object obj;
	struct otnode *left, *right;
	uint64_t max_end;         /* max addr + size in the subtree */
	uint32_t prio;
	uint32_t live_index;      /* in proc->live, or NOT_LIVE */
	uint32_t tag;             /* objtrack_add_block()'s */
	/* Bits: numamma keeps a node per tracked object, 120 bytes with them. */
	bool reserved : 1;        /* mostly-untouched reservation: never picked */
	bool stored : 1;          /* has its row (or never will: no database) */
	bool deferred : 1;        /* row_if_sampled, and no sample yet: no row */
	bool claimed : 1;         /* a sample was matched to it */
	bool just_seen : 1;       /* a mapping of the newest maps read (proc's seen) */
};
_Static_assert(sizeof(struct otnode) == 120, "an object's node grew");

/* Open addressing, keyed by start address and kind: live heap/mmap objects. */
struct addr_hash {
	struct otnode **slots;
	size_t cap, used;         /* used counts tombstones too */
	size_t live;
	size_t heap;              /* of the live, heap blocks */
};

/* A freed object in the log or the run, with its key and end inline:
 * scanning, merging and stabbing then read them sequentially instead of
 * chasing node pointers. */
struct dead_ent {
	uint64_t addr, end;
	uint64_t free_ns;
	struct otnode *node;
};

/* Freed objects sorted by (addr, free_ns); max_end[] is the implicit
 * interval tree: the node of [lo, hi) is mid = (lo + hi) / 2.  The arrays
 * are kept from one sort to the next (spare: the next merge's): a fresh
 * half megabyte per merge was as many first-touch page faults. */
struct dead_run {
	struct dead_ent *v, *spare, *fresh;
	uint64_t *max_end;
	size_t n, cap, cap_spare, cap_fresh, cap_max_end;
	uint64_t max_free;
};

/* A module's statics under --min-object-size, or a thread's copies of
 * the program's thread-local variables, entered one by one when a lookup
 * needs them (objtrack_add_statics(), objtrack_add_tls()). */
struct lazy_statics {
	struct nm_static_table table;
	uint64_t bias;             /* runtime = vaddr + bias */
	uint64_t lo, hi;           /* runtime [lo, hi): holds them all */
	uint64_t ns;               /* mapped since */
	uint64_t end_ns;           /* gone at (its thread's end), or NEVER */
	enum obj_kind kind;        /* OBJ_STATIC, or OBJ_TLS: tid's copies */
	pid_t tid;
	bool entered;              /* a lookup made one of them an object */
};

struct proc {
	pid_t pid;
	struct proc *next;
	struct otnode *root;      /* live objects */
	struct dead_ent *dead_new; /* freed since the last sort, in turn */
	size_t nr_dead_new, cap_dead_new;
	struct dead_run dead;     /* freed before, sorted */
	uint64_t *recent_frees;   /* the last TRACKED_MAX_DEAD ends' times, a ring */
	uint64_t nr_recent_frees;
	size_t cap_recent_frees;
	struct otnode **live;     /* live objects, any order */
	uint64_t *fenwick;        /* 1-based over live[], weight = pickable size */
	size_t nr_live, live_cap;
	struct addr_hash starts;
	struct small_index small; /* blocks with a row only if sampled */
	struct lazy_statics *statics;
	size_t nr_statics, cap_statics;
	/* Its threads' thread-local blocks, by address then start (a stack
	 * glibc kept has the next thread's at the same place). */
	struct lazy_statics *tls;
	size_t nr_tls, cap_tls;
	/* The mappings the newest read of its maps saw first, and when it
	 * read them (objtrack_add_seen()). */
	struct seen_mapping *seen;
	size_t nr_seen, cap_seen;
	uint64_t seen_ns;
	bool seen_waited;         /* a flush left them for the next one */
	/* A fork child not yet copied its parent's objects (inherit()). */
	pid_t inherit_from;
	uint64_t inherit_ns;
	int pending_children;     /* children of ours that have not */
};

/* A mapping a maps read saw first: its node while it has this id. */
struct seen_mapping {
	struct otnode *n;
	int64_t id;
};

struct slab {
	struct slab *next;
	size_t used;
	struct otnode nodes[SLAB_NODES];
};

struct name_hash {
	char **slots;
	size_t cap, used;
};

struct objtrack {
	struct nm_db *db;
	struct proc *procs;
	/* pid -> proc (u64map_pid_key()), and the last one found: a
	 * program's processes stay (their samples come after their end), and
	 * a shell looked for among all its children, a build's make among
	 * thousands. */
	struct u64map by_pid;
	struct proc *last;
	struct slab *slabs;
	struct name_hash names;
	int64_t next_id;
	uint64_t count;
	uint64_t rng;
	uint64_t keep_freed;       /* ns an ended object stays findable */
	uint64_t lookups_from;     /* objtrack_lookups_from() */
	bool no_lookups;           /* objtrack_no_lookups() */
	struct otnode *free_nodes; /* forgotten ones, chained by left */
	const char *last_name;     /* intern()'s last answer */
	struct nm_object picked;   /* a small block picked: until the next pick */
	uint64_t page;             /* the tracees' (numamma's kernel is theirs) */
};

static struct otnode TOMBSTONE_NODE;
#define TOMBSTONE (&TOMBSTONE_NODE)

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t free_time(const struct otnode *n)
{
	return n->obj.free_ns ? n->obj.free_ns : NEVER;
}

/* Stacks are 8 MiB reservations of which a thread uses a few KiB: a
 * random word there is almost never touched. */
static int is_pickable(enum obj_kind kind)
{
	return kind != OBJ_MAPPING && kind != OBJ_STACK;
}

/* Lower is more specific: a heap block inside [heap] wins over the mapping. */
static int kind_rank(enum obj_kind kind)
{
	switch (kind) {
	case OBJ_HEAP:    return 0;
	case OBJ_STATIC:  return 1;
	case OBJ_TLS:     return 1;      /* inside its thread's stack or TCB mapping */
	case OBJ_STACK:   return 2;
	case OBJ_MMAP:    return 3;
	case OBJ_MAPPING: return 4;
	}
	return 5;
}

/* ---- interned names ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void names_grow(struct name_hash *h);

static const char *intern(struct name_hash *h, const char *s)
{
	size_t i;

	if (!s)
		return NULL;
	if (2 * (h->used + 1) > h->cap)
		names_grow(h);
	for (i = hash_str(s) & (h->cap - 1); h->slots[i]; i = (i + 1) & (h->cap - 1))
		if (!strcmp(h->slots[i], s))
			return h->slots[i];
	h->used++;
	return h->slots[i] = xstrdup(s);
}

static void names_grow(struct name_hash *h)
{
	struct name_hash bigger = { xcalloc(h->cap ? 2 * h->cap : 64, sizeof(char *)),
				    h->cap ? 2 * h->cap : 64, 0 };
	size_t i, j;

	for (i = 0; i < h->cap; i++) {
		if (!h->slots[i])
			continue;
		for (j = hash_str(h->slots[i]) & (bigger.cap - 1); bigger.slots[j];
		     j = (j + 1) & (bigger.cap - 1))
			;
		bigger.slots[j] = h->slots[i];
		bigger.used++;
	}
	free(h->slots);
	*h = bigger;
}

/* ---- live heap/mmap objects by start address ---- */

static size_t start_slot(const struct addr_hash *h, uint64_t addr, enum obj_kind kind)
{
	return mix64(addr * 2 + (kind == OBJ_MMAP)) & (h->cap - 1);
}

static int starts_indexed(enum obj_kind kind)
{
	return kind == OBJ_HEAP || kind == OBJ_MMAP;
}

static void starts_insert(struct addr_hash *h, struct otnode *n);

/* Sized from the live entries only, so that tombstones left by frees
 * never make the table grow. */
static void starts_rehash(struct addr_hash *h)
{
	size_t cap = 256, i;
	struct addr_hash fresh;

	while (cap < 4 * (h->live + 1))
		cap *= 2;
	fresh = (struct addr_hash){ .slots = xcalloc_table(cap, sizeof(struct otnode *)), .cap = cap };

	for (i = 0; i < h->cap; i++)
		if (h->slots[i] && h->slots[i] != TOMBSTONE)
			starts_insert(&fresh, h->slots[i]);
	free(h->slots);
	*h = fresh;
}

static void starts_insert(struct addr_hash *h, struct otnode *n)
{
	size_t i;

	if (4 * (h->used + 1) > 3 * h->cap)
		starts_rehash(h);
	for (i = start_slot(h, n->obj.addr, n->obj.kind); h->slots[i] && h->slots[i] != TOMBSTONE;
	     i = (i + 1) & (h->cap - 1))
		;
	if (!h->slots[i])
		h->used++;
	h->live++;
	h->heap += n->obj.kind == OBJ_HEAP;
	h->slots[i] = n;
}

/* The live object of that kind starting at addr; *slot tells where. */
static struct otnode *starts_find(const struct addr_hash *h, uint64_t addr,
				  enum obj_kind kind, size_t *slot)
{
	size_t i;

	if (!h->cap)
		return NULL;
	for (i = start_slot(h, addr, kind); h->slots[i]; i = (i + 1) & (h->cap - 1)) {
		struct otnode *n = h->slots[i];

		if (n != TOMBSTONE && n->obj.addr == addr && n->obj.kind == kind) {
			*slot = i;
			return n;
		}
	}
	return NULL;
}

static void starts_remove(struct addr_hash *h, const struct otnode *n)
{
	size_t slot;

	if (starts_find(h, n->obj.addr, n->obj.kind, &slot) == n) {
		h->slots[slot] = TOMBSTONE;
		h->live--;
		h->heap -= n->obj.kind == OBJ_HEAP;
	}
}

/* ---- live array with a Fenwick tree of sizes ---- */

static uint64_t pick_weight(const struct otnode *n)
{
	return is_pickable(n->obj.kind) && !n->reserved ? n->obj.size : 0;
}

static void fenwick_add(struct proc *p, size_t index, int64_t delta)
{
	size_t i;

	for (i = index + 1; i <= p->live_cap; i += i & -i)
		p->fenwick[i] += (uint64_t)delta;
}

static void fenwick_rebuild(struct proc *p)
{
	size_t i;

	memset(p->fenwick, 0, (p->live_cap + 1) * sizeof(*p->fenwick));
	for (i = 1; i <= p->live_cap; i++) {
		size_t up = i + (i & -i);

		if (i <= p->nr_live)
			p->fenwick[i] += pick_weight(p->live[i - 1]);
		if (up <= p->live_cap)
			p->fenwick[up] += p->fenwick[i];
	}
}

static void live_append(struct proc *p, struct otnode *n)
{
	if (p->nr_live == p->live_cap) {
		p->live_cap = p->live_cap ? 2 * p->live_cap : 64;
		p->live = xrealloc(p->live, p->live_cap * sizeof(*p->live));
		p->fenwick = xrealloc(p->fenwick, (p->live_cap + 1) * sizeof(*p->fenwick));
		p->live[p->nr_live] = n;
		n->live_index = p->nr_live++;
		fenwick_rebuild(p);
		return;
	}
	p->live[p->nr_live] = n;
	n->live_index = p->nr_live++;
	fenwick_add(p, n->live_index, (int64_t)pick_weight(n));
}

static void live_remove(struct proc *p, struct otnode *n)
{
	size_t i = n->live_index, last = p->nr_live - 1;
	struct otnode *moved = p->live[last];

	fenwick_add(p, last, -(int64_t)pick_weight(moved));
	if (i != last) {
		fenwick_add(p, i, (int64_t)pick_weight(moved) - (int64_t)pick_weight(n));
		p->live[i] = moved;
		moved->live_index = i;
	}
	p->nr_live--;
	n->live_index = NOT_LIVE;
}

/* The live object whose cumulative weight interval holds target. */
static struct otnode *fenwick_find(const struct proc *p, uint64_t target)
{
	size_t pos = 0, step;

	for (step = 1; 2 * step <= p->live_cap; step *= 2)
		;
	for (; step; step /= 2) {
		if (pos + step <= p->live_cap && p->fenwick[pos + step] <= target) {
			pos += step;
			target -= p->fenwick[pos];
		}
	}
	return pos < p->nr_live ? p->live[pos] : NULL;
}

/* ---- the treap ---- */

static uint64_t end_of(const struct otnode *n)
{
	return n->obj.addr + n->obj.size;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void update(struct otnode *n)
{
	uint64_t end = end_of(n);

	if (n->left)
		end = max_u64(end, n->left->max_end);
	if (n->right)
		end = max_u64(end, n->right->max_end);
	n->max_end = end;
}

static int before(const struct otnode *a, const struct otnode *b)
{
	if (a->obj.addr != b->obj.addr)
		return a->obj.addr < b->obj.addr;
	return a->obj.id < b->obj.id;
}

static struct otnode *rotate_right(struct otnode *n)
{
	struct otnode *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct otnode *rotate_left(struct otnode *n)
{
	struct otnode *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct otnode *treap_insert(struct otnode *root, struct otnode *n)
{
	if (!root)
		return n;
	if (before(n, root)) {
		root->left = treap_insert(root->left, n);
		if (root->left->prio > root->prio)
			return rotate_right(root);
	} else {
		root->right = treap_insert(root->right, n);
		if (root->right->prio > root->prio)
			return rotate_left(root);
	}
	update(root);
	return root;
}

static struct otnode *treap_join(struct otnode *l, struct otnode *r)
{
	if (!l || !r)
		return l ? l : r;
	if (l->prio > r->prio) {
		l->right = treap_join(l->right, r);
		update(l);
		return l;
	}
	r->left = treap_join(l, r->left);
	update(r);
	return r;
}

static struct otnode *treap_remove(struct otnode *root, const struct otnode *n)
{
	if (root == n)
		return treap_join(n->left, n->right);
	if (before(n, root))
		root->left = treap_remove(root->left, n);
	else
		root->right = treap_remove(root->right, n);
	update(root);
	return root;
}

/* Calls visit for every object of the subtree overlapping [lo, hi). */
typedef void (*visit_fn)(void *arg, struct otnode *n);

static void treap_overlap(struct otnode *n, uint64_t lo, uint64_t hi, visit_fn visit, void *arg)
{
	while (n && n->max_end > lo) {
		treap_overlap(n->left, lo, hi, visit, arg);
		if (n->obj.addr >= hi)
			return;
		if (end_of(n) > lo)
			visit(arg, n);
		n = n->right;
	}
}

/* ---- freed objects ---- */

/* A freed object nothing will look up again: its node is reused. */
static void recycle(struct objtrack *ot, struct otnode *n)
{
	n->left = ot->free_nodes;
	ot->free_nodes = n;
}

static uint64_t run_build(struct dead_run *r, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2;
	uint64_t end;

	if (lo >= hi)
		return 0;
	end = max_u64(r->v[mid].end, run_build(r, lo, mid));
	end = max_u64(end, run_build(r, mid + 1, hi));
	return r->max_end[mid] = end;
}

static void run_stab(const struct dead_run *r, size_t lo, size_t hi, uint64_t addr,
		     visit_fn visit, void *arg)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->max_end[mid] <= addr)
			return;
		run_stab(r, lo, mid, addr, visit, arg);
		if (r->v[mid].addr > addr)
			return;
		if (r->v[mid].end > addr)
			visit(arg, r->v[mid].node);
		lo = mid + 1;
	}
}

static int ent_before(const struct dead_ent *a, const struct dead_ent *b)
{
	return a->addr != b->addr ? a->addr < b->addr : a->free_ns < b->free_ns;
}

static int cmp_ents(const void *a, const void *b)
{
	return ent_before(a, b) ? -1 : ent_before(b, a);
}

/* v, with room for need elements of size bytes (*cap updated). */
static void *room(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	*cap = need > 2 * *cap ? need : 2 * *cap;
	return xrealloc(v, *cap * size);
}

/* Objects that ended before this are asked about no more: older than the
 * time window, or than the last TRACKED_MAX_DEAD frees. */
static uint64_t dead_cutoff(const struct objtrack *ot, const struct proc *p, uint64_t max_free)
{
	uint64_t cutoff = max_free > ot->keep_freed ? max_free - ot->keep_freed : 0;

	if (p->nr_recent_frees > TRACKED_MAX_DEAD)
		cutoff = max_u64(cutoff, p->recent_frees[p->nr_recent_frees % TRACKED_MAX_DEAD]);
	return cutoff;
}

/* The log's objects sorted (those kept) into fresh; returns how many. */
static size_t sort_new(struct objtrack *ot, struct proc *p, uint64_t cutoff)
{
	struct dead_run *r = &p->dead;
	size_t m = 0;

	r->fresh = room(r->fresh, &r->cap_fresh, p->nr_dead_new, sizeof(*r->fresh));
	for (size_t i = 0; i < p->nr_dead_new; i++) {
		if (p->dead_new[i].free_ns < cutoff)
			recycle(ot, p->dead_new[i].node);
		else
			r->fresh[m++] = p->dead_new[i];
	}
	qsort(r->fresh, m, sizeof(*r->fresh), cmp_ents);
	p->nr_dead_new = 0;
	return m;
}

/* The log joins the run, both rid of what ended before the cutoff. */
static void dead_sort(struct objtrack *ot, struct proc *p)
{
	struct dead_run *r = &p->dead;
	uint64_t max_free = r->max_free, cutoff;
	size_t i = 0, j = 0, k = 0, m, cap;
	struct dead_ent *v;

	for (size_t n = 0; n < p->nr_dead_new; n++)
		max_free = max_u64(max_free, p->dead_new[n].free_ns);
	cutoff = dead_cutoff(ot, p, max_free);
	m = sort_new(ot, p, cutoff);
	r->spare = room(r->spare, &r->cap_spare, r->n + m, sizeof(*r->spare));
	while (i < r->n || j < m) {
		struct dead_ent e = j == m || (i < r->n && ent_before(&r->v[i], &r->fresh[j])) ?
				    r->v[i++] : r->fresh[j++];

		if (e.free_ns < cutoff)
			recycle(ot, e.node);
		else
			r->spare[k++] = e;
	}
	v = r->v, cap = r->cap;
	r->v = r->spare, r->cap = r->cap_spare;
	r->spare = v, r->cap_spare = cap;
	r->n = k;
	r->max_free = max_free;
	r->max_end = room(r->max_end, &r->cap_max_end, k, sizeof(*r->max_end));
	run_build(r, 0, k);
}

/* The ring of the last ends' times grows with them, to TRACKED_MAX_DEAD
 * (a power of two, as the doublings from 64 are): a process that ends a
 * few objects (a shell's fork child: its stack, its mappings) took the
 * whole 128 KiB, kept with its dead for their time window (200 forks: 26
 * MB of numamma's memory, fresh pages at each). */
static void note_free_time(struct proc *p, uint64_t ns)
{
	uint64_t n = p->nr_recent_frees;

	if (n < TRACKED_MAX_DEAD)
		p->recent_frees = room(p->recent_frees, &p->cap_recent_frees, n < 64 ? 64 : n + 1,
				       sizeof(*p->recent_frees));
	p->recent_frees[n % TRACKED_MAX_DEAD] = ns;
	p->nr_recent_frees = n + 1;
}

/* How long an object of kind ended at free_ns stays findable: a heap
 * block not at all when no lookup will ask about its lifetime any more. */
static uint64_t keep_for(const struct objtrack *ot, enum obj_kind kind, uint64_t free_ns)
{
	return kind == OBJ_HEAP && free_ns <= ot->lookups_from ? 0 : ot->keep_freed;
}

static void dead_add(struct objtrack *ot, struct proc *p, struct otnode *n)
{
	if (!keep_for(ot, n->obj.kind, n->obj.free_ns)) {
		recycle(ot, n);
		return;
	}
	note_free_time(p, n->obj.free_ns);
	p->dead_new = room(p->dead_new, &p->cap_dead_new, p->nr_dead_new + 1, sizeof(*p->dead_new));
	p->dead_new[p->nr_dead_new++] = (struct dead_ent){ n->obj.addr, end_of(n), n->obj.free_ns, n };
	/* Without lookups, numamma's memory stays bounded all the same. */
	if (p->nr_dead_new == 2 * TRACKED_MAX_DEAD)
		dead_sort(ot, p);
}

static void dead_free(struct proc *p)
{
	free(p->dead_new);
	free(p->dead.v);
	free(p->dead.spare);
	free(p->dead.fresh);
	free(p->dead.max_end);
}

/* Visits the freed objects covering addr that may have lived at t. */
static void dead_stab(struct objtrack *ot, struct proc *p, uint64_t addr, uint64_t t,
		      visit_fn visit, void *arg)
{
	const struct dead_run *r = &p->dead;

	if (p->nr_dead_new > DEAD_SCAN)
		dead_sort(ot, p);
	for (size_t i = 0; i < p->nr_dead_new; i++) {
		const struct dead_ent *e = &p->dead_new[i];

		if (e->addr <= addr && e->end > addr && e->free_ns > t)
			visit(arg, e->node);
	}
	if (r->n && r->max_free > t)
		run_stab(r, 0, r->n, addr, visit, arg);
}

/* ---- processes ---- */

static struct proc *find_proc(struct objtrack *ot, pid_t pid, int create)
{
	struct u64map_slot *slot;
	struct proc *p;

	if (ot->last && ot->last->pid == pid)
		return ot->last;
	if ((slot = u64map_find(&ot->by_pid, u64map_pid_key(pid))))
		return ot->last = (struct proc *)(uintptr_t)slot->a;
	if (!create)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	small_init(&p->small, !ot->no_lookups);
	p->next = ot->procs;
	ot->procs = p;
	u64map_put(&ot->by_pid, u64map_pid_key(pid), (uintptr_t)p, 0);
	return ot->last = p;
}

static void inherit(struct objtrack *ot, struct proc *c);
static void settle_children(struct objtrack *ot, struct proc *p, uint64_t ns);

/* find_proc(), its fork inheritance copied first. */
static struct proc *proc_of(struct objtrack *ot, pid_t pid, int create)
{
	struct proc *p = find_proc(ot, pid, create);

	if (p && p->inherit_from)
		inherit(ot, p);
	return p;
}

static struct otnode *new_node(struct objtrack *ot)
{
	struct slab *s = ot->slabs;

	if (ot->free_nodes) {
		struct otnode *n = ot->free_nodes;

		ot->free_nodes = n->left;
		return memset(n, 0, sizeof(*n));
	}
	if (!s || s->used == SLAB_NODES) {
		s = xmalloc(sizeof(*s));
		s->used = 0;
		s->next = ot->slabs;
		ot->slabs = s;
	}
	return memset(&s->nodes[s->used++], 0, sizeof(struct otnode));
}

struct objtrack *objtrack_new(struct nm_db *db)
{
	struct objtrack *ot = xcalloc(1, sizeof(*ot));

	ot->db = db;
	ot->next_id = 1;
	ot->rng = 0x9e3779b97f4a7c15ULL;
	ot->keep_freed = NEVER;
	ot->page = (uint64_t)sysconf(_SC_PAGESIZE);
	return ot;
}

void objtrack_keep_freed(struct objtrack *ot, uint64_t ns)
{
	ot->keep_freed = ns;
}

void objtrack_lookups_from(struct objtrack *ot, uint64_t ns)
{
	if (ns > ot->lookups_from)
		ot->lookups_from = ns;
}

void objtrack_no_lookups(struct objtrack *ot)
{
	ot->no_lookups = true;
}

void objtrack_free(struct objtrack *ot)
{
	size_t i;

	if (!ot)
		return;
	while (ot->procs) {
		struct proc *p = ot->procs;

		ot->procs = p->next;
		dead_free(p);
		free(p->recent_frees);
		free(p->live);
		free(p->seen);
		free(p->fenwick);
		free(p->starts.slots);
		small_free(&p->small);
		free(p->statics);
		free(p->tls);
		free(p);
	}
	while (ot->slabs) {
		struct slab *s = ot->slabs;

		ot->slabs = s->next;
		free(s);
	}
	for (i = 0; i < ot->names.cap; i++)
		free(ot->names.slots[i]);
	free(ot->names.slots);
	u64map_free(&ot->by_pid);
	free(ot);
}

void objtrack_set_db(struct objtrack *ot, struct nm_db *db)
{
	ot->db = db;
}

/* Allocator names come one after another the same: most calls skip the
 * hash. */
static const char *intern_name(struct objtrack *ot, const char *name)
{
	if (name && ot->last_name && !strcmp(name, ot->last_name))
		return ot->last_name;
	return ot->last_name = intern(&ot->names, name);
}

/* Enters obj (its id already given) into p's tree or freed log. */
static struct otnode *track(struct objtrack *ot, struct proc *p, const struct nm_object *obj,
			    uint32_t tag)
{
	struct otnode *n = new_node(ot);

	n->obj = *obj;
	n->tag = tag;
	ot->rng = mix64(ot->rng + 1);
	n->prio = (uint32_t)ot->rng;
	n->live_index = NOT_LIVE;
	update(n);
	/* A live object's row waits for its end or the next flush: most
	 * blocks are freed first, and get one INSERT instead of an INSERT and
	 * an UPDATE. */
	n->deferred = obj->row_if_sampled;
	n->stored = !ot->db || obj->free_ns || n->deferred;
	if (ot->db && obj->free_ns && !n->deferred)
		db_add_object(ot->db, &n->obj);
	if (obj->free_ns) {
		dead_add(ot, p, n);
		return n;
	}
	p->root = treap_insert(p->root, n);
	live_append(p, n);
	if (starts_indexed(obj->kind))
		starts_insert(&p->starts, n);
	return n;
}

/* obj as a new object: its id given. */
static struct nm_object numbered(struct objtrack *ot, const struct nm_object *obj)
{
	struct nm_object o = *obj;

	o.id = ot->next_id++;
	ot->count++;
	return o;
}

/* And its name interned: one that may not outlive the call. */
static struct nm_object named(struct objtrack *ot, const struct nm_object *obj)
{
	struct nm_object o = numbered(ot, obj);

	o.name = intern_name(ot, obj->name);
	return o;
}

static int64_t add_numbered(struct objtrack *ot, const struct nm_object *o, uint32_t tag,
			    struct objtrack_ended *displaced);

int64_t objtrack_add(struct objtrack *ot, const struct nm_object *obj)
{
	struct nm_object o = named(ot, obj);

	return add_numbered(ot, &o, OBJTRACK_NO_TAG, NULL);
}

/* ---- statics entered on demand ---- */

static void end_object(struct objtrack *ot, struct proc *p, struct otnode *n, uint64_t ns,
		       bool store);

static void add_lazy(struct proc *p, const struct lazy_statics *l)
{
	if (p->nr_statics == p->cap_statics) {
		p->cap_statics = p->cap_statics ? 2 * p->cap_statics : 8;
		p->statics = xrealloc(p->statics, p->cap_statics * sizeof(*p->statics));
	}
	p->statics[p->nr_statics++] = *l;
}

void objtrack_add_statics(struct objtrack *ot, pid_t pid, const struct nm_static_table *table,
			  uint64_t bias, const struct objtrack_range *range, uint64_t ns)
{
	if (!ot->no_lookups)
		add_lazy(find_proc(ot, pid, 1), &(struct lazy_statics){
			*table, bias, range->lo, range->hi, ns, NEVER, OBJ_STATIC, pid, false });
}

/* Ended blocks no lookup will ask for go; of the others, at most
 * MAX_ENDED_TLS stay, the last by address (the watch sampler's lookups
 * have no bound). */
#define MAX_ENDED_TLS 256

static void prune_tls(struct objtrack *ot, struct proc *p)
{
	size_t ended = 0, kept = 0;

	for (size_t i = p->nr_tls; i-- > 0;)
		if (p->tls[i].end_ns != NEVER && p->tls[i].end_ns > ot->lookups_from)
			ended++;
	for (size_t i = 0; i < p->nr_tls; i++) {
		const struct lazy_statics *l = &p->tls[i];
		bool ended_here = l->end_ns != NEVER;

		if (ended_here && (l->end_ns <= ot->lookups_from || ended-- > MAX_ENDED_TLS))
			continue;
		p->tls[kept++] = *l;
	}
	p->nr_tls = kept;
}

void objtrack_add_tls(struct objtrack *ot, pid_t pid, pid_t tid, const struct nm_static_table *vars,
		      const struct objtrack_range *block, uint64_t ns)
{
	struct proc *p;
	size_t at;

	if (ot->no_lookups)
		return;
	p = find_proc(ot, pid, 1);
	p->tls = room(p->tls, &p->cap_tls, p->nr_tls + 1, sizeof(*p->tls));
	for (at = p->nr_tls; at > 0 && p->tls[at - 1].lo > block->lo; at--)
		;
	memmove(&p->tls[at + 1], &p->tls[at], (p->nr_tls - at) * sizeof(*p->tls));
	p->tls[at] = (struct lazy_statics){ *vars, block->lo, block->lo, block->hi, ns, NEVER,
					    OBJ_TLS, tid, false };
	p->nr_tls++;
}

/* Its copies end with the thread: the next thread on that stack (glibc
 * keeps stacks for new threads) has copies of its own. */
void objtrack_end_tls(struct objtrack *ot, pid_t pid, pid_t tid, uint64_t ns)
{
	struct proc *p = find_proc(ot, pid, 0);
	bool entered = false;

	for (size_t i = 0; p && i < p->nr_tls; i++) {
		struct lazy_statics *l = &p->tls[i];

		if (l->tid == tid && l->end_ns == NEVER) {
			l->end_ns = ns;
			entered |= l->entered;
		}
	}
	for (size_t i = 0; entered && i < p->nr_live;) {
		struct otnode *n = p->live[i];

		if (n->obj.kind == OBJ_TLS && n->obj.tid == tid)
			end_object(ot, p, n, ns, true);    /* moves the last one here */
		else
			i++;
	}
	if (p)
		prune_tls(ot, p);
}

/* The object l's table has at addr, entered now. */
static const struct nm_object *enter_lazy(struct objtrack *ot, struct proc *p, struct lazy_statics *l,
					  uint64_t addr, const struct nm_object *best)
{
	struct nm_static s;
	struct otnode *n;

	if (!l->table.find(l->table.owner, addr - l->bias, &s))
		return best;
	struct nm_object o = named(ot, &(struct nm_object){
		.pid = p->pid, .tid = l->tid, .kind = l->kind, .addr = s.vaddr + l->bias,
		.size = s.size, .alloc_ns = l->ns, .name = s.name, .row_if_sampled = true,
	});
	n = track(ot, p, &o, OBJTRACK_NO_TAG);
	l->entered = true;
	/* Found after its thread ended (a sample matched late). */
	if (l->end_ns != NEVER)
		end_object(ot, p, n, l->end_ns, true);
	return &n->obj;
}

static bool lazy_holds(const struct lazy_statics *l, uint64_t addr, uint64_t t)
{
	return addr >= l->lo && addr < l->hi && l->ns <= t && t < l->end_ns;
}

/* A thread-local variable beats best as a static does (a block lies in a
 * stack mapping, or in the main thread's, an anonymous one). */
static const struct nm_object *tls_if_better(struct objtrack *ot, struct proc *p, uint64_t addr,
					     uint64_t t, const struct nm_object *best)
{
	size_t i;

	if (!p->nr_tls || (best && kind_rank(best->kind) <= kind_rank(OBJ_TLS)))
		return best;
	/* The last block starting at or below addr, then those before it
	 * at the same start (earlier threads'); blocks never overlap. */
	i = sorted_count_at_most(p->tls, p->nr_tls, sizeof(*p->tls),
				 offsetof(struct lazy_statics, lo), addr);
	while (i-- > 0 && p->tls[i].hi > addr)
		if (lazy_holds(&p->tls[i], addr, t))
			return enter_lazy(ot, p, &p->tls[i], addr, best);
	return best;
}

/* A static beats best (nothing, or a stack, mmap or mapping): it enters
 * the tree now, as a claimed small block does.  The newest module first:
 * one loaded where a closed one was. */
static const struct nm_object *static_if_better(struct objtrack *ot, struct proc *p,
						uint64_t addr, uint64_t t,
						const struct nm_object *best)
{
	if (best && kind_rank(best->kind) <= kind_rank(OBJ_STATIC))
		return best;
	for (size_t i = p->nr_statics; i-- > 0;)
		if (lazy_holds(&p->statics[i], addr, t))
			return enter_lazy(ot, p, &p->statics[i], addr, best);
	return tls_if_better(ot, p, addr, t, best);
}

static void retract_seen(struct objtrack *ot, struct proc *p, const struct otnode *made);
static void forget_seen(struct proc *p);

/* The live heap block of p at o's start, its release not read yet,
 * ends at o's allocation; a small one is left to small_put() when o is
 * a live small block itself (the probe it makes anyway). */
static void displace(struct objtrack *ot, struct proc *p, const struct nm_object *o,
		     bool small_put_probes, struct objtrack_ended *displaced)
{
	struct otnode *n;
	size_t slot;

	settle_children(ot, p, o->alloc_ns);
	/* Most often none is live: the probe would walk the tombstones of
	 * those freed (a storm's 1 MiB blocks). */
	n = p->starts.heap ? starts_find(&p->starts, o->addr, OBJ_HEAP, &slot) : NULL;
	if (n) {
		*displaced = (struct objtrack_ended){ n->obj.size, n->tag, n->obj.id };
		end_object(ot, p, n, o->alloc_ns, true);
	} else if (!small_put_probes) {
		displaced->id = small_release(&p->small, o->addr, o->alloc_ns,
					      keep_for(ot, OBJ_HEAP, o->alloc_ns),
					      SMALL_MAX_DEAD, &displaced->size, &displaced->tag);
	}
}

static int64_t add_numbered(struct objtrack *ot, const struct nm_object *o, uint32_t tag,
			    struct objtrack_ended *displaced)
{
	/* A new object needs none of the inherited ones (a fork child's
	 * stack, recorded at its first stop, does not make it copy them). */
	struct proc *p = find_proc(ot, o->pid, 1);
	bool small = o->row_if_sampled && o->kind == OBJ_HEAP && small_fits(o);
	struct otnode *n;

	if (displaced) {
		*displaced = (struct objtrack_ended){ 0 };
		displace(ot, p, o, small && !o->free_ns, displaced);
	}
	if (small && o->free_ns) {
		small_add_ended(&p->small, o, keep_for(ot, OBJ_HEAP, o->free_ns));
	} else if (small && displaced && !displaced->id) {
		displaced->id = small_put(&p->small, o, tag, &displaced->size, &displaced->tag);
	} else if (small) {
		small_add(&p->small, o, tag);
	} else {
		n = track(ot, p, o, tag);
		if (p->nr_seen && n->live_index != NOT_LIVE && o->kind != OBJ_MAPPING)
			retract_seen(ot, p, n);
	}
	return o->id;
}

/* A block's name is its allocator's, a constant: interning it (a hash
 * and a compare at every call, where malloc and realloc take turns) cost
 * more than the rest of the block's entry. */
int64_t objtrack_add_block(struct objtrack *ot, const struct nm_object *obj, uint32_t tag,
			   struct objtrack_ended *displaced)
{
	struct nm_object o = numbered(ot, obj);

	return add_numbered(ot, &o, tag, displaced);
}

/* The row of an object not stored yet; free_ns 0 stores NULL (live). */
static void store_row(struct objtrack *ot, struct otnode *n, uint64_t free_ns)
{
	struct nm_object row = n->obj;

	row.free_ns = free_ns;
	db_add_object(ot->db, &row);
	n->stored = true;
}

static void flush(struct objtrack *ot, bool settled)
{
	for (struct proc *p = ot->procs; ot->db && p; p = p->next) {
		bool wait = settled && p->nr_seen && !p->seen_waited;

		p->seen_waited = wait;
		if (!wait)
			forget_seen(p);
		for (size_t i = 0; i < p->nr_live; i++)
			if (!p->live[i]->stored && !(wait && p->live[i]->just_seen))
				store_row(ot, p->live[i], 0);
	}
}

void objtrack_flush(struct objtrack *ot)
{
	flush(ot, false);
}

/* The mappings a maps read saw first wait for the flush after the next:
 * the block one may be is recorded by then (objtrack_add_seen()). */
void objtrack_flush_settled(struct objtrack *ot)
{
	flush(ot, true);
}

/* store: the database is told when the object ended (free, munmap,
 * exec).  Objects still live when their process exits keep a NULL free_ns
 * there: never freed is what a leak report wants to see. */
static void end_object(struct objtrack *ot, struct proc *p, struct otnode *n, uint64_t ns,
		       bool store)
{
	/* A zero free time would read as "live". */
	n->obj.free_ns = ns ? ns : 1;
	live_remove(p, n);
	if (starts_indexed(n->obj.kind))
		starts_remove(&p->starts, n);
	p->root = treap_remove(p->root, n);
	if (!n->stored)
		store_row(ot, n, store ? n->obj.free_ns : 0);
	else if (ot->db && store && !n->deferred)
		db_free_object(ot->db, n->obj.id, n->obj.free_ns);
	dead_add(ot, p, n);
}

int64_t objtrack_release(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t ns,
			 struct objtrack_ended *ended)
{
	struct objtrack_ended ignored;
	struct proc *p = proc_of(ot, pid, 0);
	struct otnode *n;
	size_t slot;
	int64_t id;

	if (!p)
		return 0;
	settle_children(ot, p, ns);
	if (!ended)
		ended = &ignored;
	id = small_release(&p->small, addr, ns, keep_for(ot, OBJ_HEAP, ns), SMALL_MAX_DEAD,
			   &ended->size, &ended->tag);
	if (id)
		return ended->id = id;
	n = starts_find(&p->starts, addr, OBJ_HEAP, &slot);
	if (!n)
		n = starts_find(&p->starts, addr, OBJ_MMAP, &slot);
	if (!n)
		return 0;
	id = n->obj.id;
	*ended = (struct objtrack_ended){ n->obj.size, n->tag, id };
	end_object(ot, p, n, ns, true);
	return id;
}

/* Collects nodes into a growable array (ending objects while walking the
 * treap would change the augmentation under the walk). */
struct node_list {
	struct otnode **v;
	size_t n, cap;
};

static void collect_unmappable(void *arg, struct otnode *n)
{
	struct node_list *l = arg;

	if (n->obj.kind != OBJ_MMAP && n->obj.kind != OBJ_MAPPING)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = n;
}

void objtrack_unmap(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t len, uint64_t ns,
		    void (*ended)(void *arg, int64_t id), void *arg)
{
	struct proc *p = proc_of(ot, pid, 0);
	struct node_list l = { 0 };
	size_t i;

	if (!p || !len)
		return;
	settle_children(ot, p, ns);
	treap_overlap(p->root, addr, addr + len, collect_unmappable, &l);
	for (i = 0; i < l.n; i++) {
		int64_t id = l.v[i]->obj.id;

		end_object(ot, p, l.v[i], ns, true);
		if (ended)
			ended(arg, id);
	}
	free(l.v);
}

void objtrack_end_process(struct objtrack *ot, pid_t pid, uint64_t ns, bool store)
{
	struct proc *p = find_proc(ot, pid, 0), *parent;

	if (!p)
		return;
	forget_seen(p);
	/* Children still to copy what it had copy it now; its own pending
	 * copy is not wanted any more (an exec right after a fork). */
	settle_children(ot, p, UINT64_MAX);
	if (p->inherit_from && (parent = find_proc(ot, p->inherit_from, 0)))
		parent->pending_children--;
	p->inherit_from = 0;
	while (p->nr_live)
		end_object(ot, p, p->live[p->nr_live - 1], ns, store);
	/* Small blocks have no row: nothing to tell the database. */
	small_free(&p->small);
	p->nr_statics = 0;
	p->nr_tls = 0;
}

struct fork_copy {
	struct objtrack *ot;
	pid_t child;
	uint64_t ns;
};

static void copy_to_child(const struct fork_copy *f, const struct otnode *n)
{
	struct nm_object copy = n->obj, o;

	/* The parent's since the fork; its threads' copies of thread-local
	 * variables (the child's thread has its own, objtrack_add_tls()). */
	if (copy.alloc_ns > f->ns || copy.kind == OBJ_TLS)
		return;
	copy.pid = f->child;
	copy.alloc_ns = f->ns;
	copy.free_ns = 0;
	o = named(f->ot, &copy);
	add_numbered(f->ot, &o, n->tag, NULL);
}

/* A fork child gets copies of its parent's objects when it first does
 * anything other than exec or exit: a shell's children exec at once,
 * and copying hundreds of objects to end them (rows included) at the
 * exec cost 0.4 ms a child.  Blocks the parent freed meanwhile are not
 * copied, nor blocks it made since. */
static void inherit(struct objtrack *ot, struct proc *c)
{
	struct proc *p = find_proc(ot, c->inherit_from, 0);
	struct fork_copy f = { ot, c->pid, c->inherit_ns };
	uint32_t copied;
	size_t n;

	c->inherit_from = 0;
	if (!p)
		return;
	p->pending_children--;
	if (p->inherit_from)
		inherit(ot, p);
	/* Adding to the child never touches the parent's array. */
	n = p->nr_live;
	for (size_t i = 0; i < n; i++)
		copy_to_child(&f, p->live[i]);
	/* Straight from index to index: a copy by objtrack_add() each (its
	 * name interned, its process looked for) was 1 us a block, 0.7 ms
	 * per child of a shell. */
	copied = small_inherit(&c->small, &p->small, f.ns, ot->next_id);
	ot->next_id += copied;
	ot->count += copied;
	for (size_t i = 0; i < p->nr_statics; i++) {
		struct lazy_statics l = p->statics[i];

		l.ns = f.ns;
		l.tid = c->pid;
		if (p->statics[i].ns <= f.ns)
			add_lazy(c, &l);
	}
}

/* Before p ends objects at ns, its children forked before then, still
 * to copy them, do.  An end that came before a fork is none of the
 * child's: the parent's calls drained at a shell's vfork stop (all made
 * before it) had each vfork child copy the shell's blocks, only to end
 * them at its exec (0.3 ms a child, its index mapped and unmapped). */
static void settle_children(struct objtrack *ot, struct proc *p, uint64_t ns)
{
	for (struct proc *c = ot->procs; p->pending_children && c; c = c->next)
		if (c->inherit_from == p->pid && c->inherit_ns < ns)
			inherit(ot, c);
}

void objtrack_fork(struct objtrack *ot, pid_t parent, pid_t child, uint64_t ns)
{
	struct proc *c;

	if (!proc_of(ot, parent, 0))
		return;
	c = find_proc(ot, child, 1);
	c->inherit_from = parent;
	c->inherit_ns = ns;
	find_proc(ot, parent, 0)->pending_children++;
}

/* Keeps the most specific object: kind rank, then the smaller, then the
 * younger. */
struct best {
	const struct nm_object *obj;
	uint64_t t;
};

static int better(const struct nm_object *a, const struct nm_object *b)
{
	if (kind_rank(a->kind) != kind_rank(b->kind))
		return kind_rank(a->kind) < kind_rank(b->kind);
	if (a->size != b->size)
		return a->size < b->size;
	return a->alloc_ns > b->alloc_ns;
}

static void keep_best(void *arg, struct otnode *n)
{
	struct best *b = arg;

	if (n->obj.alloc_ns > b->t || free_time(n) <= b->t)
		return;
	if (!b->obj || better(&n->obj, b->obj))
		b->obj = &n->obj;
}

/* A sample hit a small block: from now on it has a row, written at its
 * end or the next flush while it lives, at once when it has ended. */
static void claim_row(struct objtrack *ot, struct otnode *n)
{
	if (!n->deferred)
		return;
	n->deferred = false;
	n->obj.row_if_sampled = false;
	if (n->live_index != NOT_LIVE)
		n->stored = !ot->db;
	else if (ot->db)
		store_row(ot, n, n->obj.free_ns);
}

/* A small block beats best: it moves into the tree (or the freed log),
 * where a claimed object lives. */
static const struct nm_object *small_if_better(struct objtrack *ot, struct proc *p, uint64_t addr,
					       uint64_t t, const struct nm_object *best)
{
	struct nm_object obj;
	uint32_t tag;

	if (!small_claim(&p->small, addr, t, p->pid, &obj, &tag))
		return best;
	/* A heap block beats every other kind; against a tracked heap block
	 * (one whose free went unseen) the smaller wins. */
	const struct nm_object *taken = &track(ot, p, &obj, tag)->obj;

	return best && better(best, taken) ? best : taken;
}

const struct nm_object *objtrack_find(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t)
{
	struct proc *p = proc_of(ot, pid, 0);
	struct best b = { NULL, t };

	if (!p)
		return NULL;
	treap_overlap(p->root, addr, addr + 1, keep_best, &b);
	dead_stab(ot, p, addr, t, keep_best, &b);
	b.obj = small_if_better(ot, p, addr, t, b.obj);
	return static_if_better(ot, p, addr, t, b.obj);
}

void objtrack_claim(struct objtrack *ot, const struct nm_object *obj)
{
	struct otnode *n = (struct otnode *)obj;

	n->claimed = true;
	claim_row(ot, n);
}

const struct nm_object *objtrack_lookup(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t)
{
	const struct nm_object *obj = objtrack_find(ot, pid, addr, t);

	if (obj)
		objtrack_claim(ot, obj);
	return obj;
}

const struct nm_object *objtrack_live_at(struct objtrack *ot, pid_t pid, uint64_t addr)
{
	struct proc *p = proc_of(ot, pid, 0);
	struct best b = { NULL, NEVER - 1 };

	if (!p)
		return NULL;
	treap_overlap(p->root, addr, addr + 1, keep_best, &b);
	return static_if_better(ot, p, addr, b.t, b.obj);
}

/* How far from start the pages of the live objects visited in address
 * order cover without a gap. */
struct cover_walk {
	uint64_t covered, page;
	uint64_t until;           /* objects made after it explain nothing */
};

static void cover_one(void *arg, struct otnode *n)
{
	struct cover_walk *w = arg;

	if (n->obj.kind == OBJ_MAPPING || n->obj.alloc_ns > w->until ||
	    n->obj.addr / w->page * w->page > w->covered)
		return;
	if (end_of(n) > w->covered)
		w->covered = (end_of(n) + w->page - 1) / w->page * w->page;
}

/* A fork child not yet given its copies (inherit()) is asked about them
 * in its parent's objects: copying them for the question would give them
 * rows. */
static bool explained_by(struct objtrack *ot, pid_t pid, uint64_t start, uint64_t end,
			 uint64_t until)
{
	struct proc *p = find_proc(ot, pid, 0);
	struct cover_walk w = { start, ot->page, until };

	if (!p)
		return false;
	treap_overlap(p->root, start, end, cover_one, &w);
	if (w.covered < end && p->inherit_from)
		return explained_by(ot, p->inherit_from, start, end, until);
	return w.covered >= end;
}

bool objtrack_explained(struct objtrack *ot, pid_t pid, uint64_t start, uint64_t end)
{
	return explained_by(ot, pid, start, end, UINT64_MAX);
}

/* ---- mappings a maps read saw before their block's record ---- */

static bool seen_still(const struct seen_mapping *e)
{
	return e->n->obj.id == e->id && e->n->live_index != NOT_LIVE;
}

static void forget_seen(struct proc *p)
{
	for (size_t i = 0; i < p->nr_seen; i++)
		if (seen_still(&p->seen[i]))
			p->seen[i].n->just_seen = false;
	p->nr_seen = 0;
}

/* A maps read runs on its own schedule, and the agent writes an mmap's
 * record as the call returns: a read between the two saw the block's
 * region first, as a mapping.  The mappings of the newest read are kept
 * apart until the next one (the records of calls made before it have
 * been drained by then). */
int64_t objtrack_add_seen(struct objtrack *ot, const struct nm_object *obj, uint64_t seen_ns)
{
	struct proc *p = find_proc(ot, obj->pid, 1);
	struct nm_object o = named(ot, obj);
	struct otnode *n;

	if (p->seen_ns != seen_ns) {
		forget_seen(p);
		p->seen_waited = false;
	}
	p->seen_ns = seen_ns;
	n = track(ot, p, &o, OBJTRACK_NO_TAG);
	if (o.kind != OBJ_MAPPING || n->live_index == NOT_LIVE)
		return o.id;
	if (p->nr_seen == p->cap_seen) {
		p->cap_seen = p->cap_seen ? 2 * p->cap_seen : 8;
		p->seen = xrealloc(p->seen, p->cap_seen * sizeof(*p->seen));
	}
	p->seen[p->nr_seen++] = (struct seen_mapping){ n, o.id };
	n->just_seen = true;
	return o.id;
}

static bool has_row(const struct objtrack *ot, const struct otnode *n)
{
	return ot->db && n->stored && !n->deferred;
}

/* A mapping that never was: no row, no sample, gone from the tree. */
static void unmake(struct objtrack *ot, struct proc *p, struct otnode *n)
{
	live_remove(p, n);
	if (starts_indexed(n->obj.kind))
		starts_remove(&p->starts, n);
	p->root = treap_remove(p->root, n);
	ot->count--;
	recycle(ot, n);
}

/* made, recorded after the newest maps read of p but made before it: a
 * mapping of that read which made (and the other objects of then) cover
 * was the read's view of them.  One a sample was matched to stays. */
static void retract_seen(struct objtrack *ot, struct proc *p, const struct otnode *made)
{
	uint64_t lo = made->obj.addr, hi = end_of(made);

	if (made->obj.alloc_ns > p->seen_ns)
		return;
	for (size_t i = 0; i < p->nr_seen;) {
		struct otnode *m = p->seen[i].n;

		if (seen_still(&p->seen[i]) &&
		    (m->obj.addr >= hi || end_of(m) <= lo || m->claimed || has_row(ot, m) ||
		     !explained_by(ot, p->pid, m->obj.addr, end_of(m), p->seen_ns))) {
			i++;
			continue;
		}
		if (seen_still(&p->seen[i]))
			unmake(ot, p, m);
		p->seen[i] = p->seen[--p->nr_seen];
	}
}

struct reserve_walk {
	struct proc *p;
};

static void reserve_one(void *arg, struct otnode *n)
{
	struct proc *p = ((struct reserve_walk *)arg)->p;

	if (n->live_index == NOT_LIVE || n->reserved || n->obj.kind != OBJ_MMAP)
		return;
	fenwick_add(p, n->live_index, -(int64_t)pick_weight(n));
	n->reserved = true;
}

void objtrack_mark_reserved(struct objtrack *ot, pid_t pid, uint64_t addr)
{
	struct proc *p = find_proc(ot, pid, 0);
	struct reserve_walk w = { p };

	if (p)
		treap_overlap(p->root, addr, addr + 1, reserve_one, &w);
}

static const struct nm_object *small_picked(struct objtrack *ot, struct proc *p, uint32_t i)
{
	if (i == SMALL_NONE)
		return NULL;
	ot->picked = small_object(&p->small, i, p->pid);
	return &ot->picked;
}

const struct nm_object *objtrack_pick_uniform(struct objtrack *ot, pid_t pid, uint64_t rnd)
{
	struct proc *p = proc_of(ot, pid, 0);

	if (p && p->small.nr_live && rnd % (p->nr_live + p->small.nr_live) >= p->nr_live)
		return small_picked(ot, p, small_pick_uniform(&p->small, mix64(rnd)));
	/* A few tries: most live objects are pickable, mappings and stacks
	 * are the exceptions. */
	for (int tries = 0; p && p->nr_live && tries < 16; tries++) {
		struct otnode *n = p->live[rnd % p->nr_live];

		if (pick_weight(n))
			return &n->obj;
		rnd = rnd * 0x9e3779b97f4a7c15ULL + 1;
	}
	return NULL;
}

const struct nm_object *objtrack_pick_weighted(struct objtrack *ot, pid_t pid, uint64_t rnd)
{
	struct proc *p = proc_of(ot, pid, 0);
	uint64_t total = 0;
	size_t i;
	struct otnode *n;

	if (!p)
		return NULL;
	/* The Fenwick prefix over the whole array is the tracked weight. */
	for (i = p->live_cap; i; i -= i & -i)
		total += p->fenwick[i];
	if (!total && !p->small.live_bytes)
		return NULL;
	if (rnd % (total + p->small.live_bytes) >= total)
		return small_picked(ot, p, small_pick_weighted(&p->small, mix64(rnd)));
	n = fenwick_find(p, rnd % total);
	return n ? &n->obj : NULL;
}

int objtrack_foreach_live(struct objtrack *ot, pid_t pid,
			  int (*cb)(void *arg, const struct nm_object *obj), void *arg)
{
	struct proc *p = proc_of(ot, pid, 0);
	size_t i;
	int ret;

	for (i = 0; p && i < p->nr_live; i++)
		if ((ret = cb(arg, &p->live[i]->obj)))
			return ret;
	return 0;
}

uint64_t objtrack_count(struct objtrack *ot)
{
	return ot->count;
}

void objtrack_prefetch(struct objtrack *ot, pid_t pid, uint64_t addr, bool entry)
{
	struct proc *p = find_proc(ot, pid, 0);

	if (p)
		small_prefetch(&p->small, addr, entry);
}
