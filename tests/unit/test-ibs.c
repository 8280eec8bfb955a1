/* AMD IBS: the ibs_op attr from a fake sysfs tree, and synthetic samples
 * (raw IBS registers, with and without the kernel's own decoding) read
 * out of a ring buffer where one wraps, decoded through sampler_ibs;
 * plus one PEBS sample decoded through sampler_pebs. */
#include <stdlib.h>
#include <time.h>

#include "fake-tree.h"
#include "perf_ring.h"
#include "pmu.h"
#include "sampler_backend.h"
#include "synth-record.h"
#include "unit.h"

static char why[512];

/* IBS_OP_DATA3 bits, as arch/x86/include/asm/amd-ibs.h lays them out. */
#define LD        (1ULL << 0)
#define ST        (1ULL << 1)
#define L1TLB_MISS (1ULL << 2)
#define L2TLB_MISS (1ULL << 3)
#define DC_MISS   (1ULL << 7)
#define UC        (1ULL << 14)
#define NO_MAB    (1ULL << 16)
#define LIN_VALID (1ULL << 17)
#define PHY_VALID (1ULL << 18)
#define L2_MISS   (1ULL << 20)
#define LAT(n)    ((uint64_t)(n) << 32)
/* IBS_OP_DATA2 */
#define RMT_NODE  (1ULL << 4)
#define SRC(n)    (((n) & 7ULL) | ((uint64_t)(n) >> 3) << 6)

#define ZEN3_CAPS 0x3ffU                /* no Zen 4 extensions */
#define ZEN4_CAPS (0x3ffU | IBS_CAPS_ZEN4)

/* --- the attr, from sysfs --- */

static void test_attr(void)
{
	char dir[] = "/tmp/numamma-ibs-XXXXXX";
	struct sampler_opts opts = { .name = "ibs" };
	struct perf_event_attr attr, attrs[SAMPLER_MAX_EVENTS];
	int group_leader = 7;
	uint64_t must = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			PERF_SAMPLE_RAW | PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC;

	CHECK(mkdtemp(dir) != NULL);
	pmu_set_sysfs_root(dir);

	/* No ibs_op at all: what this VM looks like. */
	CHECK_INT(sampler_ibs.probe(why, sizeof(why)), -1);
	CHECK(strstr(why, "no ibs_op PMU") != NULL);
	CHECK_INT(ibs_attr_for(&opts, &attr, why, sizeof(why)), -1);
	CHECK(strstr(why, "ibs_op/type") != NULL);

	/* A Zen 2 era kernel: cnt_ctl only. */
	write_file(dir, "ibs_op/type", "11\n");
	write_file(dir, "ibs_op/format/cnt_ctl", "config:19\n");
	opts.period = 100001;
	CHECK_INT(ibs_attr_for(&opts, &attr, why, sizeof(why)), 0);
	CHECK_INT(attr.type, 11);
	CHECK_INT(attr.size, sizeof(attr));
	CHECK_INT(attr.config, 1ULL << 19);
	CHECK_INT(attr.config2, 0);
	CHECK_INT(attr.sample_period, 100000);      /* a multiple of 16 */
	CHECK_INT(attr.exclude_kernel, 0);          /* IBS cannot, here */
	CHECK_INT(attr.sample_type & must, must);
	CHECK_INT(!!(attr.sample_type & PERF_SAMPLE_PHYS_ADDR), perf_kernel_allowed());
	CHECK_INT(attr.use_clockid, 1);
	CHECK_INT(attr.clockid, CLOCK_MONOTONIC);
	opts.period = 5;
	CHECK_INT(ibs_attr_for(&opts, &attr, why, sizeof(why)), 0);
	CHECK_INT(attr.sample_period, 16);

	/* Zen 4 with a recent kernel: L3-miss filtering and software
	 * exclusion of kernel samples. */
	write_file(dir, "ibs_op/format/l3missonly", "config:16\n");
	write_file(dir, "ibs_op/format/swfilt", "config2:0\n");
	opts.period = 0;
	CHECK_INT(ibs_attr_for(&opts, &attr, why, sizeof(why)), 0);
	CHECK_INT(attr.config, 1ULL << 19 | 1ULL << 16);
	CHECK_INT(attr.config2, 1);
	CHECK_INT(attr.exclude_kernel, 1);
	CHECK_INT(attr.sample_period, IBS_DEFAULT_PERIOD);

	CHECK_INT(sampler_ibs.attrs(&opts, attrs, &group_leader, why, sizeof(why)), 1);
	CHECK_INT(group_leader, 0);
	CHECK_INT(attrs[0].type, 11);

	pmu_set_sysfs_root(NULL);
	remove_tree(dir);
}

/* --- samples --- */

struct ibs_case {
	uint32_t caps;
	uint64_t data2, data3, lin, phys;
	/* What the kernel filled in: 0 when it did not decode (before 6.1). */
	uint64_t k_data_src, k_addr, k_weight;
	/* expected */
	char access;
	enum mem_level level;
	int hops, hitm, tlb_miss;
	uint64_t addr, weight;
};

/* One PERF_RECORD_SAMPLE body in the order of perf_event_open(2). */
static void make_ibs_sample(struct body *b, uint64_t sample_type, const struct ibs_case *c,
			    uint64_t seq)
{
	uint64_t regs[9] = { 0 };
	int nregs = 7 + !!(c->caps & IBS_CAPS_BRNTRGT) + !!(c->caps & IBS_CAPS_OPDATA4);
	uint32_t raw_size = (uint32_t)(sizeof(uint32_t) + nregs * sizeof(uint64_t));

	regs[0] = 1ULL << 18 | 1ULL << 17;   /* IbsOpVal, IbsOpEn */
	regs[1] = 0x401000 + seq;            /* IbsOpRip */
	regs[3] = c->data2;
	regs[4] = c->data3;
	regs[5] = c->lin;
	regs[6] = c->phys;
	b->n = 0;
	put64(b, 0x401000 + seq);                          /* IP */
	put32x2(b, 4242, 4243);                            /* TID */
	put64(b, 1000 + seq);                              /* TIME */
	if (sample_type & PERF_SAMPLE_ADDR)
		put64(b, c->k_addr);
	put32x2(b, 1, 0);                                  /* CPU */
	/* RAW: u32 size + payload, padded to end on a u64 boundary. */
	raw_size += (uint32_t)((8 - (sizeof(uint32_t) + raw_size) % 8) % 8);
	put(b, &raw_size, sizeof(raw_size));
	put(b, &c->caps, sizeof(c->caps));
	put(b, regs, nregs * sizeof(uint64_t));
	while (b->n % 8)
		b->b[b->n++] = 0;
	if (sample_type & PERF_SAMPLE_WEIGHT)
		put64(b, c->k_weight);
	if (sample_type & PERF_SAMPLE_DATA_SRC)
		put64(b, c->k_data_src ? c->k_data_src : PERF_MEM_NA);
	if (sample_type & PERF_SAMPLE_PHYS_ADDR)
		put64(b, 0);
}

#define RING_SIZE 2048

struct walk {
	const struct sampler_backend *backend;
	uint64_t sample_type;
	struct nm_sample out[16];
	int n, bad;
};

/* What the common sampler code does before the backend's decode. */
static void on_record(void *arg, const struct perf_event_header *hdr, const void *body)
{
	struct walk *w = arg;
	struct perf_sample_rec rec;
	struct nm_sample *s = &w->out[w->n];

	if (hdr->type != PERF_RECORD_SAMPLE ||
	    perf_decode_sample(body, hdr->size - sizeof(*hdr), w->sample_type, &rec)) {
		w->bad++;
		return;
	}
	memset(s, 0, sizeof(*s));
	s->ip = rec.ip;
	s->addr = rec.addr;
	s->access = ACCESS_UNKNOWN;
	s->hops = -1;
	s->snoop_hitm = -1;
	s->tlb_miss = -1;
	s->weight = 1;
	w->backend->decode(&rec, 0, s);
	w->n++;
}

#define HIT(x)  (PERF_MEM_S(LVL, x) | PERF_MEM_S(LVL, HIT))

static const struct ibs_case cases[] = {
	/* Zen 3 load from a remote node's DRAM, missing both TLBs. */
	{ ZEN3_CAPS, SRC(3) | RMT_NODE,
	  LD | DC_MISS | L2_MISS | L1TLB_MISS | L2TLB_MISS | LIN_VALID | PHY_VALID | LAT(250),
	  0x7f00dead1008, 0x12345008, 0, 0, 0,
	  'R', LVL_REMOTE_RAM, 1, -1, 1, 0x7f00dead1008, 250 },
	/* A store hitting L1, TLB hit. */
	{ ZEN3_CAPS, 0, ST | LIN_VALID, 0x7f00beef0000, 0, 0, 0, 0,
	  'W', LVL_L1, 0, -1, 0, 0x7f00beef0000, 1 },
	/* Not a memory op: nothing to say. */
	{ ZEN3_CAPS, 0, 0, 0, 0, 0, 0, 0,
	  ACCESS_UNKNOWN, LVL_UNKNOWN, -1, -1, -1, 0, 1 },
	/* Zen 4 (longer payload: BrTarget, OpData4): far CCX cache, 1 hop;
	 * L1 TLB miss, L2 TLB hit. */
	{ ZEN4_CAPS | IBS_CAPS_BRNTRGT | IBS_CAPS_OPDATA4, SRC(5),
	  LD | DC_MISS | L2_MISS | L1TLB_MISS | LIN_VALID | LAT(120), 0x1000, 0, 0, 0, 0,
	  'R', LVL_REMOTE_CACHE, 1, -1, 0, 0x1000, 120 },
	/* Zen 4: CXL memory on another node (DataSrc 8 uses the high bits). */
	{ ZEN4_CAPS, SRC(8) | RMT_NODE, LD | DC_MISS | L2_MISS | LIN_VALID | LAT(400),
	  0x2000, 0, 0, 0, 0, 'R', LVL_CXL, 1, -1, 0, 0x2000, 400 },
	/* Zen 4: a peer cache in a near CCX: same node. */
	{ ZEN4_CAPS, SRC(2), LD | DC_MISS | L2_MISS | LIN_VALID | LAT(90),
	  0x3000, 0, 0, 0, 0, 'R', LVL_REMOTE_CACHE, 0, -1, 0, 0x3000, 90 },
	/* Local DRAM: the same DataSrc without RmtNode. */
	{ ZEN3_CAPS, SRC(3), LD | DC_MISS | L2_MISS | LIN_VALID | LAT(180),
	  0x4000, 0, 0, 0, 0, 'R', LVL_LOCAL_RAM, 0, -1, 0, 0x4000, 180 },
	/* Linux 6.1+ decoded it: its data_src (with the HITM only it can
	 * tell), addr and weight win over the raw registers. */
	{ ZEN4_CAPS, SRC(1), LD | DC_MISS | L2_MISS | LIN_VALID | LAT(80), 0x5008, 0,
	  PERF_MEM_S(OP, LOAD) | HIT(L3) | PERF_MEM_S(LVLNUM, L3) | PERF_MEM_S(SNOOP, HITM) |
	  PERF_MEM_S(TLB, L1) | PERF_MEM_S(TLB, HIT), 0x5008, 77,
	  'R', LVL_L3, 0, 1, 0, 0x5008, 77 },
	/* Uncached: DcMiss and friends mean nothing. */
	{ ZEN3_CAPS, 0, LD | DC_MISS | L2_MISS | UC | LIN_VALID, 0x6000, 0, 0, 0, 0,
	  'R', LVL_UNCACHED, 0, -1, 0, 0x6000, 1 },
	/* A miss that found its line in flight (miss address buffer). */
	{ ZEN3_CAPS, 0, LD | DC_MISS | L2_MISS | NO_MAB | LIN_VALID, 0x7000, 0, 0, 0, 0,
	  'R', LVL_LFB, 0, -1, 0, 0x7000, 1 },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static void check_case(const struct nm_sample *s, const struct ibs_case *c, int i)
{
	if (s->access != c->access || s->level != c->level || s->hops != c->hops ||
	    s->snoop_hitm != c->hitm || s->tlb_miss != c->tlb_miss || s->addr != c->addr ||
	    s->weight != c->weight) {
		unit_failures++;
		fprintf(stderr, "%s: case %d: got %c %s hops %d hitm %d tlb %d addr %#" PRIx64
			" weight %" PRIu64 ", want %c %s hops %d hitm %d tlb %d addr %#" PRIx64
			" weight %" PRIu64 "\n", __FILE__, i, s->access, mem_level_name(s->level),
			s->hops, s->snoop_hitm, s->tlb_miss, s->addr, s->weight, c->access,
			mem_level_name(c->level), c->hops, c->hitm, c->tlb_miss, c->addr, c->weight);
	}
}

/* Records of sample_type through a ring whose first record wraps. */
static void walk_cases(uint64_t sample_type, int kernel_decodes)
{
	static uint8_t data[RING_SIZE], scratch[65536];
	struct walk w = { .backend = &sampler_ibs, .sample_type = sample_type };
	struct body b;
	uint64_t tail = RING_SIZE - 40, tail_after;
	struct ring ring = { data, RING_SIZE, tail };

	memset(data, 0, sizeof(data));
	for (int i = 0; i < NCASES; i++) {
		struct ibs_case c = cases[i];

		if (!kernel_decodes)
			c.k_data_src = c.k_addr = c.k_weight = 0;
		make_ibs_sample(&b, sample_type, &c, (uint64_t)i);
		ring_write(&ring, PERF_RECORD_SAMPLE, &b);
	}
	CHECK(ring.head - tail < RING_SIZE);
	tail_after = perf_ring_walk(ring.data, RING_SIZE, tail, ring.head, scratch, on_record, &w);
	CHECK(tail_after == ring.head);
	CHECK_INT(w.bad, 0);
	CHECK_INT(w.n, NCASES);
	for (int i = 0; i < w.n && i < NCASES; i++) {
		struct ibs_case want = cases[i];

		/* The raw-only path cannot know what only the kernel said. */
		if (!kernel_decodes && want.k_data_src) {
			want.hitm = -1;
			want.weight = 80;
			want.tlb_miss = 0;
		}
		check_case(&w.out[i], &want, i);
		CHECK(w.out[i].ip == 0x401000 + (uint64_t)i);
	}
	CHECK(w.out[0].phys_addr == 0x12345008);

	/* Only the non-memory op goes. */
	CHECK_INT(sampler_ibs.filter(w.out, (size_t)w.n), NCASES - 1);
	CHECK_INT(w.out[2].addr, cases[3].addr);
}

static void test_samples(void)
{
	uint64_t old_kernel = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			      PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
	uint64_t full = old_kernel | PERF_SAMPLE_ADDR | PERF_SAMPLE_WEIGHT |
			PERF_SAMPLE_DATA_SRC | PERF_SAMPLE_PHYS_ADDR;

	walk_cases(old_kernel, 0);   /* raw registers only */
	walk_cases(full, 0);         /* asked, but a pre-6.1 kernel fills NA/0 */
	walk_cases(full, 1);         /* the kernel decoded */
}

static void test_registers(void)
{
	struct ibs_op_regs r = { .caps = ZEN3_CAPS, .data2 = SRC(2),
				 .data3 = LD | DC_MISS | L2_MISS | LIN_VALID };
	uint8_t raw[4 + 7 * 8] = { 0 };

	/* The kernel's encoding of Zen 3 "L3 or a peer cache in the CCX". */
	CHECK(ibs_op_data_src(&r) ==
	      (PERF_MEM_S(OP, LOAD) | HIT(L3) | HIT(REM_CCE1) | PERF_MEM_S(LVLNUM, ANY_CACHE) |
	       PERF_MEM_S(HOPS, 0) | PERF_MEM_S(SNOOP, NA) | PERF_MEM_S(TLB, L1) |
	       PERF_MEM_S(TLB, HIT) | PERF_MEM_S(LOCK, NA)));
	/* DataSrc is for loads only: a store that missed L2 has no source. */
	r.data3 = ST | DC_MISS | L2_MISS;
	CHECK(ibs_op_data_src(&r) ==
	      (PERF_MEM_S(OP, STORE) | PERF_MEM_S(LVL, NA) | PERF_MEM_S(LVLNUM, NA) |
	       PERF_MEM_S(SNOOP, NA) | PERF_MEM_S(TLB, NA) | PERF_MEM_S(LOCK, NA)));
	r.data3 = 0;
	CHECK(ibs_op_data_src(&r) == PERF_MEM_NA);

	CHECK_INT(ibs_op_parse(raw, sizeof(raw) - 1, &r), -1);
	raw[0] = 0x11;                       /* caps */
	raw[4 + 4 * 8] = 0x02;               /* IBS_OP_DATA3: store */
	raw[4 + 5 * 8 + 1] = 0x10;           /* IBS_DC_LIN_AD = 0x1000 */
	CHECK_INT(ibs_op_parse(raw, sizeof(raw), &r), 0);
	CHECK_INT(r.caps, 0x11);
	CHECK_INT(r.data3, ST);
	CHECK_INT(r.dc_lin_ad, 0x1000);
}

/* A PEBS sample as Icelake+ writes it: WEIGHT_STRUCT and DATA_SRC. */
static void test_pebs_sample(void)
{
	uint64_t type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR |
			PERF_SAMPLE_CPU | PERF_SAMPLE_WEIGHT_STRUCT | PERF_SAMPLE_DATA_SRC;
	struct walk w = { .backend = &sampler_pebs, .sample_type = type };
	struct { uint32_t var1; uint16_t var2, var3; } weight = { 312, 40, 0 };
	static uint8_t data[RING_SIZE], scratch[65536];
	struct ring ring = { data, RING_SIZE, 0 };
	struct body b = { .n = 0 };

	put64(&b, 0x401234);
	put32x2(&b, 10, 11);
	put64(&b, 5000);
	put64(&b, 0x7ffd0000c0);
	put32x2(&b, 3, 0);
	put(&b, &weight, sizeof(weight));
	put64(&b, PERF_MEM_S(OP, LOAD) | HIT(REM_RAM1) | PERF_MEM_S(LVLNUM, RAM) |
		  PERF_MEM_S(REMOTE, REMOTE) | PERF_MEM_S(HOPS, 2) | PERF_MEM_S(SNOOP, HIT) |
		  PERF_MEM_S(TLB, L2) | PERF_MEM_S(TLB, MISS));
	ring_write(&ring, PERF_RECORD_SAMPLE, &b);
	perf_ring_walk(ring.data, RING_SIZE, 0, ring.head, scratch, on_record, &w);
	CHECK_INT(w.n, 1);
	CHECK_INT(w.out[0].access, 'R');
	CHECK_INT(w.out[0].level, LVL_REMOTE_RAM);
	CHECK_INT(w.out[0].hops, 2);
	CHECK_INT(w.out[0].tlb_miss, 1);
	CHECK_INT(w.out[0].snoop_hitm, 0);
	CHECK_INT(w.out[0].weight, 312);       /* var1: the cache latency */
	CHECK(w.out[0].addr == 0x7ffd0000c0);
}

int main(void)
{
	test_attr();
	test_registers();
	test_samples();
	test_pebs_sample();
	return unit_done();
}
