/* PERF_SAMPLE_DATA_SRC decoding, on values built the way the kernel builds
 * them for Intel PEBS (arch/x86/events/intel/ds.c) and AMD IBS. */
#include <linux/perf_event.h>

#include "pmu.h"
#include "unit.h"

#define S(a, s) PERF_MEM_S(a, s)
#define LOAD    S(OP, LOAD)
#define HIT(x)  (S(LVL, x) | S(LVL, HIT))

static struct nm_sample decode(uint64_t data_src)
{
	/* Poison, so that a field the decoder forgets shows. */
	struct nm_sample s = { .access = 'x', .level = 99, .hops = 99, .snoop_hitm = 99,
			       .tlb_miss = 99 };

	datasrc_decode(data_src, &s);
	return s;
}

static void check(uint64_t data_src, char access, enum mem_level level, int hops,
		  int hitm, int tlb_miss, int line)
{
	struct nm_sample s = decode(data_src);

	if (s.access != access || s.level != level || s.hops != hops ||
	    s.snoop_hitm != hitm || s.tlb_miss != tlb_miss) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %#" PRIx64 " decoded to %c %s hops %d hitm %d tlb %d, "
			"want %c %s hops %d hitm %d tlb %d\n", __FILE__, line, data_src,
			s.access, mem_level_name(s.level), s.hops, s.snoop_hitm, s.tlb_miss,
			access, mem_level_name(level), hops, hitm, tlb_miss);
	}
}
#define CHECK_SRC(v, ...) check(v, __VA_ARGS__, __LINE__)

static void test_remote(void)
{
	/* Intel: remote DRAM, as SPR reports it (legacy bit + level number). */
	CHECK_SRC(LOAD | HIT(REM_RAM1) | S(LVLNUM, RAM) | S(REMOTE, REMOTE) |
		  S(SNOOP, HIT) | S(TLB, L2) | S(TLB, HIT),
		  'R', LVL_REMOTE_RAM, 1, 0, 0);
	/* Legacy only: the hop count is in the bit. */
	CHECK_SRC(LOAD | HIT(REM_RAM2) | S(SNOOP, NONE), 'R', LVL_REMOTE_RAM, 2, 0, -1);
	/* Remote socket's cache, modified line: a HITM two hops away. */
	CHECK_SRC(LOAD | HIT(REM_CCE1) | S(LVLNUM, ANY_CACHE) | S(REMOTE, REMOTE) |
		  S(HOPS, 2) | S(SNOOP, HITM),
		  'R', LVL_REMOTE_CACHE, 2, 1, -1);
	CHECK_SRC(LOAD | HIT(REM_CCE2), 'R', LVL_REMOTE_CACHE, 2, -1, -1);
	/* AMD Zen 4: near CCX (same node, another core complex) is hops 0. */
	CHECK_SRC(LOAD | HIT(REM_CCE1) | S(LVLNUM, ANY_CACHE) | S(REMOTE, REMOTE) |
		  S(HOPS, 0), 'R', LVL_REMOTE_CACHE, 0, -1, -1);
	/* Remote without a distance: one hop. */
	CHECK_SRC(LOAD | S(LVLNUM, RAM) | S(REMOTE, REMOTE), 'R', LVL_REMOTE_RAM, 1, -1, -1);
	CHECK_SRC(LOAD | S(LVLNUM, CXL) | S(REMOTE, REMOTE) | S(HOPS, 1),
		  'R', LVL_CXL, 1, -1, -1);
}

static void test_local(void)
{
	CHECK_SRC(LOAD | HIT(LOC_RAM) | S(LVLNUM, RAM) | S(SNOOP, MISS),
		  'R', LVL_LOCAL_RAM, 0, 0, -1);
	CHECK_SRC(LOAD | HIT(L1) | S(LVLNUM, L1) | S(SNOOP, NONE) | S(TLB, L1) | S(TLB, HIT),
		  'R', LVL_L1, 0, 0, 0);
	CHECK_SRC(LOAD | HIT(LFB) | S(LVLNUM, LFB), 'R', LVL_LFB, 0, -1, -1);
	CHECK_SRC(LOAD | HIT(L2), 'R', LVL_L2, 0, -1, -1);
	/* Local L3 hit but a modified line in a sibling core: HITM, 0 hops. */
	CHECK_SRC(LOAD | HIT(L3) | S(LVLNUM, L3) | S(SNOOP, HITM), 'R', LVL_L3, 0, 1, -1);
	/* Forwarded by another core's cache, no snoop bit: not a HITM, known. */
	CHECK_SRC(LOAD | HIT(L3) | S(LVLNUM, L3) | S(SNOOPX, FWD), 'R', LVL_L3, 0, 0, -1);
	/* AMD (pre Zen 4) "L3 or a peer cache in the CCX": local, not remote. */
	CHECK_SRC(LOAD | HIT(L3) | HIT(REM_CCE1) | S(LVLNUM, ANY_CACHE) | S(HOPS, 0),
		  'R', LVL_L3, 0, -1, -1);
	CHECK_SRC(LOAD | HIT(IO) | S(LVLNUM, IO), 'R', LVL_IO, 0, -1, -1);
	CHECK_SRC(LOAD | HIT(UNC), 'R', LVL_UNCACHED, 0, -1, -1);
	CHECK_SRC(LOAD | S(LVLNUM, PMEM), 'R', LVL_PMEM, 0, -1, -1);
}

static void test_store_tlb_unknown(void)
{
	/* Pre-Icelake precise store that missed L1: level unknown, STLB miss. */
	CHECK_SRC(S(OP, STORE) | S(LVL, L1) | S(LVL, MISS) | S(SNOOP, NA) |
		  S(TLB, L2) | S(TLB, MISS),
		  'W', LVL_UNKNOWN, -1, -1, 1);
	CHECK_SRC(S(OP, STORE) | HIT(L1) | S(TLB, L2) | S(TLB, HIT), 'W', LVL_L1, 0, -1, 0);
	/* A load that missed the STLB and hit L3. */
	CHECK_SRC(LOAD | HIT(L3) | S(LVLNUM, L3) | S(TLB, L2) | S(TLB, MISS),
		  'R', LVL_L3, 0, -1, 1);
	/* Intel's "L3 miss, source unknown". */
	CHECK_SRC(LOAD | S(LVL, MISS) | S(LVLNUM, L3) | S(SNOOP, NA), 'R', LVL_UNKNOWN, -1, -1, -1);
	/* Nothing known. */
	CHECK_SRC(0, ACCESS_UNKNOWN, LVL_UNKNOWN, -1, -1, -1);
	CHECK_SRC(PERF_MEM_NA, ACCESS_UNKNOWN, LVL_UNKNOWN, -1, -1, -1);
	CHECK(!datasrc_is_mem_op(PERF_MEM_NA));
	CHECK(!datasrc_is_mem_op(0));
	CHECK(datasrc_is_mem_op(LOAD));
	CHECK(datasrc_is_mem_op(S(OP, STORE) | S(LVL, NA)));
}

int main(void)
{
	test_remote();
	test_local();
	test_store_tlb_unknown();
	return unit_done();
}
