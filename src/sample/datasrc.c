/* PERF_SAMPLE_DATA_SRC (union perf_mem_data_src) decoded into the fields
 * of struct nm_sample.  The kernel fills it from PEBS and, since Linux 6.1,
 * from IBS; sampler_ibs also builds one from the raw IBS registers. */
#include <linux/perf_event.h>

#include "pmu.h"

/* Newer than some <linux/perf_event.h>. */
#ifndef PERF_MEM_LVLNUM_UNC
#define PERF_MEM_LVLNUM_UNC 0x08
#endif

static char decode_access(const union perf_mem_data_src *src)
{
	if (src->mem_op & PERF_MEM_OP_LOAD)
		return ACCESS_READ;
	if (src->mem_op & PERF_MEM_OP_STORE)
		return ACCESS_WRITE;
	return ACCESS_UNKNOWN;
}

/* mem_lvl flags a level MISS (and no HIT) when the source is unknown past
 * that level: e.g. Intel's "L3 miss" and pre-Icelake store "L1 miss". */
static int level_missed(const union perf_mem_data_src *src)
{
	return (src->mem_lvl & PERF_MEM_LVL_MISS) && !(src->mem_lvl & PERF_MEM_LVL_HIT);
}

/* The modern encoding: mem_lvl_num, qualified by mem_remote. */
static enum mem_level level_from_num(const union perf_mem_data_src *src)
{
	switch (src->mem_lvl_num) {
	case PERF_MEM_LVLNUM_L1:   return LVL_L1;
	case PERF_MEM_LVLNUM_L2:   return LVL_L2;
	/* L4 is a memory-side cache (eDRAM): the last level before RAM. */
	case PERF_MEM_LVLNUM_L3:
	case PERF_MEM_LVLNUM_L4:   return src->mem_remote ? LVL_REMOTE_CACHE : LVL_L3;
	/* AMD's "another CCX's cache" and Intel's snooped peer caches. */
	case PERF_MEM_LVLNUM_ANY_CACHE:
		return src->mem_remote ? LVL_REMOTE_CACHE : LVL_L3;
	case PERF_MEM_LVLNUM_LFB:  return LVL_LFB;
	case PERF_MEM_LVLNUM_RAM:  return src->mem_remote ? LVL_REMOTE_RAM : LVL_LOCAL_RAM;
	case PERF_MEM_LVLNUM_PMEM: return LVL_PMEM;
	case PERF_MEM_LVLNUM_CXL:  return LVL_CXL;
	case PERF_MEM_LVLNUM_IO:   return LVL_IO;
	case PERF_MEM_LVLNUM_UNC:  return LVL_UNCACHED;
	default:                   return LVL_UNKNOWN;
	}
}

/* The legacy mem_lvl bits, nearest level first: AMD sets L3|REM_CCE1 for
 * "L3 or a peer cache of the same CCX", which is local. */
static enum mem_level level_from_bits(const union perf_mem_data_src *src)
{
	static const struct { unsigned bit; enum mem_level lvl; } order[] = {
		{ PERF_MEM_LVL_L1, LVL_L1 },
		{ PERF_MEM_LVL_LFB, LVL_LFB },
		{ PERF_MEM_LVL_L2, LVL_L2 },
		{ PERF_MEM_LVL_L3, LVL_L3 },
		{ PERF_MEM_LVL_LOC_RAM, LVL_LOCAL_RAM },
		{ PERF_MEM_LVL_REM_RAM1, LVL_REMOTE_RAM },
		{ PERF_MEM_LVL_REM_RAM2, LVL_REMOTE_RAM },
		{ PERF_MEM_LVL_REM_CCE1, LVL_REMOTE_CACHE },
		{ PERF_MEM_LVL_REM_CCE2, LVL_REMOTE_CACHE },
		{ PERF_MEM_LVL_IO, LVL_IO },
		{ PERF_MEM_LVL_UNC, LVL_UNCACHED },
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (src->mem_lvl & order[i].bit)
			return order[i].lvl;
	return LVL_UNKNOWN;
}

static enum mem_level decode_level(const union perf_mem_data_src *src)
{
	enum mem_level lvl;

	if (level_missed(src))
		return LVL_UNKNOWN;
	lvl = level_from_num(src);
	return lvl != LVL_UNKNOWN ? lvl : level_from_bits(src);
}

/* mem_hops when given (HOPS_0 = another core of the same node); else the
 * legacy REM_*1/REM_*2 hop counts; local levels are 0 hops away. */
static int decode_hops(const union perf_mem_data_src *src, enum mem_level lvl)
{
	if (src->mem_hops >= PERF_MEM_HOPS_0 && src->mem_hops <= PERF_MEM_HOPS_3)
		return src->mem_hops - PERF_MEM_HOPS_0;
	if (src->mem_lvl & (PERF_MEM_LVL_REM_RAM2 | PERF_MEM_LVL_REM_CCE2))
		return 2;
	if (src->mem_lvl & (PERF_MEM_LVL_REM_RAM1 | PERF_MEM_LVL_REM_CCE1))
		return lvl == LVL_L3 ? 0 : 1;
	switch (lvl) {
	case LVL_UNKNOWN:
		return -1;
	case LVL_REMOTE_RAM:
	case LVL_REMOTE_CACHE:
		return 1;  /* remote, distance not given */
	default:
		return 0;
	}
}

/* 1 when the line was modified in another core's cache, 0 when the snoop
 * found it otherwise (none, a clean hit, a miss, forwarded by a peer),
 * -1 when the sampler says nothing of a snoop (NA, or no bit at all: an
 * IBS op decoded without the kernel, and every software sampler). */
static int decode_snoop_hitm(const union perf_mem_data_src *src)
{
	if (src->mem_snoop & PERF_MEM_SNOOP_HITM)
		return 1;
	if ((src->mem_snoop & (PERF_MEM_SNOOP_NONE | PERF_MEM_SNOOP_HIT | PERF_MEM_SNOOP_MISS)) ||
	    src->mem_snoopx)
		return 0;
	return -1;
}

/* 1 when the access missed every TLB level it reports, 0 when it hit one. */
static int decode_tlb_miss(const union perf_mem_data_src *src)
{
	if (src->mem_dtlb & PERF_MEM_TLB_HIT)
		return 0;
	if (src->mem_dtlb & PERF_MEM_TLB_MISS)
		return 1;
	return -1;
}

void datasrc_decode(uint64_t data_src, struct nm_sample *out)
{
	union perf_mem_data_src src = { .val = data_src };

	out->access = decode_access(&src);
	out->level = decode_level(&src);
	out->hops = decode_hops(&src, out->level);
	out->snoop_hitm = decode_snoop_hitm(&src);
	out->tlb_miss = decode_tlb_miss(&src);
}

int datasrc_is_mem_op(uint64_t data_src)
{
	union perf_mem_data_src src = { .val = data_src };

	return (src.mem_op & (PERF_MEM_OP_LOAD | PERF_MEM_OP_STORE)) != 0;
}
