/* The program's first touch of each page of the agent's region is a page
 * fault in the program: 9-11 us in a PVM guest, where a call costs the
 * agent 30-90 ns.  A thread's ring is 256 pages on its first lap (a
 * program making 20,000 calls took 2.3 ms of faults there), and the
 * tables that double as it meets new stacks a hundred more (3,000 stacks:
 * 140).  numamma faults them in for it, ahead of the agent, on its own
 * cpu: reading a page through the kernel (process_vm_readv) maps it in
 * the program as the program's own read would, and writable, as the
 * memfd's pages need no write notification; 1.6 us a page.  Only for a
 * ring that has had PREMAP_AFTER records read, and a process one ring of
 * which has: the region's pages are memory, taken once touched. */
#include <sys/uio.h>

#include "agent_premap.h"

#define PAGE 4096u
#define PAGE_DOWN(x) ((x) & ~(uint64_t)(PAGE - 1))
/* Rules a process logs, mapped ahead of the last logged, in steps of
 * RULELOG_STEP bytes (a system call each). */
#define RULELOG_AHEAD 2048u
#define RULELOG_STEP (16u << 10)
/* Pages per system call. */
#define MAP_BATCH 256

/* Asks for bytes [*mapped, to) of a part at base, and moves *mapped. */
static size_t extend(uint32_t *mapped, uint64_t base, uint64_t to, struct premap_range *out,
		     size_t n)
{
	if (to <= *mapped)
		return n;
	out[n] = (struct premap_range){ base + PAGE_DOWN(*mapped), base + to };
	*mapped = (uint32_t)to;
	return n + 1;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The rest of a ring's first lap, from where numamma read (later laps
 * write pages already mapped).  Mapped ahead by 4 times as far as read
 * instead, the program passed the end between two drains (3,000 stacks
 * in 6,000 calls, 226 faults of 271). */
static size_t ring_rest(struct agent_premap *st, uint32_t g, uint64_t read,
			struct premap_range *out, size_t n)
{
	const uint64_t lap = (uint64_t)agent_ring_slots(g) * sizeof(struct agent_rec);
	uint64_t at = read * sizeof(struct agent_rec);

	if (at >= lap) {
		st->ring[g] = (uint32_t)lap;
		return n;
	}
	if (st->ring[g] < PAGE_DOWN(at))
		st->ring[g] = (uint32_t)PAGE_DOWN(at);
	return extend(&st->ring[g], AGENT_OFF_RING + agent_ring_first(g) * sizeof(struct agent_rec),
		      lap, out, n);
}

/* A ring's stack cache and known walks, in place: up to their next
 * doubling. */
static size_t ring_caches(struct agent_premap *st, const struct agent_ctl *c, uint32_t g,
			  struct premap_range *out, size_t n)
{
	uint64_t base = AGENT_OFF_STACKCACHE + (uint64_t)g * AGENT_STACKCACHE_RING;
	uint64_t cache = (uint64_t)agent_table_smallest[AGENT_T_STACKCACHE] <<
			 __atomic_load_n(&c->growth.steps[AGENT_T_STACKCACHE], __ATOMIC_RELAXED);
	uint64_t walks = (uint64_t)AGENT_KNOWN_WALKS_MIN <<
			 __atomic_load_n(&c->rings[g].walks_steps, __ATOMIC_RELAXED);

	n = extend(&st->cache[g], base, min_u64(2 * cache, AGENT_STACKCACHE) *
		   sizeof(struct agent_stackcache), out, n);
	return extend(&st->walks[g], base + AGENT_STACKCACHE * sizeof(struct agent_stackcache),
		      min_u64(2 * walks, AGENT_KNOWN_WALKS) * sizeof(struct agent_known_walk),
		      out, n);
}

/* A table whose sizes each have a region after the smaller ones'
 * (agent_sized()): up to the next size's. */
static size_t sized_table(struct agent_premap *st, const struct agent_ctl *c, int t,
			  uint64_t base, uint64_t entry, struct premap_range *out, size_t n)
{
	uint64_t smallest = agent_table_smallest[t], largest = agent_table_largest[t];
	uint64_t size = smallest << __atomic_load_n(&c->growth.steps[t], __ATOMIC_RELAXED);
	uint64_t next = size < largest ? 2 * size : size;

	return extend(&st->table[t], base, (2 * next - smallest) * entry, out, n);
}

size_t agent_premap_plan(struct agent_premap *st, const struct agent_ctl *c,
			 const uint64_t read[AGENT_RINGS], struct premap_range *out)
{
	bool active = false;
	uint64_t logged;
	size_t n = 0;

	for (uint32_t g = 0; g < AGENT_RINGS; g++) {
		if (read[g] < PREMAP_AFTER)
			continue;
		active = true;
		n = ring_rest(st, g, read[g], out, n);
		if (agent_ring_cached(g))
			n = ring_caches(st, c, g, out, n);
	}
	if (!active)
		return n;
	n = sized_table(st, c, AGENT_T_IPCACHE, AGENT_OFF_IPCACHE, sizeof(struct agent_ipcache),
			out, n);
	n = sized_table(st, c, AGENT_T_STACKSET, AGENT_OFF_STACKSET, sizeof(uint64_t), out, n);
	logged = (__atomic_load_n(&c->rulelog_n, __ATOMIC_RELAXED) + RULELOG_AHEAD) *
		 sizeof(struct agent_rulelog);
	return extend(&st->rulelog, AGENT_OFF_RULELOG,
		      min_u64((logged + RULELOG_STEP - 1) / RULELOG_STEP * RULELOG_STEP,
			      (uint64_t)AGENT_RULELOG * sizeof(struct agent_rulelog)), out, n);
}

bool agent_premap_map(pid_t pid, uint64_t remote_ctl, const struct premap_range *r, size_t n)
{
	struct iovec remote[MAP_BATCH];
	char bytes[MAP_BATCH];

	for (size_t i = 0; i < n; i++)
		for (uint64_t at = PAGE_DOWN(r[i].from); at < r[i].to;) {
			struct iovec local = { bytes, 0 };

			for (; local.iov_len < MAP_BATCH && at < r[i].to; at += PAGE)
				remote[local.iov_len++] = (struct iovec){ (void *)(remote_ctl + at), 1 };
			if (process_vm_readv(pid, &local, 1, remote, local.iov_len, 0) !=
			    (ssize_t)local.iov_len)
				return false;
		}
	return true;
}
