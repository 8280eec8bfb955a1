/* The agent's logic: see agent.h.  No libc: what runs inside the
 * program's allocator must not call it. */
#include <stdbool.h>

#include "agent.h"

#define load(p)        __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store(p, v)    __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define mix agent_mix

struct agent_inside *agent_inside(struct agent_ctl *c, uint64_t key)
{
	return agent_inside_take(agent_at(c, AGENT_OFF_INSIDE), key);
}

/* ---- tables that grow (include/agent_abi.h) ---- */

uint64_t agent_table_size(struct agent_ctl *c, int t)
{
	return (uint64_t)agent_table_smallest[t] << load(&c->growth.steps[t]);
}

/* One more entry written in table t: at half its size in entries written
 * (a direct-mapped cache's misses, the set's stacks), it doubles.  The
 * count is approximate under threads racing, which only moves the
 * doubling by a few entries. */
void agent_table_filled(struct agent_ctl *c, int t)
{
	uint32_t steps = load(&c->growth.steps[t]);
	uint64_t size = (uint64_t)agent_table_smallest[t] << steps;

	if (size >= agent_table_largest[t] ||
	    __atomic_add_fetch(&c->growth.fills[t], 1, __ATOMIC_RELAXED) < size / 2)
		return;
	if (__atomic_compare_exchange_n(&c->growth.steps[t], &steps, steps + 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		store(&c->growth.fills[t], 0);
}

static const struct agent_module *modules(struct agent_ctl *c, uint32_t *n)
{
	uint64_t pub = load(&c->modules);

	*n = (uint32_t)pub;
	return (const struct agent_module *)agent_at(c, AGENT_OFF_MODULES) + (pub >> 32);
}

const struct agent_module *agent_module_of(struct agent_ctl *c, uint64_t ip)
{
	uint32_t n, lo = 0, hi;
	const struct agent_module *t = modules(c, &n);

	for (hi = n; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && ip < t[lo - 1].end ? &t[lo - 1] : 0;
}

/* A rule packed in 64 bits: cfa_off, rbp_off (16 bits), cfa_reg, and the
 * module list's generation (agent_rules_gen()). */
static uint64_t pack(const struct agent_rule *r, uint8_t gen)
{
	return (uint32_t)r->cfa_off | (uint64_t)(uint16_t)r->rbp_off << 32 |
	       (uint64_t)r->cfa_reg << 48 | (uint64_t)gen << 56;
}

static struct agent_ipcache *ipcache_slot(struct agent_ctl *c, uint64_t ip, uint64_t size)
{
	return agent_ipcache_at(agent_at(c, AGENT_OFF_IPCACHE), size, ip);
}

static bool way_holds(const struct agent_ipcache *e, uint64_t ip, uint8_t gen, uint64_t *rule)
{
	*rule = load(&e->rule);
	return (load(&e->check) ^ *rule) == (ip ^ AGENT_IPCACHE_SALT) &&
	       (uint8_t)(*rule >> 56) == gen;
}

static bool ipcache_holds(const struct agent_ipcache *set, uint64_t ip, uint8_t gen, uint64_t *rule)
{
	return way_holds(&set[0], ip, gen, rule) || way_holds(&set[1], ip, gen, rule);
}

/* Logged for numamma, which fills the caches of the next processes that
 * map the same file with it: each compiler of a build computed the same
 * 3,300 rules at its start, the largest part of the agent's time. */
static void log_rule(struct agent_ctl *c, uint64_t ip, uint64_t rule)
{
	uint32_t k = __atomic_fetch_add(&c->rulelog_n, 1, __ATOMIC_RELAXED);
	struct agent_rulelog *e;

	if (k >= AGENT_RULELOG)
		return;
	e = (struct agent_rulelog *)agent_at(c, AGENT_OFF_RULELOG) + k;
	e->rule = rule;
	store(&e->ip, ip);
}

/* ip's rule from its module's unwind data, where an address no FDE
 * covers ends the walk as the outermost frame does; cached in e. */
static void computed_rule(struct agent_ctl *c, uint64_t ip, uint8_t gen, struct agent_ipcache *e,
			  struct agent_rule *r)
{
	const struct agent_module *m = agent_module_of(c, ip);

	if (!m || !agent_cfi_rule(m, ip, r))
		*r = (struct agent_rule){ .cfa_reg = AGENT_CFA_END };
	/* An rbp offset past 16 bits is not cached. */
	if ((int16_t)r->rbp_off == r->rbp_off) {
		agent_ipcache_put(e, ip, pack(r, gen));
		agent_table_filled(c, AGENT_T_IPCACHE);
		if (m)
			log_rule(c, ip, pack(r, gen));
	}
}

/* The rule for ip, from the cache of return addresses when it holds it
 * (one cache line per frame), else computed.  One written before the
 * cache doubled is looked for at each smaller size in turn, then copied
 * to the size now, not computed again. */
void agent_unwind_rule(struct agent_ctl *c, uint64_t ip, struct agent_rule *r)
{
	uint64_t size = agent_table_size(c, AGENT_T_IPCACHE), rule;
	struct agent_ipcache *hint = ipcache_slot(c, ip, size);
	uint8_t gen = agent_rules_gen(load(&c->modules));

	if (!ipcache_holds(hint, ip, gen, &rule)) {
		uint64_t older = size / 2;

		while (older >= AGENT_IPCACHE_MIN &&
		       !ipcache_holds(ipcache_slot(c, ip, older), ip, gen, &rule))
			older /= 2;
		if (older < AGENT_IPCACHE_MIN) {
			computed_rule(c, ip, gen, hint, r);
			return;
		}
		agent_ipcache_put(hint, ip, rule);
	}
	*r = (struct agent_rule){ (int32_t)(uint32_t)rule, (int16_t)(rule >> 32),
				  (uint8_t)(rule >> 48) };
}

/* A frame further than this above the last is taken for a bad rule. */
#define MAX_FRAME_SIZE (64ULL << 20)

/* The words a walk read, to check a cached walk against. */
struct walk_reads {
	uint32_t n;
	bool overflow;
	bool entry_rbp;         /* a frame's CFA came from rbp as it was at entry */
	uint64_t addr[AGENT_CACHED_READS], val[AGENT_CACHED_READS];
};

static void note_read(struct walk_reads *w, uint64_t addr, uint64_t val)
{
	if (w->n == AGENT_CACHED_READS) {
		w->overflow = true;
		return;
	}
	w->addr[w->n] = addr;
	w->val[w->n++] = val;
}

#define PAGE 4096ULL
/* Pages a walk asks the kernel about, at most. */
#define SPAN_PROBES 16

/* Past the span's end: the next pages, if the kernel says so. */
static __attribute__((noinline)) bool span_grows(struct agent_span *s, uint64_t addr)
{
	if (addr > UINT64_MAX - 8)
		return false;
	for (int probes = 0; addr + 8 > s->end; probes++) {
		if (!s->may_probe || probes == SPAN_PROBES || !agent_sys_readable(s->end, s->tid))
			return false;
		s->end += PAGE;
	}
	return true;
}

/* May the 8 bytes at addr be read?  A fault here would be the program's
 * (a stack switched by hand, its frames' rules leading off its end). */
static inline __attribute__((always_inline)) bool span_holds(struct agent_span *s, uint64_t addr)
{
	if (addr < s->start)
		return false;
	return addr + 8 <= s->end || span_grows(s, addr);
}

static inline __attribute__((always_inline)) bool read_word(struct agent_span *s, uint64_t addr,
							    struct walk_reads *w, uint64_t *v)
{
	if (!span_holds(s, addr))
		return false;
	*v = *(const uint64_t *)addr;
	if (w)
		note_read(w, addr, *v);
	return true;
}

/* Where rbp's value came from: the words a cached walk must check are
 * the return addresses and only the saved rbp values a frame then used
 * (most code keeps no frame pointer: rbp holds data that changes from
 * call to call, and does not matter to the walk). */
struct rbp_source {
	bool at_entry;
	uint64_t addr, val;     /* else the word it was restored from */
};

static void rbp_used(struct walk_reads *w, struct rbp_source *src)
{
	if (!w)
		return;
	if (src->at_entry)
		w->entry_rbp = true;
	else if (src->addr)
		note_read(w, src->addr, src->val);
	src->addr = 0;          /* noted once */
}

/* Is a frame at ip an allocation wrapper's, as hooks_user_frames()
 * decides: numamma skips such frames on top of a stack. */
static bool wrapper_frame(struct agent_ctl *c, uint64_t ip)
{
	const struct agent_module *m = agent_module_of(c, ip);
	uint32_t n = load(&c->nr_wrappers);

	if (m && m->wrapper)
		return true;
	for (uint32_t i = 0; i < n && i < AGENT_MAX_WRAPPERS; i++)
		if (ip >= c->wrappers[i].start && ip < c->wrappers[i].end)
			return true;
	return false;
}

/* Up to max return addresses; with depth, no more once depth of them
 * follow the wrappers' on top: numamma keeps no deeper frame, and cc1's
 * walks went 7 frames further for nothing.  -1 once it reads a return
 * address at slot (0: none). */
static int walk(struct agent_ctl *c, uint64_t rsp, uint64_t rbp, uint64_t *ips, int max,
		uint32_t depth, struct walk_reads *w, struct agent_span *span, uint64_t slot)
{
	struct rbp_source src = { .at_entry = true };
	bool leading = true;
	uint32_t user = 0;
	uint64_t ip;
	int n = 0;

	if (!read_word(span, rsp, w, &ip))
		return 0;
	if (rsp == slot)
		return -1;
	rsp += 8;
	while (n < max && ip) {
		struct agent_rule r;
		uint64_t cfa;

		ips[n++] = ip;
		/* A return address names the instruction after the call. */
		if (leading && !(depth && wrapper_frame(c, ip - 1)))
			leading = false;
		if (!leading && depth && ++user == depth)
			break;
		agent_unwind_rule(c, ip - 1, &r);
		if (r.cfa_reg == AGENT_CFA_END)
			break;
		if (r.cfa_reg == AGENT_CFA_RBP)
			rbp_used(w, &src);
		cfa = (r.cfa_reg == AGENT_CFA_RBP ? rbp : rsp) + (int64_t)r.cfa_off;
		if (cfa < rsp + 8 || cfa - rsp > MAX_FRAME_SIZE || cfa % 8)
			break;
		if (r.rbp_off) {
			src.addr = cfa + (int64_t)r.rbp_off;
			if (!span_holds(span, src.addr))
				break;
			rbp = src.val = *(const uint64_t *)src.addr;
			src.at_entry = false;
		}
		if (!read_word(span, cfa - 8, w, &ip))
			break;
		if (cfa - 8 == slot)
			return -1;
		rsp = cfa;
	}
	return n;
}

int agent_walk(struct agent_ctl *c, uint64_t rsp, uint64_t rbp, uint64_t *ips, int max,
	       struct agent_span *span)
{
	return walk(c, rsp, rbp, ips, max, 0, 0, span, 0);
}

bool agent_walk_passes(struct agent_ctl *c, uint64_t rsp, uint64_t rbp, uint64_t slot,
		       struct agent_span *span)
{
	uint64_t ips[AGENT_MAX_FRAMES];

	return walk(c, rsp, rbp, ips, AGENT_MAX_FRAMES, 0, 0, span, slot) < 0;
}

/* ---- stacks walked before ---- */

/* Keyed by rsp and the return address only: rbp at entry is often any
 * value (code without frame pointers), and matters only to walks that
 * used it (e->rbp_used).  Two ways, the newest walk first: callers that
 * alternate at the same depth (sqlite3's allocation wrappers, reached
 * from the parser and the VM) made 8% of sqlite3's calls walk again with
 * one; with two, 0.04%. */
static struct agent_stackcache *cache_entry(struct agent_ctl *c, uint32_t ring, uint64_t rsp,
					    uint64_t ra)
{
	return (struct agent_stackcache *)agent_at(c, AGENT_OFF_STACKCACHE +
						  (uint64_t)ring * AGENT_STACKCACHE_RING) +
	       (mix(rsp ^ mix(ra)) & (agent_table_size(c, AGENT_T_STACKCACHE) - 2));
}

static uint64_t known_walks_size(struct agent_ctl *c, uint32_t ring)
{
	return (uint64_t)AGENT_KNOWN_WALKS_MIN << c->rings[ring].walks_steps;
}

static struct agent_known_walk *known_set(struct agent_ctl *c, uint32_t ring, uint64_t key)
{
	uint64_t sets = known_walks_size(c, ring) / AGENT_KNOWN_WAYS;
	struct agent_known_walk *walks =
		agent_at(c, AGENT_OFF_STACKCACHE + (uint64_t)ring * AGENT_STACKCACHE_RING +
				    AGENT_STACKCACHE * sizeof(struct agent_stackcache));

	return walks + (mix(key) & (sets - 1)) * AGENT_KNOWN_WAYS;
}

static uint32_t table_gen(struct agent_ctl *c)
{
	return (uint32_t)mix(load(&c->modules));
}

/* A walk is a function of where it starts, the table and the words it
 * reads: when the words it read last time hold the same values (their
 * key is the same), it would find the same stack.  Every address read is
 * one the walk itself read: on the thread's own stack (same rsp, same
 * ring: the same thread, or one that reuses its TCB and stack), no
 * further than the stack goes now. */
/* Was e's walk from rsp, with the module list now (gen), and did it read
 * no further than the stack goes now?  The stack there now may end
 * sooner than the one walked then: a miss, walked (and its end probed)
 * again. */
static bool walked_here(const struct agent_stackcache *e, uint64_t rsp, uint32_t gen,
			const struct agent_span *span)
{
	uint32_t n = e->nreads;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return n && n <= AGENT_CACHED_READS && e->rsp == rsp && e->gen == gen &&
	       e->reach <= span->end - rsp;
}

/* The key of the words vals read at the places an entry's walk read
 * them (places: their hash), from rsp (and rbp at entry, where the walk
 * used it). */
static uint64_t walk_key(uint64_t places, bool rbp_used, uint64_t rsp, uint64_t rbp,
			 const uint64_t *vals, uint32_t n)
{
	uint64_t key = agent_hash_ips(vals, (int)n) ^ mix(rsp ^ places);

	return rbp_used ? key ^ mix(rbp ^ AGENT_IPCACHE_SALT) : key;
}

/* The newest first: 0 where no way holds key. */
static uint64_t known_walk(struct agent_ctl *c, uint32_t ring, uint64_t key)
{
	const struct agent_known_walk *e = known_set(c, ring, key);

	for (int way = 0; way < AGENT_KNOWN_WAYS; way++)
		if ((e[way].check ^ mix(e[way].hash)) == key)
			return e[way].hash;
	return 0;
}

static void know_walk(struct agent_ctl *c, uint32_t ring, uint64_t key, uint64_t hash)
{
	struct agent_known_walk *e = known_set(c, ring, key);

	for (int way = AGENT_KNOWN_WAYS - 1; way > 0; way--)
		e[way] = e[way - 1];    /* the oldest goes; a torn entry fails its check */
	e[0].hash = hash;
	e[0].check = key ^ mix(hash);
	/* At half its size in entries written, it doubles (those written
	 * before are then looked for where they are not: walked again). */
	if (known_walks_size(c, ring) < AGENT_KNOWN_WALKS &&
	    ++c->rings[ring].walks_fills >= known_walks_size(c, ring) / 2) {
		c->rings[ring].walks_fills = 0;
		c->rings[ring].walks_steps++;
	}
}

/* The key of the words at e's places now (0: e was not walked here). */
static uint64_t key_at(const struct agent_stackcache *e, uint64_t rsp, uint64_t rbp,
		       uint32_t gen, const struct agent_span *span)
{
	uint64_t vals[AGENT_CACHED_READS];

	if (!walked_here(e, rsp, gen, span))
		return 0;
	for (uint32_t k = 0; k < e->nreads; k++)
		vals[k] = *(const uint64_t *)(rsp + (int64_t)e->off[k]);
	return walk_key(e->places, e->rbp_used, rsp, rbp, vals, e->nreads);
}

/* The stack of the words at the places a way of the set read them: the
 * way's own when they are the words it read, else a known walk's.  Ways
 * that read at the same places share their key. */
static uint64_t cached(struct agent_ctl *c, uint32_t ring, uint64_t rsp, uint64_t rbp,
		       struct agent_span *span)
{
	/* e and e + 1: the set (cache_entry() names its first way). */
	struct agent_stackcache *e = cache_entry(c, ring, rsp, *(const uint64_t *)rsp);
	uint32_t gen = table_gen(c);
	uint64_t key[2], hash;

	key[0] = key_at(e, rsp, rbp, gen, span);
	if (key[0] && key[0] == e[0].key)
		return e[0].hash;
	/* The second way's places are read once it is whole (a signal
	 * handler's walk may come while this thread rewrites it). */
	if (!walked_here(e + 1, rsp, gen, span))
		key[1] = 0;
	else if (key[0] && e[1].places == e[0].places)
		key[1] = key[0];
	else
		key[1] = key_at(e + 1, rsp, rbp, gen, span);
	if (key[1] && key[1] == e[1].key)
		return e[1].hash;
	hash = key[0] ? known_walk(c, ring, key[0]) : 0;
	if (!hash && key[1] && key[1] != key[0])
		hash = known_walk(c, ring, key[1]);
	return hash;
}

static void cache_copy(struct agent_stackcache *to, const struct agent_stackcache *from)
{
	uint32_t n = from->nreads;

	to->nreads = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	to->rsp = from->rsp;
	to->key = from->key;
	to->rbp_used = from->rbp_used;
	to->reach = from->reach;
	to->hash = from->hash;
	to->gen = from->gen;
	to->places = from->places;
	for (uint32_t k = 0; k < n && k < AGENT_CACHED_READS; k++)
		to->off[k] = from->off[k];
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	to->nreads = n;
}

/* Can every word w read be named by its offset from rsp? */
static bool near_rsp(const struct walk_reads *w, uint64_t rsp)
{
	for (uint32_t k = 0; k < w->n; k++)
		if ((int64_t)(w->addr[k] - rsp) != (int32_t)(w->addr[k] - rsp))
			return false;
	return true;
}

static void cache(struct agent_ctl *c, uint32_t ring, uint64_t rsp, uint64_t rbp, uint64_t hash,
		  const struct walk_reads *w)
{
	struct agent_stackcache *e = cache_entry(c, ring, rsp, w->val[0]);
	uint64_t places;

	if (!near_rsp(w, rsp))
		return;
	cache_copy(e + 1, e);   /* the older way goes */
	e->nreads = 0;          /* a signal handler's walk sees no half entry */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	e->rsp = rsp;
	e->rbp_used = w->entry_rbp;
	e->reach = 0;
	e->hash = hash;
	e->gen = table_gen(c);
	places = agent_hash_step(e->gen, (uint64_t)w->n << 1 | w->entry_rbp);
	for (uint32_t k = 0; k < w->n; k++) {
		e->off[k] = (int32_t)(w->addr[k] - rsp);
		places = agent_hash_step(places, (uint32_t)e->off[k]);
		if ((uint32_t)e->off[k] + 8 > e->reach)
			e->reach = (uint32_t)e->off[k] + 8;
	}
	e->places = mix(places);
	e->key = walk_key(e->places, e->rbp_used, rsp, rbp, w->val, w->n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	e->nreads = w->n;
	agent_table_filled(c, AGENT_T_STACKCACHE);
	know_walk(c, ring, e->key, hash);
}

/* The rings without a stack cache walk every call (agent_ring_cached()). */
uint64_t agent_call_stack(struct agent_ctl *c, uint32_t ring, uint64_t rsp, uint64_t rbp, int max,
			  struct agent_span *span)
{
	bool cached_ring = agent_ring_cached(ring);
	uint64_t ips[AGENT_MAX_FRAMES], hash = cached_ring ? cached(c, ring, rsp, rbp, span) : 0;
	struct walk_reads w;
	int n;

	if (hash)
		return hash;
	w.n = 0;
	w.overflow = w.entry_rbp = false;
	n = walk(c, rsp, rbp, ips, max, load(&c->call_depth), &w, span, 0);
	if (!n)
		return 0;
	hash = agent_stack(c, ring, ips, n);
	if (cached_ring && !w.overflow)
		cache(c, ring, rsp, rbp, hash, &w);
	return hash;
}

/* A ring belongs to a TCB for good: a thread that reuses the TCB of one
 * gone (glibc caches them) takes its ring back, and a ring is never
 * handed to a second live thread.  Past AGENT_RINGS - 1 TCBs, ring 0. */
uint32_t agent_ring_of(struct agent_ctl *c, struct agent_inside *in)
{
	uint32_t r = __atomic_load_n(&in->ring, __ATOMIC_RELAXED);
	uint64_t key = in->key;

	if (r)
		return r - 1;
	for (r = 1; r < AGENT_RINGS; r++)
		if (load(&c->rings[r].owner) == key)
			break;
	for (uint32_t k = 1; r == AGENT_RINGS && k < AGENT_RINGS; k++) {
		uint64_t free_ring = 0;

		if (__atomic_compare_exchange_n(&c->rings[k].owner, &free_ring, key, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			r = k;
	}
	if (r == AGENT_RINGS)
		r = 0;
	__atomic_store_n(&in->ring, r + 1, __ATOMIC_RELAXED);
	return r;
}

struct agent_rec *agent_slot(struct agent_ctl *c, uint32_t r, uint64_t pos)
{
	return (struct agent_rec *)agent_at(c, AGENT_OFF_RING) +
	       agent_ring_first(r) + (pos & (agent_ring_slots(r) - 1));
}

void agent_publish(struct agent_ctl *c, uint32_t r, uint64_t pos)
{
	store(&agent_slot(c, r, pos)->seq, (uint32_t)(pos + 1));
}

/* numamma drained nothing for stale_tsc: gone, or far behind.  The
 * agent then stops recording (AGENT_BEHIND) rather than block the
 * program. */
static int numamma_behind(struct agent_ctl *c)
{
	uint64_t beat = load(&c->heartbeat_tsc);
	uint32_t on = AGENT_ON;

	if (load(&c->state) != AGENT_ON)
		return 1;
	/* Two cpus' TSCs may differ by a few hundred ticks (a VM's vcpus):
	 * a heartbeat numamma wrote on a cpu whose TSC is ahead of this
	 * one's is fresh, not 2^64 ticks old.  Taken for stale, it had the
	 * agent stop recording: 64 threads lost 800,000 calls in a run. */
	if ((int64_t)(agent_sys_tsc() - beat) < (int64_t)c->stale_tsc)
		return 0;
	__atomic_compare_exchange_n(&c->state, &on, AGENT_BEHIND, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	return 1;
}

void agent_count_lost(struct agent_ctl *c)
{
	uint32_t state = load(&c->state);

	if (state == AGENT_BEHIND || state == AGENT_SHARED)
		__atomic_fetch_add(&c->lost, 1, __ATOMIC_RELAXED);
}

/* Rings numamma's doorbell (struct agent_ctl), once until it is about
 * to sleep again, while it is there to hear it. */
static void ring_doorbell(struct agent_ctl *c)
{
	int32_t pid = load(&c->doorbell_pid);

	if (!pid || load(&c->doorbell) || numamma_behind(c) ||
	    __atomic_exchange_n(&c->doorbell, 1, __ATOMIC_ACQ_REL))
		return;
	agent_sys_doorbell(pid);
}

/* Slots are taken only once there is room: a reservation given up (numamma
 * behind) leaves no hole that numamma, back, would wait on.  An owned ring
 * has one writer at a time (its owner's TCB is that of one live thread, or
 * of a vfork child while its parent waits): a plain load and store of
 * head, no locked instruction.  Ring 0 is shared: a compare-and-swap. */
uint64_t agent_reserve(struct agent_ctl *c, uint32_t r, uint32_t n)
{
	struct agent_ring *g = &c->rings[r];
	uint32_t slots = agent_ring_slots(r), bell = load(&c->doorbell_fill);

	/* A small ring rings at half of it, where numamma, busy, waits for half. */
	if (bell > slots / 2)
		bell = slots / 2;
	for (;;) {
		uint64_t pos = load(&g->head), fill = pos + n - load(&g->tail);
		uint32_t seen;

		if (fill <= slots) {
			if (r)
				store(&g->head, pos + n);
			else if (!__atomic_compare_exchange_n(&g->head, &pos, pos + n, false,
							      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				continue;
			if (fill > bell)
				ring_doorbell(c);
			return pos;
		}
		ring_doorbell(c);
		seen = load(&g->drained);
		if (numamma_behind(c))
			return UINT64_MAX;
		__atomic_fetch_add(&g->waiters, 1, __ATOMIC_ACQ_REL);
		if (pos + n - load(&g->tail) > slots)
			agent_sys_wait(&g->drained, seen);
		__atomic_fetch_sub(&g->waiters, 1, __ATOMIC_ACQ_REL);
	}
}

/* A record and the slots after it that hold words[0..n),
 * AGENT_IPS_PER_SLOT a slot (a stack's return addresses, a check's
 * nodes): those slots written, the record's position for the caller to
 * fill and publish; UINT64_MAX: none (numamma behind or gone). */
static uint64_t reserve_with_words(struct agent_ctl *c, uint32_t ring, const uint64_t *words,
				   uint32_t n)
{
	uint32_t extra = (n + AGENT_IPS_PER_SLOT - 1) / AGENT_IPS_PER_SLOT;
	uint64_t pos = agent_reserve(c, ring, 1 + extra);

	if (pos == UINT64_MAX)
		return pos;
	for (uint32_t s = 0; s < extra; s++) {
		struct agent_rec_ips *x = (struct agent_rec_ips *)agent_slot(c, ring, pos + 1 + s);

		x->type = AGENT_REC_IPS;
		for (uint32_t k = 0; k < AGENT_IPS_PER_SLOT; k++) {
			uint32_t i = s * AGENT_IPS_PER_SLOT + k;
			x->ip[k] = i < n ? words[i] : 0;
		}
		agent_publish(c, ring, pos + 1 + s);
	}
	return pos;
}

/* false: not sent (numamma behind or gone). */
static bool send_stack(struct agent_ctl *c, uint32_t ring, uint64_t hash, const uint64_t *ips,
		       int n)
{
	uint64_t pos = reserve_with_words(c, ring, ips, (uint32_t)n);
	struct agent_rec *r;

	if (pos == UINT64_MAX)
		return false;
	r = agent_slot(c, ring, pos);
	r->type = AGENT_REC_STACK;
	r->nframes = n;
	r->hash = hash;
	r->tsc = agent_sys_tsc();
	agent_publish(c, ring, pos);
	return true;
}

/* The hash of the frames' ids (struct agent_module's id_delta): the
 * same stack hashes alike in every process of the profile.  Frames come
 * in runs of one module: the last one is tried before a search. */
static uint64_t stack_hash(struct agent_ctl *c, const uint64_t *ips, int n)
{
	uint64_t ids[AGENT_MAX_FRAMES];
	const struct agent_module *m = 0;

	for (int i = 0; i < n; i++) {
		if (!m || ips[i] < m->start || ips[i] >= m->end)
			m = agent_module_of(c, ips[i]);
		ids[i] = m ? ips[i] + m->id_delta : ips[i];
	}
	return agent_hash_ips(ids, n);
}

/* Was hash entered in the set at a size it had before (the set doubled
 * since)?  Then it is not sent again, only entered at the size now. */
static bool in_smaller_set(uint64_t *set, uint64_t size, uint64_t hash)
{
	for (size /= 2; size >= AGENT_STACKSET_MIN; size /= 2) {
		const uint64_t *e = agent_stackset_slot(set, size, hash);

		if (e && load(e) == hash)
			return true;
	}
	return false;
}

/* The set is written after the stack was sent: a thread that finds the
 * hash there knows the stack is ahead of its own record in the ring (one
 * not sent is not entered: it is sent again next time).  Two threads may
 * both send a new stack; numamma keeps the first.  numamma fills the set
 * of a new process with the stacks its executable sent before. */
uint64_t agent_stack(struct agent_ctl *c, uint32_t ring, const uint64_t *ips, int n)
{
	uint64_t hash = stack_hash(c, ips, n), empty = 0;
	uint64_t *set = agent_at(c, AGENT_OFF_STACKSET);
	uint64_t size = agent_table_size(c, AGENT_T_STACKSET);
	uint64_t *e = agent_stackset_slot(set, size, hash);

	if (e && load(e) == hash)
		return hash;
	/* A full neighbourhood: sent again each time. */
	if ((in_smaller_set(set, size, hash) || send_stack(c, ring, hash, ips, n)) && e &&
	    __atomic_compare_exchange_n(e, &empty, hash, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		agent_table_filled(c, AGENT_T_STACKSET);
	return hash;
}

int agent_region_mine(const struct agent_ctl *c)
{
	const struct agent_owner *o = (const struct agent_owner *)(uintptr_t)c->owner_at;
	uint64_t state;

	if (!o)
		return 1;
	state = load(&o->state);
	return state == AGENT_OWNER_MINE || (state == AGENT_OWNER_MAP && load(&c->token) == o->token);
}

/* Where numamma is gone (the watchdog turned the region off), the call
 * passes through; where it made the child's region ready, the child maps
 * it, else numamma does, at a stop.  A child numamma could give no
 * region (AGENT_SHARED) counts its calls with its parent's, as
 * agent_enter() has any call do in that state. */
int agent_region_step(const struct agent_ctl *c)
{
	const struct agent_owner *o = (const struct agent_owner *)(uintptr_t)c->owner_at;
	uint32_t state;

	if (agent_region_mine(c))
		return AGENT_REGION_OWN;
	state = load(&c->state);
	if (state == AGENT_OFF)
		return AGENT_REGION_PASS;
	if (load(&o->state) == AGENT_OWNER_MAP)
		return AGENT_REGION_MAP;
	return state == AGENT_SHARED ? AGENT_REGION_OWN : AGENT_REGION_TRAP;
}

bool agent_holds_page(uint32_t fn, uint64_t block, uint64_t bytes, uint64_t page)
{
	uint64_t first = (block + page - 1) & ~(page - 1);

	if (!block || block == (uint64_t)-1 || !bytes || !page)
		return false;
	if (alloc_fn_maps((int)fn) || fn == FN_PVALLOC)
		return true;
	return bytes >= page && first + page <= block + bytes;
}

uint64_t *agent_placed_slot(struct agent_ctl *c, uint64_t block)
{
	return agent_set_find(agent_at(c, AGENT_OFF_PLACED), AGENT_PLACED, block);
}

struct agent_placed_how *agent_placed_how(struct agent_ctl *c, const uint64_t *slot)
{
	return agent_placed_how_at(c, slot);
}

bool agent_add_placed(struct agent_ctl *c, uint64_t block, uint64_t end, uint64_t nodemask)
{
	uint64_t *slot = agent_set_claim(agent_at(c, AGENT_OFF_PLACED), AGENT_PLACED, block);

	if (slot)
		*agent_placed_how(c, slot) = (struct agent_placed_how){ end, nodemask };
	return slot != 0;
}

uint32_t agent_check_words(const uint32_t *per_node, uint64_t *words)
{
	uint32_t n = 0;

	for (uint32_t node = 0; node < AGENT_NODES; node++)
		if (per_node[node])
			words[n++] = agent_check_word(node, per_node[node]);
	return n;
}

bool agent_send_check(struct agent_ctl *c, uint32_t ring, const struct agent_check *k)
{
	uint64_t words[AGENT_NODES], pos;
	uint32_t n = agent_check_words(k->per_node, words);
	struct agent_rec *r;

	if ((pos = reserve_with_words(c, ring, words, n)) == UINT64_MAX)
		return false;
	r = agent_slot(c, ring, pos);
	r->type = AGENT_REC_CHECK;
	r->nframes = (uint16_t)n;
	r->tid = k->tid;
	r->tsc = agent_sys_tsc();
	r->hash = 0;
	r->args[0] = k->block;
	r->args[1] = k->pages;
	r->args[2] = k->present;
	r->ret = k->on_nodes;
	agent_publish(c, ring, pos);
	return true;
}

bool agent_place_stops(struct agent_ctl *c, uint32_t fn, uint64_t hash)
{
	uint64_t key = agent_spare_key(hash, alloc_fn_maps((int)fn));

	return !key || !agent_set_find(agent_at(c, AGENT_OFF_SPARED), AGENT_SPARED, key);
}

const struct agent_placing *agent_kind_decided(struct agent_ctl *c, uint32_t fn)
{
	const struct agent_placing *k = &c->kinds[alloc_fn_maps((int)fn)];

	return __atomic_load_n(&k->key, __ATOMIC_ACQUIRE) ? k : 0;
}

const struct agent_placing *agent_placing_of(struct agent_ctl *c, uint32_t fn, uint64_t hash)
{
	return agent_placing_find(agent_at(c, AGENT_OFF_PLACING), AGENT_PLACING,
				  agent_spare_key(hash, alloc_fn_maps((int)fn)));
}

bool agent_place_range(uint32_t fn, uint64_t block, uint64_t bytes, uint64_t page, uint64_t *lo,
		       uint64_t *hi)
{
	if (alloc_fn_maps((int)fn) || fn == FN_PVALLOC)
		bytes = bytes > UINT64_MAX - page ? 0 : (bytes + page - 1) & ~(page - 1);
	if (!page || bytes > UINT64_MAX - block)
		return false;
	*lo = (block + page - 1) & ~(page - 1);
	*hi = (block + bytes) & ~(page - 1);
	return *hi > *lo;
}

int agent_thp_edges(uint64_t lo, uint64_t hi, uint64_t edges[2])
{
	int n = 0;

	if (lo % AGENT_THP_SIZE)
		edges[n++] = lo;
	if (hi % AGENT_THP_SIZE)
		edges[n++] = hi - AGENT_PAGE;
	return n;
}
