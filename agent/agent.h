/* The agent's internals: pure C over the shared region (struct agent_ctl),
 * compiled both into the freestanding blob and natively into
 * tests/unit/test-agent.c.  The two things it needs from the system (a
 * futex wait, a clock) are agent_sys_*, given by agent.c in the blob and
 * by the test natively. */
#ifndef NUMAMMA_AGENT_H
#define NUMAMMA_AGENT_H

#include "agent_abi.h"

void agent_sys_wait(uint32_t *word, uint32_t val);    /* futex, bounded */
uint64_t agent_sys_tsc(void);                          /* records' time */
void agent_sys_doorbell(int32_t pid);                  /* signals numamma */
/* Whether the page at addr can be read, asked of the kernel on behalf of
 * thread tid (a fault in the agent would be the program's). */
int agent_sys_readable(uint64_t addr, int32_t tid);

/* What a walk may read: [start, end), and past end the next pages, one
 * at a time, that agent_sys_readable() says are readable, where may_probe. */
struct agent_span {
	uint64_t start, end;
	int32_t tid;
	int may_probe;
};

static inline void *agent_at(struct agent_ctl *c, uint64_t off)
{
	return (char *)c + off;
}

/* Does the block a call made (bytes at block; block 0 or -1: none) hold
 * a whole page, something numamma run can place (placement.c's ranges
 * are its whole pages)?  A mapping's and pvalloc's bytes are rounded up
 * to pages. */
bool agent_holds_page(uint32_t fn, uint64_t block, uint64_t bytes, uint64_t page);
/* block's slot in the set of placed ones (agent_set_find()), NULL: not
 * there. */
uint64_t *agent_placed_slot(struct agent_ctl *c, uint64_t block);
/* What the agent bound at that slot's block (agent_placed_how's). */
struct agent_placed_how *agent_placed_how(struct agent_ctl *c, const uint64_t *slot);
/* block, whose whole pages up to end the agent bound over nodemask, into
 * that set (false: the set is full). */
bool agent_add_placed(struct agent_ctl *c, uint64_t block, uint64_t end, uint64_t nodemask);
/* Where the pages of a block the agent placed are, at its free. */
#define AGENT_NODES 64
struct agent_check {
	uint64_t block, pages, present, on_nodes;
	uint32_t per_node[AGENT_NODES];
	int32_t tid;
};
/* The nodes that hold some of the pages, as agent_check_word()s; their
 * number. */
uint32_t agent_check_words(const uint32_t *per_node, uint64_t *words);
/* The CHECK record of k, in ring (false: not sent, numamma behind). */
bool agent_send_check(struct agent_ctl *c, uint32_t ring, const struct agent_check *k);
/* Does a block that fn made from the stack hash stop its thread for
 * numamma to place it: its stack not spared (agent_spare_key())? */
bool agent_place_stops(struct agent_ctl *c, uint32_t fn, uint64_t hash);
/* numamma's decision for every block of fn's kind (a heap block, a
 * mapping) whatever its stack: mode 0 to leave it; NULL: none yet. */
const struct agent_placing *agent_kind_decided(struct agent_ctl *c, uint32_t fn);
/* The entry of the table of placing stacks for a block fn made from the
 * stack hash: the agent places it itself (NULL: none). */
const struct agent_placing *agent_placing_of(struct agent_ctl *c, uint32_t fn, uint64_t hash);
/* The pages [*lo, *hi) of a block numamma's plan would place, its whole
 * pages (placement.c's rule_ranges(): a page shared with a neighbour is
 * whoever's placed it first), bytes counted as numamma counts them (a
 * mapping's and pvalloc's rounded up to pages); false: none. */
bool agent_place_range(uint32_t fn, uint64_t block, uint64_t bytes, uint64_t page, uint64_t *lo,
		       uint64_t *hi);
/* The pages at which a transparent huge page may straddle [lo, hi)'s
 * edges, split before the mbind as numamma splits them
 * (place_plan_thp_edges()): their number. */
#define AGENT_THP_SIZE (2ULL << 20)
int agent_thp_edges(uint64_t lo, uint64_t hi, uint64_t edges[2]);
/* The thread's entry in the inside table, made on first use; NULL when
 * the table is full. */
struct agent_inside *agent_inside(struct agent_ctl *c, uint64_t key);
/* Return addresses from a function's entry (rsp at the entry, pointing at
 * the first one), walked with the modules' unwind data, reading only
 * within span.  Returns how many were stored in ips (at most max). */
int agent_walk(struct agent_ctl *c, uint64_t rsp, uint64_t rbp, uint64_t *ips, int max,
	       struct agent_span *span);
/* Whether such a walk reads a return address at slot: the frame that
 * saved it there is still on the call chain. */
bool agent_walk_passes(struct agent_ctl *c, uint64_t rsp, uint64_t rbp, uint64_t slot,
		       struct agent_span *span);
/* The span of a walk from rsp by the thread of entry in: its stack from
 * rsp up when rsp is on it, else rsp's page (extended by probes), which
 * is readable: the call just wrote its return address there. */
static inline struct agent_span agent_stack_span(const struct agent_ctl *c,
						 const struct agent_inside *in, uint64_t rsp)
{
	uint64_t lo = in->stack_lo, hi = in->stack_hi;

	return (struct agent_span){ rsp, rsp >= lo && rsp < hi ? hi : (rsp | 4095) + 1, in->tid,
				    !__atomic_load_n(&c->probe_refused, __ATOMIC_RELAXED) };
}
/* int3, then return (entry.S): numamma's stop at the loader's events. */
void agent_loader_trap(void);
/* The same, for a fork child's first call: numamma maps its region. */
void agent_region_trap(void);
/* The same, at a call numamma may let the process go at (a ptrace that
 * would fail under numamma, an exec that would lose its privilege). */
void agent_call_trap(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2);
/* Is the region mapped at c this process's own (struct agent_ctl's
 * owner_at)?  A fork child's is its parent's until it maps its own. */
int agent_region_mine(const struct agent_ctl *c);
/* What a call does about the region at c, not its own yet: */
enum {
	AGENT_REGION_OWN,       /* goes on: its own, or shared by numamma's choice */
	AGENT_REGION_PASS,      /* passes through: numamma is gone (turned off) */
	AGENT_REGION_MAP,       /* maps the one numamma made ready, then looks again */
	AGENT_REGION_TRAP,      /* stops for numamma (agent_region_trap()) */
};
int agent_region_step(const struct agent_ctl *c);
/* Table t's size now, in entries (AGENT_T_*). */
uint64_t agent_table_size(struct agent_ctl *c, int t);
/* An entry written in table t: it doubles at half full. */
void agent_table_filled(struct agent_ctl *c, int t);
/* The published module holding ip, by binary search; NULL if none. */
const struct agent_module *agent_module_of(struct agent_ctl *c, uint64_t ip);
struct agent_rule {
	int32_t cfa_off;        /* CFA = (rsp or rbp) + cfa_off */
	int32_t rbp_off;        /* rbp saved at CFA + rbp_off; 0: unchanged */
	uint8_t cfa_reg;        /* AGENT_CFA_* */
};
/* ip's rule from module m's unwind data (agent/cfi.c): 1, or 0 when no
 * FDE covers ip or its data cannot be read. */
int agent_cfi_rule(const struct agent_module *m, uint64_t ip, struct agent_rule *r);
/* ip's rule, cached: AGENT_CFA_END when none covers ip. */
void agent_unwind_rule(struct agent_ctl *c, uint64_t ip, struct agent_rule *r);
/* The hash of the stack of an allocator call entered with rsp and rbp
 * (sent first unless it was before), from the stacks walked before when
 * every word that walk read is unchanged, else walked; 0: no stack. */
uint64_t agent_call_stack(struct agent_ctl *c, uint32_t ring, uint64_t rsp, uint64_t rbp, int max,
			  struct agent_span *span);
/* The thread's ring (taken on its first record: ring 0, shared, when
 * all are taken). */
uint32_t agent_ring_of(struct agent_ctl *c, struct agent_inside *in);
/* Reserves n consecutive slots of ring r, waiting while it is full.
 * Returns the first slot's number, or UINT64_MAX when numamma is gone or
 * behind (nothing reserved then). */
uint64_t agent_reserve(struct agent_ctl *c, uint32_t r, uint32_t n);
struct agent_rec *agent_slot(struct agent_ctl *c, uint32_t r, uint64_t pos);
/* A call not recorded because numamma is behind (AGENT_BEHIND): counted. */
void agent_count_lost(struct agent_ctl *c);
/* Marks slot pos written (its seq, stored last). */
void agent_publish(struct agent_ctl *c, uint32_t r, uint64_t pos);
/* The stack's hash; sends the stack first (into ring r) unless it was
 * sent before. */
uint64_t agent_stack(struct agent_ctl *c, uint32_t r, const uint64_t *ips, int n);

#endif
