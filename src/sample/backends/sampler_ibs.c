/* AMD IBS op sampling: the hardware tags one micro-op every `period`
 * dispatched ops and records, for loads and stores, the data address,
 * the data cache miss latency and where the data came from.  libpfm4 has
 * no IBS encoding: the attr comes from the ibs_op PMU's sysfs files.
 *
 * Linux 6.1+ decodes the registers into data_src, addr and weight; older
 * kernels give only the raw registers (PERF_SAMPLE_RAW), which we decode
 * the way the kernel does (arch/x86/events/amd/ibs.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "perf_ring.h"
#include "pmu.h"
#include "sampler_backend.h"

#ifndef PERF_MEM_LVLNUM_UNC
#define PERF_MEM_LVLNUM_UNC 0x08
#endif

/* IBS_OP_DATA2 (MSR 0xc0011036) */
#define DATA2_SRC_LO(v)     ((v) & 0x7)
#define DATA2_RMT_NODE      (1ULL << 4)
#define DATA2_SRC_HI(v)     (((v) >> 6) & 0x3)

/* IBS_OP_DATA3 (MSR 0xc0011037) */
#define DATA3_LD_OP             (1ULL << 0)
#define DATA3_ST_OP             (1ULL << 1)
#define DATA3_DC_L1TLB_MISS     (1ULL << 2)
#define DATA3_DC_L2TLB_MISS     (1ULL << 3)
#define DATA3_DC_MISS           (1ULL << 7)
#define DATA3_DC_UC_MEM_ACC     (1ULL << 14)
#define DATA3_DC_LOCKED_OP      (1ULL << 15)
#define DATA3_DC_MISS_NO_MAB    (1ULL << 16)
#define DATA3_DC_LIN_ADDR_VALID (1ULL << 17)
#define DATA3_DC_PHY_ADDR_VALID (1ULL << 18)
#define DATA3_L2_MISS           (1ULL << 20)
#define DATA3_DC_MISS_LAT(v)    (((v) >> 32) & 0xffff)

/* IBS_OP_DATA2 DataSrc, before and since Zen 4's extension */
enum {
	SRC_LOC_CACHE = 2, SRC_DRAM = 3, SRC_REM_CACHE = 4, SRC_IO = 7,
};
enum {
	SRC_EXT_LOC_CACHE = 1, SRC_EXT_NEAR_CCX_CACHE = 2, SRC_EXT_DRAM = 3,
	SRC_EXT_FAR_CCX_CACHE = 5, SRC_EXT_PMEM = 6, SRC_EXT_IO = 7, SRC_EXT_EXT_MEM = 8,
};

#define IBS_OP_REGS 7  /* IBS_OP_CTL .. IBS_DC_PHYS_AD, always there */

int ibs_op_parse(const void *raw, size_t size, struct ibs_op_regs *out)
{
	const uint8_t *p = raw;
	uint64_t regs[IBS_OP_REGS];

	if (size < sizeof(uint32_t) + sizeof(regs))
		return -1;
	memcpy(&out->caps, p, sizeof(out->caps));
	memcpy(regs, p + sizeof(uint32_t), sizeof(regs));  /* unaligned */
	out->ctl = regs[0];
	out->rip = regs[1];
	out->data = regs[2];
	out->data2 = regs[3];
	out->data3 = regs[4];
	out->dc_lin_ad = regs[5];
	out->dc_phys_ad = regs[6];
	return 0;
}

#define L(x)    (PERF_MEM_S(LVL, x) | PERF_MEM_S(LVL, HIT))
#define LN(x)   PERF_MEM_S(LVLNUM, x)
#define REM     PERF_MEM_S(REMOTE, REMOTE)
#define HOPS(x) PERF_MEM_S(HOPS, x)

/* DataSrc: 3 bits, 5 with Zen 4's extension. */
static unsigned ibs_data_src(const struct ibs_op_regs *r)
{
	if (r->caps & IBS_CAPS_ZEN4)
		return DATA2_SRC_HI(r->data2) << 3 | DATA2_SRC_LO(r->data2);
	return DATA2_SRC_LO(r->data2);
}

/* Where a load that missed L2 was served from; 0 when DataSrc says nothing. */
static uint64_t ibs_load_source(const struct ibs_op_regs *r)
{
	static const uint64_t legacy[8] = {
		[SRC_LOC_CACHE] = L(L3) | L(REM_CCE1) | LN(ANY_CACHE) | HOPS(0),
		[SRC_DRAM]      = L(LOC_RAM) | LN(RAM),
		[SRC_REM_CACHE] = L(REM_CCE2) | LN(ANY_CACHE) | REM | HOPS(1),
		[SRC_IO]        = L(IO) | LN(IO),
	};
	static const uint64_t zen4[32] = {
		[SRC_EXT_LOC_CACHE]      = L(L3) | LN(L3),
		[SRC_EXT_NEAR_CCX_CACHE] = L(REM_CCE1) | LN(ANY_CACHE) | REM | HOPS(0),
		[SRC_EXT_DRAM]           = L(LOC_RAM) | LN(RAM),
		[SRC_EXT_FAR_CCX_CACHE]  = L(REM_CCE2) | LN(ANY_CACHE) | REM | HOPS(1),
		[SRC_EXT_PMEM]           = LN(PMEM),
		[SRC_EXT_IO]             = L(IO) | LN(IO),
		[SRC_EXT_EXT_MEM]        = LN(CXL),
	};
	int is_zen4 = (r->caps & IBS_CAPS_ZEN4) != 0;
	unsigned src = ibs_data_src(r);
	unsigned remote_capable = is_zen4 ?
		1U << SRC_EXT_DRAM | 1U << SRC_EXT_PMEM | 1U << SRC_EXT_EXT_MEM :
		1U << SRC_DRAM;
	uint64_t val = is_zen4 ? zen4[src] : legacy[src];

	/* RmtNode says another node, not how far: one hop. */
	if (val && (r->data2 & DATA2_RMT_NODE) && (remote_capable & (1U << src))) {
		if (src == SRC_DRAM)  /* same value in both encodings */
			val = L(REM_RAM1) | LN(RAM) | REM | HOPS(1);
		else
			val |= REM | HOPS(1);
	}
	return val;
}

static uint64_t ibs_mem_level(const struct ibs_op_regs *r, int is_load)
{
	uint64_t d3 = r->data3, val;

	/* DcMiss, L2Miss and DataSrc mean nothing for uncached accesses. */
	if ((d3 & DATA3_DC_UC_MEM_ACC) && ibs_data_src(r) != SRC_EXT_IO)
		return L(UNC) | LN(UNC);
	if (!(d3 & DATA3_DC_MISS))
		return L(L1) | LN(L1);
	if (!(d3 & DATA3_L2_MISS))
		return L(L2) | LN(L2);
	/* DataSrc is valid for loads only. */
	val = is_load ? ibs_load_source(r) : 0;
	if (val)
		return val;
	/* A hit in the miss address buffer: the line is already on its way. */
	if (d3 & DATA3_DC_MISS_NO_MAB)
		return L(LFB) | LN(LFB);
	return PERF_MEM_S(LVL, NA) | LN(NA);
}

static uint64_t ibs_tlb(uint64_t d3)
{
	if (!(d3 & DATA3_DC_LIN_ADDR_VALID))
		return PERF_MEM_S(TLB, NA);
	if (!(d3 & DATA3_DC_L1TLB_MISS))
		return PERF_MEM_S(TLB, L1) | PERF_MEM_S(TLB, HIT);
	if (!(d3 & DATA3_DC_L2TLB_MISS))
		return PERF_MEM_S(TLB, L2) | PERF_MEM_S(TLB, HIT);
	return PERF_MEM_S(TLB, L2) | PERF_MEM_S(TLB, MISS);
}

/* Snoop (HITM) is left NA: whether CacheHitSt is valid depends on the CPU
 * model, which only the kernel knows; so do errata #1293 (Zen 3). */
uint64_t ibs_op_data_src(const struct ibs_op_regs *r)
{
	uint64_t d3 = r->data3;
	int is_load = (d3 & DATA3_LD_OP) != 0;

	if (!is_load && !(d3 & DATA3_ST_OP))
		return PERF_MEM_NA;
	return (is_load ? PERF_MEM_S(OP, LOAD) : PERF_MEM_S(OP, STORE)) |
	       ibs_mem_level(r, is_load) | PERF_MEM_S(SNOOP, NA) | ibs_tlb(d3) |
	       (d3 & DATA3_DC_LOCKED_OP ? PERF_MEM_S(LOCK, LOCKED) : PERF_MEM_S(LOCK, NA));
}

void ibs_op_decode(const struct ibs_op_regs *r, struct nm_sample *out)
{
	uint64_t d3 = r->data3, src = ibs_op_data_src(r);

	if (!datasrc_is_mem_op(src))
		return;
	datasrc_decode(src, out);
	if (d3 & DATA3_DC_LIN_ADDR_VALID)
		out->addr = r->dc_lin_ad;
	if (d3 & DATA3_DC_PHY_ADDR_VALID)
		out->phys_addr = r->dc_phys_ad;
	/* The miss latency is measured for loads that missed L1 only. */
	if ((d3 & DATA3_LD_OP) && (d3 & DATA3_DC_MISS) && DATA3_DC_MISS_LAT(d3))
		out->weight = DATA3_DC_MISS_LAT(d3);
	else
		out->weight = 1;
}

/* Sets a format field of ibs_op when this kernel has it. */
static int set_format(struct perf_event_attr *attr, const char *name, uint64_t value)
{
	struct pmu_field field;

	if (pmu_format("ibs_op", name, &field))
		return 0;
	pmu_field_set(attr, &field, value);
	return 1;
}

int ibs_attr_for(const struct sampler_opts *opts, struct perf_event_attr *attr,
		 char *why, size_t len)
{
	uint64_t period = opts->period ? opts->period : IBS_DEFAULT_PERIOD;
	int type = pmu_type("ibs_op");

	if (type < 0) {
		snprintf(why, len, "cannot read %s/ibs_op/type", pmu_sysfs_root());
		return -1;
	}
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = (uint32_t)type;
	/* The hardware counts in units of 16; the kernel refuses the rest. */
	attr->sample_period = period < 16 ? 16 : period & ~0xfULL;
	/* Count dispatched ops rather than cycles, so that each op has the
	 * same chance to be tagged whatever its latency. */
	set_format(attr, "cnt_ctl", 1);
	/* Zen 4+: tag only ops that miss L3, the accesses NUMA placement is
	 * about, at a fraction of the cost. */
	set_format(attr, "l3missonly", 1);
	/* IBS cannot exclude the kernel in hardware; kernels with swfilt drop
	 * kernel samples in software, which needs no privilege. */
	if (set_format(attr, "swfilt", 1)) {
		attr->exclude_kernel = 1;
		attr->exclude_hv = 1;
	}
	attr->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			    PERF_SAMPLE_CPU | PERF_SAMPLE_RAW | PERF_SAMPLE_ADDR |
			    PERF_SAMPLE_DATA_SRC | PERF_SAMPLE_WEIGHT;
	if (perf_kernel_allowed())
		attr->sample_type |= PERF_SAMPLE_PHYS_ADDR;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
	return 0;
}

static int ibs_probe(char *why, size_t len)
{
	static const char *const names[] = { "ibs_op" };
	struct sampler_opts opts = { .name = "ibs" };
	struct perf_event_attr attr;

	if (!pmu_exists("ibs_op")) {
		snprintf(why, len, "no ibs_op PMU in %s: not an AMD CPU with IBS, or a "
			 "virtual machine that hides it", pmu_sysfs_root());
		return -1;
	}
	if (ibs_attr_for(&opts, &attr, why, len))
		return -1;
	if (!attr.exclude_kernel && !perf_kernel_allowed()) {
		snprintf(why, len, "IBS cannot exclude the kernel here (no ibs_op swfilt), so "
			 "it needs CAP_PERFMON or kernel.perf_event_paranoid <= 1 (it is %d): "
			 "run `sysctl kernel.perf_event_paranoid=1`", perf_paranoid());
		return -1;
	}
	return sampler_self_test(&attr, 1, 0, names, sampler_load_workload,
				 "the ibs_op event opens but tags no op of a load loop", why, len);
}

static int ibs_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		     int *group_leader, char *why, size_t len)
{
	*group_leader = 0;
	return ibs_attr_for(opts, &attrs[0], why, len) ? -1 : 1;
}

/* IBS tags ops of every kind: keep the loads and stores. */
static size_t ibs_filter(struct nm_sample *samples, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (samples[i].access != ACCESS_UNKNOWN)
			samples[kept++] = samples[i];
	return kept;
}

/* From the raw registers first; then the kernel's own decoding where it
 * gave one, as it knows the CPU errata the registers hide.  Ops that are
 * neither loads nor stores keep access '?' and no address. */
static void ibs_decode(const struct perf_sample_rec *rec, int event_index, struct nm_sample *out)
{
	struct ibs_op_regs regs;

	if (rec->raw && !ibs_op_parse(rec->raw, rec->raw_size, &regs))
		ibs_op_decode(&regs, out);
	if ((rec->sample_type & PERF_SAMPLE_DATA_SRC) && datasrc_is_mem_op(rec->data_src))
		datasrc_decode(rec->data_src, out);
	if ((rec->sample_type & PERF_SAMPLE_ADDR) && rec->addr)
		out->addr = rec->addr;
	if ((rec->sample_type & PERF_SAMPLE_WEIGHT) && rec->weight)
		out->weight = rec->weight;
	if ((rec->sample_type & PERF_SAMPLE_PHYS_ADDR) && rec->phys_addr)
		out->phys_addr = rec->phys_addr;
}

const struct sampler_backend sampler_ibs = {
	.name = "ibs",
	.description = "AMD IBS op sampling (hardware)",
	.probe = ibs_probe,
	.attrs = ibs_attrs,
	.decode = ibs_decode,
	.filter = ibs_filter,
};
