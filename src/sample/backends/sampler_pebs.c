/* Intel PEBS: precise load-latency sampling (loads slower than ldlat
 * cycles, with their data address, latency and data source) and precise
 * store sampling.  Events are chosen per core PMU model and encoded with
 * libpfm4; the common sampler code opens and reads them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "perf_ring.h"
#include "pmu.h"
#include "sampler_backend.h"

static const char *const snb_era[] = { "snb", "snb_ep", "ivb", "ivb_ep", NULL };
static const char *const hsw_era[] = { "hsw", "hsw_ep", "bdw", "bdw_ep", NULL };
static const char *const skl_era[] = { "skl", "skx", "clx", NULL };
static const char *const icl_era[] = { "icl", "icx", NULL };
static const char *const spr_era[] = { "spr", NULL };

static const struct pebs_model pebs_models[] = {
	{ snb_era, "MEM_TRANS_RETIRED:LATENCY_ABOVE_THRESHOLD", "MEM_UOPS_RETIRED:ALL_STORES",
	  NULL, -1, 0 },
	{ hsw_era, "MEM_TRANS_RETIRED:LOAD_LATENCY", "MEM_UOPS_RETIRED:ALL_STORES",
	  NULL, -1, 0 },
	{ skl_era, "MEM_TRANS_RETIRED:LOAD_LATENCY", "MEM_INST_RETIRED:ALL_STORES",
	  NULL, -1, 0 },
	{ icl_era, "MEM_TRANS_RETIRED:LOAD_LATENCY", "MEM_INST_RETIRED:ALL_STORES",
	  NULL, -1, 1 },
	/* Sapphire Rapids samples loads only when the mem-loads-aux event
	 * (event 0x03 umask 0x82, libpfm4's LD_BLOCKS:STORE_FORWARD) leads
	 * the group, as perf mem does.  libpfm4 4.13 encodes STORE_SAMPLE
	 * with umask 0x03 (its table bakes LOAD_LATENCY's umask into the
	 * event code): the kernel's PEBS store constraint matches only 0x2cd. */
	{ spr_era, "MEM_TRANS_RETIRED:LOAD_LATENCY", "MEM_TRANS_RETIRED:STORE_SAMPLE",
	  "LD_BLOCKS:STORE_FORWARD", 0x02, 1 },
};

const struct pebs_model *pebs_model_find(const char *pmu)
{
	for (size_t i = 0; i < sizeof(pebs_models) / sizeof(pebs_models[0]); i++)
		for (const char *const *name = pebs_models[i].pmus; *name; name++)
			if (!strcmp(*name, pmu))
				return &pebs_models[i];
	return NULL;
}

static uint64_t pebs_sample_type(const struct pebs_model *model)
{
	uint64_t type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU | PERF_SAMPLE_DATA_SRC;

	type |= model->weight_struct ? PERF_SAMPLE_WEIGHT_STRUCT : PERF_SAMPLE_WEIGHT;
	/* The kernel gives physical addresses only to those it would let
	 * profile the kernel. */
	if (perf_kernel_allowed())
		type |= PERF_SAMPLE_PHYS_ADDR;
	return type;
}

static void make_sampling(struct perf_event_attr *attr, uint64_t period, uint64_t sample_type)
{
	attr->sample_period = period;
	attr->sample_type = sample_type;
	/* libpfm4 sets it from :precise=2, but say it: PEBS needs it. */
	attr->precise_ip = 2;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
}

/* Hybrid CPUs (Alder Lake...) have no "cpu" PMU but cpu_core and cpu_atom
 * with dynamic types; the raw encodings are the P-cores' (cpu_core), so
 * threads are sampled while they run on P-cores. */
static void use_core_pmu_type(struct perf_event_attr *attrs, int n)
{
	int type = pmu_type("cpu_core");

	if (type < 0)
		return;
	for (int i = 0; i < n; i++)
		attrs[i].type = (uint32_t)type;
}

static int encode(const char *pmu, const char *event, const char *modifiers,
		  struct perf_event_attr *attr, char *why, size_t len)
{
	char name[256];

	snprintf(name, sizeof(name), "%s::%s%s", pmu, event, modifiers);
	return libpfm_encode(name, attr, why, len);
}

int pebs_attrs_for(const char *pmu, const struct sampler_opts *opts,
		   struct perf_event_attr *attrs, int *group_leader,
		   const char **names, char *why, size_t len)
{
	const struct pebs_model *model = pebs_model_find(pmu);
	unsigned ldlat = opts->ldlat ? opts->ldlat : PEBS_DEFAULT_LDLAT;
	uint64_t sample_type;
	char mods[64];
	int n = 0;

	if (!model) {
		snprintf(why, len, "libpfm4's core PMU \"%s\" has no PEBS load-latency event "
			 "numamma knows", pmu);
		return -1;
	}
	sample_type = pebs_sample_type(model);
	*group_leader = model->loads_aux != NULL;
	if (model->loads_aux) {
		/* A plain counter: it only has to be there. */
		if (encode(pmu, model->loads_aux, "", &attrs[n], why, len))
			return -1;
		if (names)
			names[n] = model->loads_aux;
		n++;
	}

	snprintf(mods, sizeof(mods), ":ldlat=%u:precise=2", ldlat);
	if (encode(pmu, model->loads, mods, &attrs[n], why, len))
		return -1;
	make_sampling(&attrs[n], opts->period ? opts->period : PEBS_DEFAULT_LOAD_PERIOD,
		      sample_type);
	if (names)
		names[n] = model->loads;
	n++;

	if (encode(pmu, model->stores, ":precise=2", &attrs[n], why, len))
		return -1;
	if (model->store_umask >= 0)
		attrs[n].config = (attrs[n].config & ~0xff00ULL) | (uint64_t)model->store_umask << 8;
	make_sampling(&attrs[n], opts->period ? opts->period : PEBS_DEFAULT_STORE_PERIOD,
		      sample_type);
	if (names)
		names[n] = model->stores;
	n++;

	use_core_pmu_type(attrs, n);
	return n;
}

/* libpfm4's name for this CPU's core PMU, or NULL with why set. */
static const char *core_pmu(char *why, size_t len)
{
	const char *pmu;

	if (libpfm_init(why, len))
		return NULL;
	pmu = libpfm_core_pmu();
	if (!pmu)
		snprintf(why, len, "libpfm4 recognises no core PMU on this CPU");
	return pmu;
}

static int pebs_attrs(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		      int *group_leader, char *why, size_t len)
{
	const char *pmu = core_pmu(why, len);

	if (!pmu)
		return -1;
	return pebs_attrs_for(pmu, opts, attrs, group_leader, NULL, why, len);
}

static int pebs_probe(char *why, size_t len)
{
	struct perf_event_attr attrs[SAMPLER_MAX_EVENTS];
	const char *names[SAMPLER_MAX_EVENTS];
	struct sampler_opts opts = { .name = "pebs" };
	const char *pmu;
	int n, group_leader;

	if (!pmu_exists("cpu") && !pmu_exists("cpu_core")) {
		snprintf(why, len, "no hardware PMU exposed in %s (virtual machine?)",
			 pmu_sysfs_root());
		return -1;
	}
	pmu = core_pmu(why, len);
	if (!pmu)
		return -1;
	if (!strncmp(pmu, "amd64", 5)) {
		snprintf(why, len, "PEBS is Intel's; this CPU is an AMD one (libpfm4: %s): "
			 "use the ibs sampler", pmu);
		return -1;
	}
	n = pebs_attrs_for(pmu, &opts, attrs, &group_leader, names, why, len);
	if (n < 0)
		return -1;
	return sampler_self_test(attrs, n, group_leader, names, sampler_load_workload,
				 "the PEBS events open but count no load or store of a load loop "
				 "(a hypervisor that hides PEBS?)", why, len);
}

/* The kernel decodes PEBS into data_src and weight (WEIGHT_STRUCT's var1,
 * the cache latency; var2, the instruction latency, is not kept). */
static void pebs_decode(const struct perf_sample_rec *rec, int event_index, struct nm_sample *out)
{
	if (rec->sample_type & PERF_SAMPLE_DATA_SRC)
		datasrc_decode(rec->data_src, out);
	out->weight = rec->weight ? rec->weight : 1;
}

const struct sampler_backend sampler_pebs = {
	.name = "pebs",
	.description = "Intel PEBS load-latency and store sampling (hardware)",
	.probe = pebs_probe,
	.attrs = pebs_attrs,
	.decode = pebs_decode,
};
