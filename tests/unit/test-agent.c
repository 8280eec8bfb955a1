/* The agent's logic (agent/core.c), natively: ring reservation and
 * publication (owned and shared rings), rings taken by threads, whose
 * region a fork child writes, stacks
 * sent once, tables that grow, the inside table, stack walking with modules' unwind data
 * (made up here: agent/cfi.c on real code is test-agent-cfi's), the
 * set-ID bits an exec loses under an unprivileged tracer, the program
 * an exec call names, and which blocks numamma run stops for. */
#include <string.h>
#include <sys/mman.h>

#include "../../agent/cfi.c"
#include "../../agent/core.c"
#include "exec_privilege.h"
#include "unit.h"

static uint64_t fake_now;
static int waits;

void agent_sys_wait(uint32_t *word, uint32_t val)
{
	waits++;
	fake_now += 1000000000ULL;      /* each wait: a second (the fake TSC counts ns) */
}

uint64_t agent_sys_tsc(void)
{
	return ++fake_now;
}

static int rings_heard;
static int32_t doorbell_to;

void agent_sys_doorbell(int32_t pid)
{
	rings_heard++;
	doorbell_to = pid;
}

/* The kernel's answer for any page: readable (probe_answer) to thread
 * 5 only. */
static int probes, probe_answer;

int agent_sys_readable(uint64_t addr, int32_t tid)
{
	probes++;
	return probe_answer && tid == 5;
}

/* A walk that may read anything (the fake stacks here). */
#define ANY (&(struct agent_span){ 0, UINT64_MAX - 8, 0, 0 })

static struct agent_ctl *new_region(void)
{
	struct agent_ctl *c = mmap(NULL, AGENT_DATA_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (c == MAP_FAILED)
		exit(77);
	c->state = AGENT_ON;
	c->stale_tsc = 5000000000ULL;
	return c;
}

static void test_ring(struct agent_ctl *c, uint32_t r)
{
	struct agent_ring *g = &c->rings[r];
	uint64_t pos = agent_reserve(c, r, 1);

	CHECK_INT(pos, 0);
	CHECK_INT(g->head, 1);
	CHECK_INT(agent_slot(c, r, 0)->seq, 0);
	agent_publish(c, r, pos);
	CHECK_INT(agent_slot(c, r, 0)->seq, 1);
	CHECK_INT(agent_slot(c, r ^ 1, 0)->seq, 0);     /* rings do not overlap */
	/* Full: the agent waits for numamma, then gives up once it is stale,
	 * taking no slot (numamma, back, must not wait for one never
	 * written), and counts calls until numamma turns it on again. */
	g->head = g->tail + agent_ring_slots(r);
	c->heartbeat_tsc = fake_now;
	waits = 0;
	c->lost = 0;
	agent_count_lost(c);
	CHECK_INT(c->lost, 0);                        /* recording: nothing lost */
	/* A heartbeat from a cpu whose TSC is ahead of this one's is a
	 * fresh one: the agent waits for numamma as for any (a sixth second,
	 * the heartbeat being 500 ticks younger), not at all for one taken
	 * as 2^64 ticks old. */
	c->heartbeat_tsc = fake_now + 500;
	CHECK_INT(agent_reserve(c, r, 1), UINT64_MAX);
	CHECK_INT(waits, 6);
	CHECK_INT(c->state, AGENT_BEHIND);
	c->state = AGENT_ON;
	c->heartbeat_tsc = fake_now;
	waits = 0;
	CHECK_INT(agent_reserve(c, r, 1), UINT64_MAX);
	CHECK_INT(waits, 5);
	CHECK_INT(c->state, AGENT_BEHIND);
	CHECK_INT(g->head, g->tail + agent_ring_slots(r));
	agent_count_lost(c);
	agent_count_lost(c);
	CHECK_INT(c->lost, 2);
	CHECK_INT(agent_reserve(c, r, 1), UINT64_MAX); /* still behind: at once */
	CHECK_INT(waits, 5);
	c->state = AGENT_OFF;                         /* gone (the watchdog): not counted */
	agent_count_lost(c);
	CHECK_INT(c->lost, 2);
	/* A fork child runs the region too: counted, a full ring given up
	 * at once (neither process may write one). */
	c->state = AGENT_SHARED;
	agent_count_lost(c);
	CHECK_INT(c->lost, 3);
	CHECK_INT(agent_reserve(c, r, 1), UINT64_MAX);
	CHECK_INT(waits, 5);
	c->state = AGENT_ON;
	c->lost = 0;
	g->head = g->tail = 0;
	agent_slot(c, r, 0)->seq = 0;
}

/* A ring past the fill numamma asks for (few records while it sleeps,
 * half the ring while it polls, busy) rings numamma's doorbell once until
 * numamma re-arms it (about to sleep); a full ring too; never without a
 * pid, nor while numamma is stale. */
static void test_doorbell_at(struct agent_ctl *c, uint32_t r, uint32_t fill)
{
	struct agent_ring *g = &c->rings[r];

	g->head = g->tail = 0;
	c->doorbell = 0;
	c->doorbell_fill = fill;
	rings_heard = 0;
	for (uint32_t i = 0; i < fill; i++)
		agent_reserve(c, r, 1);
	CHECK_INT(rings_heard, 0);                    /* not yet */
	agent_reserve(c, r, 1);
	CHECK_INT(rings_heard, 1);
	CHECK_INT(doorbell_to, 4242);
	CHECK_INT(c->doorbell, 1);
	for (uint32_t i = 0; i < 100; i++)
		agent_reserve(c, r, 1);
	CHECK_INT(rings_heard, 1);                    /* once until re-armed */
	c->doorbell = 0;                              /* numamma about to sleep */
	agent_reserve(c, r, 1);
	CHECK_INT(rings_heard, 2);
}

static void test_doorbell(struct agent_ctl *c, uint32_t r)
{
	struct agent_ring *g = &c->rings[r];
	uint32_t slots = agent_ring_slots(r), heard;

	g->head = g->tail = 0;
	c->heartbeat_tsc = fake_now;
	c->doorbell = 0;
	c->doorbell_pid = 0;
	c->doorbell_fill = AGENT_DOORBELL_IDLE;
	rings_heard = 0;
	for (uint32_t i = 0; i < slots; i++)
		agent_reserve(c, r, 1);
	CHECK_INT(rings_heard, 0);                    /* no pid: no doorbell */
	c->doorbell_pid = 4242;
	test_doorbell_at(c, r, AGENT_DOORBELL_IDLE);
	/* Busy: at half the ring, a small one's half. */
	if (slots / 2 < AGENT_DOORBELL_BUSY) {
		c->doorbell_fill = AGENT_DOORBELL_BUSY;
		g->head = g->tail = 0;
		c->doorbell = 0;
		rings_heard = 0;
		for (uint32_t i = 0; i < slots / 2; i++)
			agent_reserve(c, r, 1);
		CHECK_INT(rings_heard, 0);            /* not yet */
		agent_reserve(c, r, 1);
		CHECK_INT(rings_heard, 1);
	} else {
		test_doorbell_at(c, r, AGENT_DOORBELL_BUSY);
	}
	/* Full, numamma stale: no doorbell, the call given up. */
	c->doorbell = 0;
	g->head = g->tail + slots;
	fake_now += c->stale_tsc;
	heard = rings_heard;
	CHECK_INT(agent_reserve(c, r, 1), UINT64_MAX);
	CHECK_INT(rings_heard, heard);
	c->state = AGENT_ON;
	c->doorbell = 0;
	c->doorbell_pid = 0;
	c->heartbeat_tsc = fake_now;
	g->head = g->tail = 0;
	for (uint32_t i = 0; i < slots; i++)
		agent_slot(c, r, i)->seq = 0;
}

/* The rings one after another, the first 32 of AGENT_RING_SLOTS records,
 * the others smaller; a slot's position wraps at its ring's size. */
static void test_ring_layout(struct agent_ctl *c)
{
	for (uint32_t r = 0; r + 1 < AGENT_RINGS; r++)
		CHECK(agent_ring_first(r) + agent_ring_slots(r) == agent_ring_first(r + 1));
	CHECK(agent_ring_first(AGENT_RINGS - 1) + agent_ring_slots(AGENT_RINGS - 1) ==
	      AGENT_ALL_RING_SLOTS);
	CHECK_INT(agent_ring_slots(AGENT_BIG_RINGS - 1), AGENT_RING_SLOTS);
	CHECK_INT(agent_ring_slots(AGENT_BIG_RINGS), AGENT_SMALL_RING_SLOTS);
	CHECK(agent_slot(c, 100, AGENT_SMALL_RING_SLOTS + 3) == agent_slot(c, 100, 3));
	CHECK(agent_slot(c, 100, 0) == agent_slot(c, 99, AGENT_SMALL_RING_SLOTS - 1) + 1);
}

/* TCBs take rings 1.. one each, for good; when all are taken, ring 0;
 * a thread that reuses a TCB gets its ring back. */
static void test_ring_owners(struct agent_ctl *c)
{
	struct agent_inside in[AGENT_RINGS + 1] = { 0 }, again = { .key = 0x7f0000003000 };

	for (uint32_t k = 0; k <= AGENT_RINGS; k++)
		in[k].key = 0x7f0000000000 + k * 4096;
	for (uint32_t k = 0; k < AGENT_RINGS - 1; k++)
		CHECK_INT(agent_ring_of(c, &in[k]), k + 1);
	CHECK_INT(agent_ring_of(c, &in[AGENT_RINGS - 1]), 0);
	CHECK_INT(agent_ring_of(c, &in[3]), 4);          /* kept */
	CHECK_INT(agent_ring_of(c, &again), 4);          /* the TCB's ring */
	for (uint32_t k = 0; k < AGENT_RINGS; k++)
		c->rings[k].owner = 0;
}

/* Whose region a call writes: a fork child's own once its owner page
 * says so (the kernel zeroes the page in a fork child). */
static void test_region_owner(struct agent_ctl *c)
{
	struct agent_owner o = { .state = AGENT_OWNER_MINE };

	CHECK_INT(agent_region_step(c), AGENT_REGION_OWN);      /* no owner page */
	c->owner_at = (uint64_t)(uintptr_t)&o;
	CHECK_INT(agent_region_step(c), AGENT_REGION_OWN);
	/* A fork child numamma made no region ready for: it stops. */
	o.state = AGENT_OWNER_NONE;
	CHECK(!agent_region_mine(c));
	CHECK_INT(agent_region_step(c), AGENT_REGION_TRAP);
	c->state = AGENT_BEHIND;
	CHECK_INT(agent_region_step(c), AGENT_REGION_TRAP);
	c->state = AGENT_SHARED;                /* counts with its parent */
	CHECK_INT(agent_region_step(c), AGENT_REGION_OWN);
	c->state = AGENT_OFF;                   /* numamma gone */
	CHECK_INT(agent_region_step(c), AGENT_REGION_PASS);
	/* One made ready: mapped, then the one mapped is its own. */
	c->state = AGENT_ON;
	c->token = 4;
	o = (struct agent_owner){ .state = AGENT_OWNER_MAP, .token = 5 };
	CHECK(!agent_region_mine(c));
	CHECK_INT(agent_region_step(c), AGENT_REGION_MAP);
	c->state = AGENT_SHARED;                /* the parent's: its own is ready */
	CHECK_INT(agent_region_step(c), AGENT_REGION_MAP);
	c->state = AGENT_OFF;
	CHECK_INT(agent_region_step(c), AGENT_REGION_PASS);
	c->token = 5;
	CHECK(agent_region_mine(c));
	CHECK_INT(agent_region_step(c), AGENT_REGION_OWN);
	c->state = AGENT_ON;
	c->owner_at = 0;
	c->token = 0;
}

static void test_stacks(struct agent_ctl *c)
{
	uint64_t ips[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, h;
	struct agent_rec *r;
	struct agent_rec_ips *x;

	h = agent_stack(c, 2, ips, 9);
	CHECK_INT(h, agent_hash_ips(ips, 9));
	CHECK_INT(c->rings[2].head, 3);         /* header + 2 slots of ips */
	r = agent_slot(c, 2, 0);
	CHECK_INT(r->type, AGENT_REC_STACK);
	CHECK_INT(r->nframes, 9);
	CHECK_INT(r->hash, h);
	CHECK(r->tsc != 0);
	x = (struct agent_rec_ips *)agent_slot(c, 2, 2);
	CHECK_INT(x->seq, 3);
	CHECK_INT(x->ip[1], 9);
	CHECK_INT(agent_stack(c, 5, ips, 9), h);   /* sent once, whatever the ring */
	CHECK_INT(c->rings[5].head, 0);
	CHECK(agent_stack(c, 2, ips, 8) != h);
	c->rings[2].head = c->rings[2].tail = 0;
}

/* The stack set starts at its smallest size and doubles once half of it
 * is written, up to its reserved size.  A stack sent before a doubling is
 * looked up at its new place: sent again (a miss), then found. */
static void test_table_growth(struct agent_ctl *c)
{
	uint64_t ips[1], head;

	memset(&c->growth, 0, sizeof(c->growth));
	memset(agent_at(c, AGENT_OFF_STACKSET), 0, AGENT_STACKSET_SPACE * sizeof(uint64_t));
	CHECK_INT(agent_table_size(c, AGENT_T_STACKSET), AGENT_STACKSET_MIN);
	CHECK_INT(agent_table_size(c, AGENT_T_IPCACHE), AGENT_IPCACHE_MIN);
	for (uint64_t i = 1; i < AGENT_STACKSET_MIN / 2; i++) {
		ips[0] = i;
		agent_stack(c, 2, ips, 1);
		c->rings[2].tail = c->rings[2].head;
	}
	CHECK_INT(agent_table_size(c, AGENT_T_STACKSET), AGENT_STACKSET_MIN);
	ips[0] = AGENT_STACKSET_MIN / 2;
	agent_stack(c, 2, ips, 1);
	CHECK_INT(agent_table_size(c, AGENT_T_STACKSET), 2 * AGENT_STACKSET_MIN);
	CHECK_INT(agent_table_size(c, AGENT_T_IPCACHE), AGENT_IPCACHE_MIN);   /* its own count */
	head = c->rings[2].head;
	ips[0] = AGENT_STACKSET_MIN / 2;
	agent_stack(c, 2, ips, 1);      /* written after the doubling: found */
	CHECK_INT(c->rings[2].head, head);
	/* One written before whose place moved with the size: found at
	 * the size it was written at, not sent again. */
	ips[0] = 1;
	while (!(mix(agent_hash_ips(ips, 1)) & AGENT_STACKSET_MIN))
		ips[0]++;
	for (int k = 0; k < 2; k++)
		agent_stack(c, 2, ips, 1);
	CHECK_INT(c->rings[2].head, head);
	/* Thousands of stacks in turn, over doublings: each sent once. */
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 1; i <= 3000; i++) {
			ips[0] = 0x400000 + 16 * i;
			agent_stack(c, 2, ips, 1);
			c->rings[2].tail = c->rings[2].head;
		}
	CHECK_INT(c->rings[2].head, head + 2 * 3000);   /* a header and a slot of ips each */
	for (uint64_t i = 0; i < 2 * AGENT_STACKSET; i++)
		agent_table_filled(c, AGENT_T_STACKSET);
	CHECK_INT(agent_table_size(c, AGENT_T_STACKSET), AGENT_STACKSET);
	memset(&c->growth, 0, sizeof(c->growth));
	memset(agent_at(c, AGENT_OFF_STACKSET), 0, AGENT_STACKSET_SPACE * sizeof(uint64_t));
	c->rings[2].head = c->rings[2].tail = 0;
}

static void test_inside(struct agent_ctl *c)
{
	struct agent_inside *a = agent_inside(c, 0x7f0000001000), *b = agent_inside(c, 0x7f0000002000);

	CHECK(a && b && a != b);
	CHECK(agent_inside(c, 0x7f0000001000) == a);
	/* A freed entry is reused; the other thread's entry stays its own. */
	struct agent_inside *d;

	a->key = AGENT_INSIDE_FREED;
	d = agent_inside(c, 0x7f0000003000);
	CHECK(d && d != b);
	CHECK(agent_inside(c, 0x7f0000002000) == b);
	d->key = AGENT_INSIDE_FREED;
	/* Many threads over time, few at once: the table never fills. */
	for (uint64_t k = 1; k <= 4 * AGENT_INSIDE; k++) {
		struct agent_inside *e = agent_inside(c, 0x7e0000000000 + k * 4096);

		CHECK(e != NULL);
		if (!e)
			break;
		e->key = AGENT_INSIDE_FREED;
	}
}

/* ---- made-up unwind data ---- */

#define CODE 0x10000            /* the made-up code, after the data */
struct fake_fn {
	uint32_t at;            /* from the code's start, 0x100 bytes long */
	uint8_t insns[8];       /* its FDE's instructions */
	uint8_t len;
};

static uint8_t *put_s32(uint8_t *p, int64_t v)
{
	int32_t x = (int32_t)v;

	memcpy(p, &x, 4);
	return p + 4;
}

/* .eh_frame_hdr at data, .eh_frame at data + 0x100: a CIE (CFA = rsp + 8,
 * the return address at CFA - 8) and an FDE per function of the code at
 * code (never read: within 2 GiB of data). */
static struct agent_module fake_module(uint8_t *data, uint64_t code, const struct fake_fn *fns,
				       int n)
{
	static const uint8_t cie[] = { 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,
				       0x0c, 7, 8, 0x90, 1 };
	uint8_t *eh = data + 0x100, *p = eh, *hdr = data;

	p = put_s32(p, 4 + sizeof(cie));
	p = put_s32(p, 0);
	memcpy(p, cie, sizeof(cie));
	p += sizeof(cie);
	hdr[0] = 1, hdr[1] = 0x1b, hdr[2] = 0x03, hdr[3] = 0x3b;
	put_s32(hdr + 4, eh - (hdr + 4));
	put_s32(hdr + 8, n);
	for (int i = 0; i < n; i++) {
		uint8_t *fde = p;

		put_s32(hdr + 12 + 8 * i, (int64_t)(code + fns[i].at) - (int64_t)(uintptr_t)hdr);
		put_s32(hdr + 16 + 8 * i, fde - hdr);
		p = put_s32(p, 4 + 4 + 4 + 1 + fns[i].len);
		p = put_s32(p, p - eh);                 /* back to the CIE */
		p = put_s32(p, (int64_t)(code + fns[i].at) - (int64_t)(uintptr_t)p);
		p = put_s32(p, 0x100);
		*p++ = 0;                               /* no augmentation data */
		memcpy(p, fns[i].insns, fns[i].len);
		p += fns[i].len;
	}
	return (struct agent_module){ .start = code, .end = code + 0x4000,
				      .eh_hdr = (uint64_t)(uintptr_t)hdr, .eh_hdr_end = (uint64_t)(uintptr_t)eh,
				      .eh_frame = (uint64_t)(uintptr_t)eh, .eh_frame_end = (uint64_t)(uintptr_t)p };
}

static void publish(struct agent_ctl *c, uint64_t first, const struct agent_module *m)
{
	((struct agent_module *)agent_at(c, AGENT_OFF_MODULES))[first] = *m;
	c->modules = first << 32 | 1;
}

/* f: CFA = rsp + 16, rbp unchanged; g: rbp-based, rbp saved at CFA - 16;
 * main: the return address undefined, the outermost frame. */
static const struct fake_fn three[] = {
	{ 0x1000, { 0x0e, 16 }, 2 },
	{ 0x2000, { 0x0c, 6, 16, 0x86, 2 }, 5 },
	{ 0x3000, { 0x07, 16 }, 2 },
};

/* On the stack of test_walk: the second call is answered from the cache
 * (nothing is walked: f's unwind data gone meanwhile does not matter), a
 * changed word on the stack or a new module list is a miss, and ring 0
 * has no cache. */
static void test_stack_cache(struct agent_ctl *c, uint64_t *stack, uint64_t base,
			     struct agent_module *m, uint64_t code)
{
	uint64_t ips[3] = { code + 0x1010, code + 0x2020, code + 0x3030 };
	uint64_t h = agent_hash_ips(ips, 3), pub = c->modules, hdr = m->eh_hdr;

	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), h);
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	m->eh_hdr = 0;              /* a walk would stop at f */
	publish(c, 0, m);
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), h);
	CHECK(agent_call_stack(c, 0, base, base + 32, 8, ANY) != h);
	m->eh_hdr = hdr;
	publish(c, 0, m);
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	stack[5] = code + 0x3031;   /* g's caller changed */
	CHECK(agent_call_stack(c, 1, base, base + 32, 8, ANY) != h);
	stack[5] = code + 0x3030;
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), h);
	c->modules = 0;             /* another list: walked again */
	CHECK(agent_call_stack(c, 1, base, base + 32, 8, ANY) != h);
	c->modules = pub;
	/* Two callers alternating at the same depth (same rsp, same return
	 * address, a word further up differs): both stay cached (two ways),
	 * answered with the unwind data gone. */
	{
		uint64_t ips_b[3] = { code + 0x1010, code + 0x2020, code + 0x3031 };
		uint64_t hb = agent_hash_ips(ips_b, 3);

		memset(agent_at(c, AGENT_OFF_STACKCACHE), 0,
		       2 * AGENT_STACKCACHE_RING);
		CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), h);
		stack[5] = code + 0x3031;
		CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), hb);
		m->eh_hdr = 0;
		publish(c, 0, m);
		c->modules = pub;   /* the same list: the cache holds */
		memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
		CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), hb);
		stack[5] = code + 0x3030;
		CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), h);
		m->eh_hdr = hdr;
		publish(c, 0, m);
	}
	c->rings[0].head = c->rings[0].tail = c->rings[1].head = c->rings[1].tail = 0;
}

/* A frame-pointer chain deeper than 16 frames (each frame reads its
 * return address and its saved rbp) is cached too: the second call is
 * answered with the unwind data gone.  With room for 34 words, such a
 * stack was walked again at every call. */
static void test_deep_stack_cache(struct agent_ctl *c, struct agent_module *m, uint64_t code)
{
	enum { FRAMES = 20 };
	uint64_t stack[2 * FRAMES + 4] = { 0 }, ips[AGENT_MAX_FRAMES], h, hdr = m->eh_hdr;
	uint64_t base = (uint64_t)(uintptr_t)stack, pub = c->modules;

	stack[0] = code + 0x2020;   /* g, rbp-based, FRAMES times */
	for (int k = 0; k < FRAMES; k++) {
		stack[2 + 2 * k] = base + 16 + 16 * (k + 1);  /* saved rbp: the next frame */
		stack[3 + 2 * k] = k + 1 < FRAMES ? code + 0x2020 : code + 0x3030;
	}
	CHECK_INT(agent_walk(c, base, base + 16, ips, 23, ANY), FRAMES + 1);
	/* A frame on the chain is known by the slot of its return address
	 * (an allocator's free, agent.c): the first one, a deep one; not a
	 * saved rbp's slot, nor a word past the walk. */
	CHECK(agent_walk_passes(c, base, base + 16, base, ANY));
	CHECK(agent_walk_passes(c, base, base + 16, base + 8 * 3, ANY));
	CHECK(agent_walk_passes(c, base, base + 16, base + 8 * (3 + 2 * (FRAMES - 1)), ANY));
	CHECK(!agent_walk_passes(c, base, base + 16, base + 16, ANY));
	CHECK(!agent_walk_passes(c, base, base + 16, base + 8 * (3 + 2 * FRAMES), ANY));
	memset(agent_at(c, AGENT_OFF_STACKCACHE), 0, 2 * AGENT_STACKCACHE_RING);
	h = agent_call_stack(c, 1, base, base + 16, 23, ANY);
	CHECK(h != 0);
	m->eh_hdr = 0;
	publish(c, 0, m);
	c->modules = pub;
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	CHECK_INT(agent_call_stack(c, 1, base, base + 16, 23, ANY), h);
	m->eh_hdr = hdr;
	publish(c, 0, m);
	c->rings[1].head = c->rings[1].tail = 0;
}

/* The callers of one wrapper at one depth (a program's 3,000 call
 * sites of its allocation function, each a stack of its own): every
 * stack is known, answered without a walk (a walk would compute main's
 * rule for its return address again, the rule cache emptied, and log
 * it).  The cache's set for (rsp, the return address into f) holds two
 * of them; without the known walks, every other call walked again.  The
 * table at its largest, a few of 96 may still meet in a set of four. */
static void test_stack_cache_callers(struct agent_ctl *c, uint64_t *stack, uint64_t base,
				     uint64_t code)
{
	enum { CALLERS = 96 };
	uint64_t h[CALLERS], ra = stack[5];
	int answered = 0;

	memset(&c->growth, 0, sizeof(c->growth));
	c->rings[1].walks_steps = 7;
	memset(agent_at(c, AGENT_OFF_STACKCACHE), 0, 2 * AGENT_STACKCACHE_RING);
	for (int k = 0; k < CALLERS; k++) {
		uint64_t ips[3] = { code + 0x1010, code + 0x2020, code + 0x3001 + k };

		stack[5] = ips[2];
		h[k] = agent_call_stack(c, 1, base, base + 32, 8, ANY);
		CHECK_INT(h[k], agent_hash_ips(ips, 3));
	}
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	c->rulelog_n = 0;
	for (int k = 0; k < CALLERS; k++) {
		uint32_t rules = c->rulelog_n;

		stack[5] = code + 0x3001 + k;
		answered += agent_call_stack(c, 1, base, base + 32, 8, ANY) == h[k] &&
			    c->rulelog_n == rules;
	}
	CHECK(answered >= CALLERS - 4);
	/* rbp at entry is part of the key where g's CFA came from it: the
	 * same words with another rbp are walked (g's CFA then below its
	 * frame: the walk ends at g). */
	stack[5] = ra;
	CHECK(agent_call_stack(c, 1, base, base + 32, 8, ANY) != 0);
	{
		uint64_t ips[2] = { code + 0x1010, code + 0x2020 };

		CHECK_INT(agent_call_stack(c, 1, base, base + 8, 8, ANY), agent_hash_ips(ips, 2));
	}
	memset(&c->growth, 0, sizeof(c->growth));
	c->rings[1].walks_steps = 0;
	c->rings[0].head = c->rings[0].tail = c->rings[1].head = c->rings[1].tail = 0;
}

/* A thread's known walks double with its own walks: another thread's
 * many stacks leave its table at its smallest (grown by the process's,
 * each of 64 threads' tables was as large as all their walks together). */
static void test_known_walks_growth(struct agent_ctl *c)
{
	for (uint64_t k = 1; k <= AGENT_KNOWN_WALKS_MIN / 2; k++)
		know_walk(c, 1, k * 0x9e3779b97f4a7c15ULL, k);
	CHECK_INT(known_walks_size(c, 1), 2 * AGENT_KNOWN_WALKS_MIN);
	CHECK_INT(known_walks_size(c, 2), AGENT_KNOWN_WALKS_MIN);
	c->rings[1].walks_steps = c->rings[1].walks_fills = 0;
	memset(agent_at(c, AGENT_OFF_STACKCACHE), 0, 3 * AGENT_STACKCACHE_RING);
}

/* After the ip cache doubled, a rule cached at the smaller size is moved
 * to its place in the larger one, not computed again: g's unwind data
 * gone meanwhile, it is still g's rule, where an ip never cached ends
 * the walk. */
static void test_ipcache_growth(struct agent_ctl *c, struct agent_module *m, uint64_t code)
{
	uint64_t ip = code + 0x2000, pub = c->modules, hdr = m->eh_hdr;
	struct agent_rule r;

	while (!(mix(ip) & AGENT_IPCACHE_MIN))       /* its slot moves at the doubling */
		ip++;
	CHECK(ip < code + 0x2100);
	memset(&c->growth, 0, sizeof(c->growth));
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	agent_unwind_rule(c, ip, &r);
	CHECK_INT(r.cfa_reg, AGENT_CFA_RBP);
	c->growth.steps[AGENT_T_IPCACHE] = 1;
	m->eh_hdr = 0;
	publish(c, 0, m);
	c->modules = pub;
	agent_unwind_rule(c, ip, &r);
	CHECK_INT(r.cfa_reg, AGENT_CFA_RBP);
	CHECK_INT(r.rbp_off, -16);
	agent_unwind_rule(c, ip + 0x100 - 1 - (ip - code - 0x2000), &r);
	CHECK_INT(r.cfa_reg, AGENT_CFA_END);
	m->eh_hdr = hdr;
	publish(c, 0, m);
	memset(&c->growth, 0, sizeof(c->growth));
	memset(agent_at(c, AGENT_OFF_IPCACHE), 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
}

/* Three return addresses in one set of the ip cache (f's and g's, found
 * by their hashes): two stay cached (two ways), a third evicts the older.
 * Direct-mapped, the second evicted the first.  Checked with the unwind
 * data gone, where a rule not cached ends the walk. */
static void test_ipcache_ways(struct agent_ctl *c, struct agent_module *m, uint64_t code)
{
	struct agent_ipcache *t = agent_at(c, AGENT_OFF_IPCACHE);
	uint64_t ips[3], pub = c->modules, hdr = m->eh_hdr;
	struct agent_rule r;
	int n = 0;

	for (uint64_t first = code + 0x1000; n < 3 && first < code + 0x1100; first++) {
		n = 0;
		for (uint64_t a = first; n < 3 && a < code + 0x2100; a++) {
			if (a == code + 0x1100)
				a = code + 0x2000;
			if (agent_ipcache_at(t, AGENT_IPCACHE_MIN, a) == agent_ipcache_at(t, AGENT_IPCACHE_MIN, first))
				ips[n++] = a;
		}
	}
	CHECK_INT(n, 3);
	memset(&c->growth, 0, sizeof(c->growth));
	memset(t, 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
	for (int k = 0; k < 3; k++) {
		agent_unwind_rule(c, ips[k], &r);
		CHECK(r.cfa_reg != AGENT_CFA_END);
		m->eh_hdr = 0;
		publish(c, 0, m);
		c->modules = pub;
		agent_unwind_rule(c, ips[k], &r);               /* the newest */
		CHECK(r.cfa_reg != AGENT_CFA_END);
		if (k) {
			agent_unwind_rule(c, ips[k - 1], &r);   /* kept: second way */
			CHECK(r.cfa_reg != AGENT_CFA_END);
		}
		if (k == 2) {
			agent_unwind_rule(c, ips[0], &r);       /* evicted */
			CHECK_INT(r.cfa_reg, AGENT_CFA_END);
		}
		m->eh_hdr = hdr;
		publish(c, 0, m);
	}
	memset(&c->growth, 0, sizeof(c->growth));
	memset(t, 0, AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));
}

/* A cached walk names the words it read by their offset from rsp, in 32
 * bits: a walk that read further (48 frames of up to 64 MiB may) is not
 * cached, one that read only below 2 GiB is. */
static void test_cached_offsets(void)
{
	uint64_t rsp = 0x7f0000000000ULL;
	struct walk_reads w = { .n = 3, .addr = { rsp, rsp + 4096, rsp + (1ULL << 31) - 8 } };

	CHECK(near_rsp(&w, rsp));
	w.addr[1] = rsp - 8;            /* a saved rbp just below */
	CHECK(near_rsp(&w, rsp));
	w.addr[2] = rsp + (1ULL << 31);
	CHECK(!near_rsp(&w, rsp));
}

static void forget_stacks(struct agent_ctl *c)
{
	memset(agent_at(c, AGENT_OFF_STACKCACHE), 0, 2 * AGENT_STACKCACHE_RING);
	c->rings[1].head = c->rings[1].tail = 0;
}

/* With call_depth, a walk ends once that many frames follow the
 * allocation wrappers' on top (a wrapper function's range, or a wrapper
 * module: all its frames), as hooks_user_frames() keeps them. */
static void test_walk_depth(struct agent_ctl *c, struct agent_module *m, uint64_t base,
			    uint64_t code)
{
	uint64_t ips[3] = { code + 0x1010, code + 0x2020, code + 0x3030 };

	c->call_depth = 1;
	forget_stacks(c);
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), agent_hash_ips(ips, 1));
	c->wrappers[0].start = code + 0x1000;       /* f wraps the allocator */
	c->wrappers[0].end = code + 0x1100;
	c->nr_wrappers = 1;
	forget_stacks(c);
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), agent_hash_ips(ips, 2));
	c->nr_wrappers = 0;
	m->wrapper = 1;                             /* every frame a wrapper's */
	publish(c, 0, m);
	forget_stacks(c);
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), agent_hash_ips(ips, 3));
	m->wrapper = 0;
	publish(c, 0, m);
	c->call_depth = 0;
	forget_stacks(c);
	CHECK_INT(agent_call_stack(c, 1, base, base + 32, 8, ANY), agent_hash_ips(ips, 3));
	forget_stacks(c);
}

/* A walk reads nothing past its span's end: a stack switched by hand,
 * its frames' rules leading off its mapping, faulted in the program.
 * Past the end, the next page only where the kernel says it is readable,
 * and where asking is allowed; a walk cached from a longer stack is not
 * taken for one that ends sooner.  The span: the thread's stack when rsp
 * is on it, else rsp's page. */
static void test_walk_span(struct agent_ctl *c, uint64_t base, uint64_t code)
{
	uint64_t ips[3] = { code + 0x1010, code + 0x2020, code + 0x3030 }, got[8], h;
	struct agent_inside in = { .tid = 5, .stack_lo = base - 64, .stack_hi = base + 40 };
	struct agent_span s;

	CHECK_INT(agent_walk(c, base, base + 32, got, 8, &(struct agent_span){ base, base + 40, 0, 0 }), 2);
	CHECK_INT(agent_walk(c, base, base + 32, got, 8, &(struct agent_span){ base, base + 16, 0, 0 }), 1);
	CHECK_INT(agent_walk(c, base, base + 32, got, 8, &(struct agent_span){ base + 8, base + 40, 0, 0 }), 0);
	probes = 0;
	probe_answer = 1;
	s = (struct agent_span){ base, base + 40, 5, 1 };
	CHECK_INT(agent_walk(c, base, base + 32, got, 8, &s), 3);
	CHECK_INT(probes, 1);
	CHECK_INT(s.end, base + 40 + 4096);
	probe_answer = 0;
	CHECK_INT(agent_walk(c, base, base + 32, got, 8, &(struct agent_span){ base, base + 40, 5, 1 }), 2);
	CHECK_INT(probes, 2);
	forget_stacks(c);
	h = agent_call_stack(c, 1, base, base + 32, 8, ANY);
	CHECK_INT(h, agent_hash_ips(ips, 3));
	CHECK(agent_call_stack(c, 1, base, base + 32, 8, &(struct agent_span){ base, base + 40, 0, 0 }) != h);
	forget_stacks(c);
	s = agent_stack_span(c, &in, base);
	CHECK_INT(s.start, base);
	CHECK_INT(s.end, base + 40);
	CHECK_INT(s.tid, 5);
	CHECK_INT(s.may_probe, 1);
	in.stack_hi = base;                 /* rsp off the thread's stack */
	s = agent_stack_span(c, &in, base);
	CHECK_INT(s.end, (base | 4095) + 1);
	c->probe_refused = 1;
	CHECK_INT(agent_stack_span(c, &in, base).may_probe, 0);
	c->probe_refused = 0;
}

/* A stack hashes by its frames' ids (ip + the module's id_delta): the
 * same code loaded elsewhere (another process) with its delta moved
 * alike gives the same hash, found in the set, not sent again; an ip in
 * no module is its own id; a hash numamma put in the set (the stacks of
 * an executable's earlier processes) is not sent. */
static void test_stack_ids(struct agent_ctl *c, struct agent_module m, uint64_t code)
{
	const uint64_t shift = 0x7000000, delta = 0x123456789000;
	uint64_t ips[3] = { code + 0x1010, code + 0x2020, code + 0x3030 }, ids[3], head;
	uint64_t moved_ips[3] = { ips[0] + shift, ips[1] + shift, ips[2] + shift };
	uint64_t stray[2] = { moved_ips[0], code + shift + 0x9000 };   /* past its end */
	uint64_t set_size = agent_table_size(c, AGENT_T_STACKSET), *e, h;

	for (int i = 0; i < 3; i++)
		ids[i] = ips[i] + delta;
	m.id_delta = delta;
	publish(c, 0, &m);
	head = c->rings[2].head;
	h = agent_stack(c, 2, ips, 3);
	CHECK_INT(h, agent_hash_ips(ids, 3));
	CHECK(c->rings[2].head > head);
	head = c->rings[2].head;
	m.start += shift;
	m.end += shift;
	m.id_delta = delta - shift;
	publish(c, 0, &m);
	CHECK_INT(agent_stack(c, 2, moved_ips, 3), h);
	CHECK_INT(c->rings[2].head, head);
	ids[1] = stray[1];
	ids[0] = stray[0] + m.id_delta;
	CHECK_INT(agent_stack(c, 2, stray, 2), agent_hash_ips(ids, 2));
	m.start -= shift;
	m.end -= shift;
	m.id_delta = 0;
	publish(c, 0, &m);
	/* numamma's prefill, then the agent's lookup. */
	ids[0] = 0x1234;
	h = agent_hash_ips(ids, 1);
	e = agent_stackset_slot(agent_at(c, AGENT_OFF_STACKSET), set_size, h);
	CHECK(e != NULL && *e == 0);
	*e = h;
	head = c->rings[2].head;
	CHECK_INT(agent_stack(c, 2, ids, 1), h);
	CHECK_INT(c->rings[2].head, head);
	c->rings[2].head = c->rings[2].tail = 0;
}

static void test_walk(struct agent_ctl *c)
{
	uint8_t *data = calloc(1, 0x1000), *other = calloc(1, 0x1000);
	uint64_t code = (uint64_t)(uintptr_t)data + CODE;
	struct agent_module m = fake_module(data, code, three, 3), moved;
	uint64_t stack[16] = { 0 }, ips[8], base = (uint64_t)stack;
	struct fake_fn g_wider[] = { three[0], three[1], three[2] };
	struct agent_rule r;
	int n;

	publish(c, 0, &m);
	stack[0] = code + 0x1010;   /* the allocator returns into f */
	/* f's frame: 8 bytes of locals, then its return address into g */
	stack[2] = code + 0x2020;
	/* g's frame, rbp-based: rbp = &stack[4], saved rbp at [4], ra at [5] */
	stack[4] = 0x4242;
	stack[5] = code + 0x3030;
	n = agent_walk(c, base, base + 4 * 8, ips, 8, ANY);
	CHECK_INT(n, 3);
	CHECK_INT(ips[0], code + 0x1010);
	CHECK_INT(ips[1], code + 0x2020);
	CHECK_INT(ips[2], code + 0x3030);
	CHECK_INT(agent_walk(c, base, base + 32, ips, 2, ANY), 2);
	CHECK(agent_module_of(c, code + 0x20ff) != NULL);
	CHECK(agent_module_of(c, code + 0x4000) == NULL);
	CHECK_INT(agent_cfi_rule(&m, code + 0x2100, &r), 0);   /* no FDE there */
	c->rulelog_n = 0;
	agent_unwind_rule(c, code + 0x20ff, &r);
	CHECK_INT(r.cfa_reg, AGENT_CFA_RBP);
	CHECK_INT(r.cfa_off, 16);
	CHECK_INT(r.rbp_off, -16);
	agent_unwind_rule(c, code + 0x20ff, &r);              /* from the cache */
	CHECK_INT(r.cfa_reg, AGENT_CFA_RBP);
	CHECK_INT(r.rbp_off, -16);
	/* Computed once, logged once, as the cache holds it (generation
	 * byte included), for numamma to hand to the next processes. */
	{
		const struct agent_rulelog *log = agent_at(c, AGENT_OFF_RULELOG);
		const struct agent_ipcache *e = agent_ipcache_at(agent_at(c, AGENT_OFF_IPCACHE),
				agent_table_size(c, AGENT_T_IPCACHE), code + 0x20ff);

		CHECK_INT(c->rulelog_n, 1);
		CHECK_INT(log[0].ip, code + 0x20ff);
		CHECK_INT(log[0].rule, e->rule);
		CHECK_INT((uint8_t)(log[0].rule >> 56), agent_rules_gen(c->modules));
	}
	/* A new list (another library at the same place) is not answered
	 * from the cache of the old one. */
	g_wider[1].insns[2] = 24;
	moved = fake_module(other, code, g_wider, 3);
	publish(c, 1, &moved);
	agent_unwind_rule(c, code + 0x20ff, &r);
	CHECK_INT(r.cfa_off, 24);
	publish(c, 0, &m);
	agent_unwind_rule(c, code + 0x20ff, &r);
	CHECK_INT(r.cfa_off, 16);
	test_stack_cache(c, stack, base, &m, code);
	test_stack_cache_callers(c, stack, base, code);
	test_known_walks_growth(c);
	test_ipcache_growth(c, &m, code);
	test_ipcache_ways(c, &m, code);
	test_cached_offsets();
	test_deep_stack_cache(c, &m, code);
	test_walk_depth(c, &m, base, code);
	test_walk_span(c, base, code);
	test_stack_ids(c, m, code);
	stack[0] = code + 0x5000;   /* no module: the walk ends there */
	CHECK_INT(agent_walk(c, base, 0, ips, 8, ANY), 1);
	free(data);
	free(other);
}

/* The set-ID bits an unprivileged tracer's process loses at an exec
 * (the tracer's effective ids 1000:1000 here). */
static void test_exec_setid(void)
{
	CHECK_INT(exec_setid_lost(0100755, 0, 0, 1000, 1000), EXEC_SETID_KEPT);
	CHECK_INT(exec_setid_lost(0104755, 0, 0, 1000, 1000), EXEC_SETUID_LOST);
	CHECK_INT(exec_setid_lost(0104755, 1000, 0, 1000, 1000), EXEC_SETID_KEPT);
	CHECK_INT(exec_setid_lost(0102755, 1000, 42, 1000, 1000), EXEC_SETGID_LOST);
	CHECK_INT(exec_setid_lost(0102755, 0, 1000, 1000, 1000), EXEC_SETID_KEPT);
	CHECK_INT(exec_setid_lost(0106755, 1000, 42, 1000, 1000), EXEC_SETGID_LOST);
	CHECK_INT(exec_setid_lost(0106755, 0, 42, 1000, 1000), EXEC_SETUID_LOST);
}

/* The program each exec call names (exec_privilege.h): execve's path,
 * execveat's directory, path and flags, fexecve's descriptor itself, the
 * same through syscall(3); no other call execs. */
static void test_exec_calls(void)
{
	const uint64_t at[6] = { 7, 0x1000, 0x2000, 0x3000, EXEC_AT_SYMLINK_NOFOLLOW, 0 };
	const uint64_t sys_execve[6] = { EXEC_SYS_EXECVE, 0x1000, 0x2000, 0x3000, 0, 0 };
	const uint64_t sys_at[6] = { EXEC_SYS_EXECVEAT, 7, 0x1000, 0x2000, 0x3000, EXEC_AT_EMPTY_PATH };
	const uint64_t sys_other[6] = { 39, 0x1000 };
	struct exec_call e;

	CHECK(exec_call_of(FN_EXECVE, at, &e));
	CHECK_INT(e.dirfd, EXEC_AT_FDCWD);
	CHECK_INT(e.path, 7);
	CHECK_INT(e.flags, 0);
	CHECK(exec_call_of(FN_EXECVEAT, at, &e));
	CHECK_INT(e.dirfd, 7);
	CHECK_INT(e.path, 0x1000);
	CHECK_INT(e.flags, EXEC_AT_SYMLINK_NOFOLLOW);
	CHECK(exec_call_of(FN_FEXECVE, at, &e));
	CHECK_INT(e.dirfd, 7);
	CHECK_INT(e.path, 0);
	CHECK_INT(e.flags, EXEC_AT_EMPTY_PATH);
	CHECK(exec_call_of(FN_SYSCALL, sys_execve, &e));
	CHECK_INT(e.dirfd, EXEC_AT_FDCWD);
	CHECK_INT(e.path, 0x1000);
	CHECK(exec_call_of(FN_SYSCALL, sys_at, &e));
	CHECK_INT(e.dirfd, 7);
	CHECK_INT(e.path, 0x1000);
	CHECK_INT(e.flags, EXEC_AT_EMPTY_PATH);
	CHECK(!exec_call_of(FN_SYSCALL, sys_other, &e));
	CHECK(!exec_call_of(FN_PTRACE, at, &e));
	CHECK(!exec_call_of(FN_MALLOC, at, &e));
	/* Through the agent's stop and back, a negative dirfd whole. */
	e = (struct exec_call){ EXEC_AT_FDCWD, EXEC_AT_EMPTY_PATH, 0x1234 };
	e = exec_call_at_stop(exec_call_word(&e), e.path);
	CHECK_INT(e.dirfd, EXEC_AT_FDCWD);
	CHECK_INT(e.flags, EXEC_AT_EMPTY_PATH);
	CHECK_INT(e.path, 0x1234);
}

/* A path from a directory's descriptor, named for getxattr: whole, or
 * refused where it does not fit (the agent then stops for numamma). */
static void test_exec_path_from_fd(void)
{
	char buf[40];

	CHECK(exec_path_from_fd(buf, sizeof(buf), 0, "a"));
	CHECK_STR(buf, "/proc/self/fd/0/a");
	CHECK(exec_path_from_fd(buf, sizeof(buf), 1234567, "bin/id"));
	CHECK_STR(buf, "/proc/self/fd/1234567/bin/id");
	CHECK(exec_path_from_fd(buf, sizeof(buf), 7, "0123456789012345678901"));
	CHECK_STR(buf, "/proc/self/fd/7/0123456789012345678901");
	CHECK(exec_path_from_fd(buf, sizeof(buf), 7, "01234567890123456789012"));
	CHECK(!exec_path_from_fd(buf, sizeof(buf), 7, "012345678901234567890123"));
	CHECK(!exec_path_from_fd(buf, sizeof(buf), -100, "a"));
	CHECK(!exec_path_from_fd(buf, 16, 7, "a"));
}

/* numamma run: which blocks stop their thread to be placed (those that
 * hold a whole page), and the set of placed blocks whose free stops. */
static void test_placing(struct agent_ctl *c)
{
	uint64_t *set = agent_at(c, AGENT_OFF_PLACED), at;

	CHECK(agent_holds_page(FN_MALLOC, 0x1000, 4096, 4096));
	CHECK(!agent_holds_page(FN_MALLOC, 0x1000, 4095, 4096));
	CHECK(!agent_holds_page(FN_MALLOC, 0x1010, 4096, 4096));        /* across two pages */
	CHECK(!agent_holds_page(FN_MALLOC, 0x1010, 8191 - 0x10, 4096));
	CHECK(agent_holds_page(FN_MALLOC, 0x1010, 8192 - 0x10, 4096));
	CHECK(agent_holds_page(FN_MMAP, 0x7000, 100, 4096));           /* a page, whatever asked */
	CHECK(agent_holds_page(FN_PVALLOC, 0x7000, 1, 4096));
	CHECK(!agent_holds_page(FN_MALLOC, 0, 1 << 20, 4096));          /* failed */
	CHECK(!agent_holds_page(FN_MMAP, (uint64_t)-1, 1 << 20, 4096)); /* MAP_FAILED */
	CHECK(!agent_holds_page(FN_MALLOC, 0x1000, 1 << 20, 0));        /* not run: no stop */

	CHECK(!agent_placed_slot(c, 0x5000));
	at = agent_mix(0x5000) & (AGENT_PLACED - 1);
	set[at] = 0x9000;                                  /* another block in its slot */
	set[(at + 1) & (AGENT_PLACED - 1)] = AGENT_SET_GONE;
	set[(at + 2) & (AGENT_PLACED - 1)] = 0x5000;
	CHECK(agent_placed_slot(c, 0x5000));               /* found past both */
	set[(at + 1) & (AGENT_PLACED - 1)] = AGENT_SET_EMPTY;
	CHECK(!agent_placed_slot(c, 0x5000));                   /* an empty slot ends the probe */
	memset(set, 0, AGENT_PLACED * sizeof(*set));
}

/* numamma's additions to a set (a full one refuses), and the stacks it
 * spared: a heap block's and a mapping's apart. */
static void test_spared_stacks(struct agent_ctl *c)
{
	uint64_t *spared = agent_at(c, AGENT_OFF_SPARED), small[4] = { 0 };

	CHECK(agent_place_stops(c, FN_MALLOC, 0x1234));
	CHECK(agent_set_add(spared, AGENT_SPARED, agent_spare_key(0x1234, false)));
	CHECK(!agent_place_stops(c, FN_MALLOC, 0x1234));
	CHECK(!agent_place_stops(c, FN_CALLOC, 0x1234));   /* any heap block of that stack */
	CHECK(agent_place_stops(c, FN_MMAP, 0x1234));      /* a mapping there: its own rules */
	CHECK(agent_place_stops(c, FN_MALLOC, 0x1235));
	CHECK(agent_place_stops(c, FN_MALLOC, 0));          /* no stack: always stops */
	CHECK(!agent_spare_key(0, true) && !agent_spare_key(0, false));
	CHECK(!agent_set_add(spared, AGENT_SPARED, 0));
	CHECK(agent_set_add(spared, AGENT_SPARED, agent_spare_key(0x1234, false)));  /* there */
	memset(spared, 0, AGENT_SPARED * sizeof(*spared));
	CHECK(agent_place_stops(c, FN_MALLOC, 0x1234));

	for (uint64_t k = 2; k < 6; k++)
		CHECK(agent_set_add(small, 4, k));
	CHECK(!agent_set_add(small, 4, 6));                 /* full */
	CHECK(agent_set_find(small, 4, 5) && !agent_set_find(small, 4, 6));
	*agent_set_find(small, 4, 3) = AGENT_SET_GONE;
	CHECK(agent_set_find(small, 4, 5));                 /* past a key taken out */
	CHECK(agent_set_add(small, 4, 6) && agent_set_find(small, 4, 6));   /* in its slot */
}

/* The stacks whose blocks the agent places itself: numamma's entry
 * (mode and nodes) found by the agent for the same kind of block, and
 * the pages it then binds, as placement.c's plan would: the block's
 * whole pages (a mapping's and pvalloc's rounded up), the page inside
 * each edge a huge page may straddle split first. */
static void test_placing_stacks(struct agent_ctl *c)
{
	struct agent_placing *table = agent_at(c, AGENT_OFF_PLACING), small[2] = { 0 };
	const struct agent_placing *e;
	const struct agent_placed_how *how;
	uint64_t lo, hi, edges[2], set[4] = { 0 }, *slot;

	CHECK(!agent_placing_of(c, FN_MALLOC, 0x1234));
	CHECK(agent_placing_add(table, AGENT_PLACING, agent_spare_key(0x1234, false), 3, 0xf));
	CHECK((e = agent_placing_of(c, FN_CALLOC, 0x1234)) && e->mode == 3 && e->nodemask == 0xf);
	CHECK(!agent_placing_of(c, FN_MMAP, 0x1234));      /* a mapping there: its own rules */
	CHECK(!agent_placing_of(c, FN_MALLOC, 0));          /* no stack */
	CHECK(agent_placing_add(table, AGENT_PLACING, agent_spare_key(0x1234, false), 2, 0x1));
	CHECK(agent_placing_of(c, FN_MALLOC, 0x1234)->mode == 3);   /* written once */
	CHECK(agent_placing_add(small, 2, 7, 2, 1) && agent_placing_add(small, 2, 8, 2, 2));
	CHECK(!agent_placing_add(small, 2, 9, 2, 4));       /* full */
	CHECK(agent_placing_find(small, 2, 8)->nodemask == 2 && !agent_placing_find(small, 2, 9));
	memset(table, 0, AGENT_PLACING * sizeof(*table));

	CHECK(agent_place_range(FN_MALLOC, 0x1010, 3 * 4096, 4096, &lo, &hi));
	CHECK(lo == 0x2000 && hi == 0x4000);                /* the whole pages only */
	CHECK(!agent_place_range(FN_MALLOC, 0x1010, 4096, 4096, &lo, &hi));
	CHECK(agent_place_range(FN_MMAP, 0x7000, 100, 4096, &lo, &hi) && lo == 0x7000 && hi == 0x8000);
	CHECK(agent_place_range(FN_PVALLOC, 0x7000, 4097, 4096, &lo, &hi) && hi == 0x9000);
	CHECK(!agent_place_range(FN_MALLOC, UINT64_MAX - 4095, 8192, 4096, &lo, &hi));
	CHECK_INT(agent_thp_edges(0x200000, 0x600000, edges), 0);  /* huge-page aligned */
	CHECK_INT(agent_thp_edges(0x201000, 0x600000, edges), 1);
	CHECK(edges[0] == 0x201000);
	CHECK_INT(agent_thp_edges(0x200000, 0x5ff000, edges), 1);
	CHECK(edges[0] == 0x5fe000);
	CHECK_INT(agent_thp_edges(0x201000, 0x5ff000, edges), 2);

	/* The placed set, added to by the agent and by numamma alike: a
	 * slot taken out is taken again, a key there is not added twice. */
	CHECK((slot = agent_set_claim(set, 4, 0x5000)) && agent_set_claim(set, 4, 0x5000) == slot);
	CHECK(agent_set_find(set, 4, 0x5000) == slot);
	*slot = AGENT_SET_GONE;
	CHECK(agent_set_claim(set, 4, 0x6000) && agent_set_claim(set, 4, 0x7000));
	CHECK(agent_set_claim(set, 4, 0x8000));
	CHECK(agent_set_claim(set, 4, 0x9000));             /* in the slot taken out */
	CHECK(!agent_set_claim(set, 4, 0xa000));            /* full */
	CHECK(!agent_set_claim(set, 4, AGENT_SET_GONE));
	/* What the agent bound there, beside its slot: its check at the free
	 * counts those pages over those nodes; numamma's (a stop's) none. */
	CHECK(agent_add_placed(c, 0x5000, 0x9000, 0x6) && agent_placed_slot(c, 0x5000));
	how = agent_placed_how(c, agent_placed_slot(c, 0x5000));
	CHECK(how->end == 0x9000 && how->nodemask == 0x6);
	CHECK(!agent_placed_slot(c, 0x6000));
	memset(agent_at(c, AGENT_OFF_PLACED), 0, AGENT_PLACED * sizeof(uint64_t));

	/* The nodes' counts a check sends after its record: those with a
	 * page, each with its count. */
	{
		uint32_t per_node[AGENT_NODES] = { [1] = 5, [3] = 7, [63] = 1 };
		uint64_t words[AGENT_NODES];

		CHECK_INT(agent_check_words(per_node, words), 3);
		CHECK(words[0] == agent_check_word(1, 5) && words[2] == agent_check_word(63, 1));
		CHECK(words[1] >> 48 == 3 && (words[1] & 0xffff) == 7);
	}
}

/* A check's record and its nodes' slot, read back as numamma reads a
 * stack's: the block, its pages, and each node's count. */
static void test_check_record(struct agent_ctl *c)
{
	struct agent_check k = { .block = 0x7000, .pages = 9, .present = 8, .on_nodes = 6,
				 .per_node = { [0] = 2, [2] = 6 }, .tid = 42 };
	const struct agent_rec *r;
	const struct agent_rec_ips *x;

	c->rings[2].head = c->rings[2].tail = 0;
	CHECK(agent_send_check(c, 2, &k));
	CHECK_INT(c->rings[2].head, 2);
	r = agent_slot(c, 2, 0);
	x = (const struct agent_rec_ips *)agent_slot(c, 2, 1);
	CHECK(r->type == AGENT_REC_CHECK && r->nframes == 2 && r->tid == 42);
	CHECK(r->args[0] == 0x7000 && r->args[1] == 9 && r->args[2] == 8 && r->ret == 6);
	CHECK(x->type == AGENT_REC_IPS && x->ip[0] == agent_check_word(0, 2) &&
	      x->ip[1] == agent_check_word(2, 6) && x->ip[2] == 0);
	c->rings[2].head = c->rings[2].tail = 0;
}

int main(void)
{
	struct agent_ctl *c = new_region();

	test_ring(c, 0);
	test_ring(c, 3);
	test_ring(c, 100);
	test_ring_layout(c);
	test_doorbell(c, 2);
	test_doorbell(c, 100);
	test_ring_owners(c);
	test_region_owner(c);
	test_stacks(c);
	test_table_growth(c);
	test_inside(c);
	test_walk(c);
	test_exec_setid();
	test_exec_calls();
	test_exec_path_from_fd();
	test_placing(c);
	test_spared_stacks(c);
	test_placing_stacks(c);
	test_check_record(c);
	return unit_done();
}
