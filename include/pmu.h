/* Hardware memory-access samplers: PMU description (sysfs), event
 * encoding (libpfm4), and the pure decoders of what PEBS and IBS record.
 *
 *   src/sample/pfm.c        sysfs PMUs, libpfm4 encoding, perf_event_open errors
 *   src/sample/datasrc.c    PERF_SAMPLE_DATA_SRC -> struct nm_sample
 *   src/sample/backends/sampler_pebs.c Intel PEBS load-latency and store sampling
 *   src/sample/backends/sampler_ibs.c AMD IBS op sampling and the raw IBS registers
 */
#ifndef NUMAMMA_PMU_H
#define NUMAMMA_PMU_H

#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

#include "model.h"
#include "sampler.h"

/* --- PMUs as the kernel describes them, /sys/bus/event_source/devices --- */

/* Tests point this at a fake tree; NULL restores the real one. */
void pmu_set_sysfs_root(const char *dir);
const char *pmu_sysfs_root(void);
int pmu_exists(const char *pmu);
/* The dynamic perf_event_attr.type of a PMU, or -1. */
int pmu_type(const char *pmu);

/* A format field ("config:19", "config1:0-11", "config2:0"): which
 * config word it lives in and its bits. */
struct pmu_field {
	int word;        /* 0: config, 1: config1, 2: config2 */
	uint64_t mask;
};
/* Parses the text of a format file.  0, or -1 when it is not one. */
int pmu_field_parse(const char *text, struct pmu_field *out);
/* Reads <root>/<pmu>/format/<name>.  0, or -1 when absent. */
int pmu_format(const char *pmu, const char *name, struct pmu_field *out);
/* Puts value into the field's bits of attr. */
void pmu_field_set(struct perf_event_attr *attr, const struct pmu_field *f, uint64_t value);

/* kernel.perf_event_paranoid (2, the default, when unreadable). */
int perf_paranoid(void);
/* Whether events that include the kernel, or PERF_SAMPLE_PHYS_ADDR, may be
 * opened: root, CAP_PERFMON/CAP_SYS_ADMIN, or perf_event_paranoid <= 1. */
int perf_kernel_allowed(void);
/* Explains a failed perf_event_open of `what` (errno err) with the fix. */
void perf_open_why(const char *what, int err, char *why, size_t len);

/* --- libpfm4 (modelled on perf's util/pfm.c) --- */

/* pfm_initialize() once per process.  0, or -1 + why. */
int libpfm_init(char *why, size_t len);
/* The first core PMU libpfm4 finds present ("skl", "icl", "spr",
 * "amd64_fam19h_zen3"...), or NULL.  libpfm4 trusts CPUID: a PMU it calls
 * present may still be hidden by a hypervisor. */
const char *libpfm_core_pmu(void);
/* Encodes a fully qualified event ("skl::MEM_TRANS_RETIRED:LOAD_LATENCY:
 * ldlat=30:precise=2") for user-space-only counting into attr, which it
 * clears first.  0, or -1 + why. */
int libpfm_encode(const char *event, struct perf_event_attr *attr, char *why, size_t len);

/* --- PEBS --- */

/* The memory events of one family of Intel core PMUs. */
struct pebs_model {
	const char *const *pmus;    /* libpfm4 PMU names */
	const char *loads;          /* load latency event, takes :ldlat= */
	const char *stores;         /* precise store event */
	const char *loads_aux;      /* group leader the loads event needs, or NULL */
	int store_umask;            /* >= 0: umask the stores event must have */
	int weight_struct;          /* PEBS gives WEIGHT_STRUCT (cache + instr latency) */
};
const struct pebs_model *pebs_model_find(const char *pmu);

#define PEBS_DEFAULT_LDLAT 30
/* Not round, so that sampling does not lock onto a loop's period; stores
 * are far more frequent than slow loads, hence the larger period. */
#define PEBS_DEFAULT_LOAD_PERIOD  5003
#define PEBS_DEFAULT_STORE_PERIOD 50021

/* The attrs for one thread on core PMU `pmu` (libpfm4 name), as the
 * sampler_pebs backend's attrs() returns them; libpfm_init() must have
 * run.  names (may be NULL) gets each attr's event name.  Returns how
 * many, or -1 + why. */
int pebs_attrs_for(const char *pmu, const struct sampler_opts *opts,
		   struct perf_event_attr *attrs, int *group_leader,
		   const char **names, char *why, size_t len);

/* --- PERF_SAMPLE_DATA_SRC --- */

/* "Nothing known", as the kernel fills data_src (include/linux/perf_event.h). */
#define PERF_MEM_NA (PERF_MEM_S(OP, NA) | PERF_MEM_S(LVL, NA) | PERF_MEM_S(SNOOP, NA) | \
		     PERF_MEM_S(LOCK, NA) | PERF_MEM_S(TLB, NA))

/* Fills access, level, hops, snoop_hitm and tlb_miss from a data_src
 * value (union perf_mem_data_src).  0 means "nothing known". */
void datasrc_decode(uint64_t data_src, struct nm_sample *out);
/* Whether a data_src says something about a load or a store. */
int datasrc_is_mem_op(uint64_t data_src);

/* --- IBS op --- */

/* IBS capability bits (CPUID Fn8000_001B_EAX), first word of the raw data. */
#define IBS_CAPS_BRNTRGT  (1U << 5)
#define IBS_CAPS_OPDATA4  (1U << 10)
#define IBS_CAPS_ZEN4     (1U << 11)

/* The PERF_SAMPLE_RAW payload of an ibs_op sample: u32 caps, then the MSRs
 * from IBS_OP_CTL (0xc0011033) to IBS_DC_PHYS_AD (0xc0011039), then
 * IBS_BR_TARGET and IBS_OP_DATA4 when caps says so. */
struct ibs_op_regs {
	uint32_t caps;
	uint64_t ctl, rip, data, data2, data3, dc_lin_ad, dc_phys_ad;
};
/* 0, or -1 when the payload is too short. */
int ibs_op_parse(const void *raw, size_t size, struct ibs_op_regs *out);
/* The data_src the kernel would compute from these registers (its
 * perf_ibs_get_mem_lvl and friends): PERF_MEM_NA when not a load/store. */
uint64_t ibs_op_data_src(const struct ibs_op_regs *r);
/* Fills addr, phys_addr, weight (DC miss latency) and the data_src fields
 * of out.  Leaves out alone when the op is neither a load nor a store. */
void ibs_op_decode(const struct ibs_op_regs *r, struct nm_sample *out);

#define IBS_DEFAULT_PERIOD (1U << 18)  /* ops; a multiple of 16 */

/* The ibs_op attr, from <sysfs root>/ibs_op (type, format/).  0 or -1 + why. */
int ibs_attr_for(const struct sampler_opts *opts, struct perf_event_attr *attr,
		 char *why, size_t len);

#endif
