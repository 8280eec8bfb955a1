/* The events numamma stat counts: software events always, hardware events
 * through libpfm4 where a PMU lets them open.  Counting only: no ring
 * buffer, no sampling, so the program runs at full speed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <perfmon/pfmlib.h>

#include "error.h"
#include "pmu.h"
#include "stat.h"

static const struct {
	const char *name;
	uint64_t config;
	enum stat_unit unit;
} software[] = {
	{ "task-clock", PERF_COUNT_SW_TASK_CLOCK, UNIT_NSEC },
	{ "page-faults", PERF_COUNT_SW_PAGE_FAULTS, UNIT_COUNT },
	{ "minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN, UNIT_COUNT },
	{ "major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ, UNIT_COUNT },
	{ "context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, UNIT_COUNT },
	{ "cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, UNIT_COUNT },
};
#define NSOFTWARE (sizeof(software) / sizeof(software[0]))

/* libpfm4's names for the kernel's generic hardware events, as perf
 * stat prints them. */
static const char *const generic_hardware[] = {
	"cycles", "instructions", "cache-references", "cache-misses",
	"LLC-load-misses", "dTLB-load-misses",
};

/* Where a load was served from, per CPU family, as libpfm4 4.13 names the
 * events: what tells a NUMA problem apart (the seed's count_events counted
 * the generic events above and no such one). */
struct numa_model {
	const char *pmus[5];
	const char *local_dram, *remote_dram, *remote_cache;
};
static const struct numa_model numa_models[] = {
	{ { "skx", "clx", "icx", "spr" }, "MEM_LOAD_L3_MISS_RETIRED:LOCAL_DRAM",
	  "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM", "MEM_LOAD_L3_MISS_RETIRED:REMOTE_HITM" },
	{ { "hsw_ep", "bdw_ep" }, "MEM_LOAD_UOPS_L3_MISS_RETIRED:LOCAL_DRAM",
	  "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_HITM" },
	{ { "amd64_fam17h_zen2" }, "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM",
	  "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM",
	  "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_CACHE" },
	{ { "amd64_fam19h_zen3" }, "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_LCL",
	  "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_RMT", "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:EXT_CACHE_RMT" },
	{ { "amd64_fam19h_zen4" }, "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR",
	  "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR",
	  "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:FAR_CACHE_NEAR_FAR" },
};

static struct stat_event *add_event(struct stat_events *set, const char *name)
{
	struct stat_event *e;

	set->ev = xrealloc(set->ev, (set->n + 1) * sizeof(*set->ev));
	e = &set->ev[set->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	return e;
}

static void add_software(struct stat_events *set)
{
	for (size_t i = 0; i < NSOFTWARE; i++) {
		struct stat_event *e = add_event(set, software[i].name);

		e->attr.type = PERF_TYPE_SOFTWARE;
		e->attr.size = sizeof(e->attr);
		e->attr.config = software[i].config;
		e->unit = software[i].unit;
	}
}

static bool is_software_name(const char *name)
{
	for (size_t i = 0; i < NSOFTWARE; i++)
		if (!strcmp(software[i].name, name))
			return true;
	return false;
}

/* A libpfm4 event under the name printed; an encoding failure is kept as
 * the event's why.  0, or -1 when it does not encode. */
static int add_libpfm(struct stat_events *set, const char *name, const char *event)
{
	struct stat_event *e = add_event(set, name);
	char why[256];

	if (libpfm_init(why, sizeof(why)) || libpfm_encode(event, &e->attr, why, sizeof(why))) {
		snprintf(e->why, sizeof(e->why), "%s", why);
		return -1;
	}
	e->hardware = e->attr.type != PERF_TYPE_SOFTWARE;
	return 0;
}

static const struct numa_model *numa_model_of(const char *pmu)
{
	for (size_t m = 0; m < sizeof(numa_models) / sizeof(numa_models[0]); m++)
		for (int p = 0; p < 5 && numa_models[m].pmus[p]; p++)
			if (!strcmp(numa_models[m].pmus[p], pmu))
				return &numa_models[m];
	return NULL;
}

/* A model event, qualified with the PMU libpfm4 found ("skx::..."). */
static void add_model_event(struct stat_events *set, const char *name, const char *pmu,
			    const char *event)
{
	char *qualified = xasprintf("%s::%s", pmu, event);

	add_libpfm(set, name, qualified);
	free(qualified);
}

static void add_default_hardware(struct stat_events *set)
{
	const struct numa_model *m;
	const char *pmu;
	char why[256];

	for (size_t i = 0; i < sizeof(generic_hardware) / sizeof(generic_hardware[0]); i++)
		add_libpfm(set, generic_hardware[i], generic_hardware[i]);
	if (libpfm_init(why, sizeof(why)) || !(pmu = libpfm_core_pmu()) || !(m = numa_model_of(pmu)))
		return;
	add_model_event(set, "local-dram", pmu, m->local_dram);
	add_model_event(set, "remote-dram", pmu, m->remote_dram);
	add_model_event(set, "remote-cache", pmu, m->remote_cache);
}

/* libpfm4's own reason, without libpfm_encode's "cannot encode X: ". */
static const char *pfm_reason(const char *why)
{
	const char *colon = strrchr(why, ':');

	return colon ? colon + 2 : why;
}

/* -e's names, each through libpfm4; those that do not encode are named in
 * one error line. */
static int add_listed(struct stat_events *set, const char *list)
{
	char *copy = xstrdup(list), *save, *name, *bad = xstrdup("");
	int nnames = 0, nbad = 0;

	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		nnames++;
		/* The software events are counted always, and a name once. */
		if (is_software_name(name) || stat_event_find(set, name) ||
		    add_libpfm(set, name, name) == 0)
			continue;
		char *more = xasprintf("%s%s'%s' (%s)", bad, nbad++ ? ", " : "", name,
				       pfm_reason(set->ev[set->n - 1].why));
		free(bad);
		bad = more;
	}
	if (nbad)
		error("stat: unknown event%s %s", nbad > 1 ? "s" : "", bad);
	else if (!nnames)
		error("stat: -e names no event");
	free(bad);
	free(copy);
	return nbad || !nnames ? -1 : 0;
}

int stat_events_build(struct stat_events *set, const char *list)
{
	memset(set, 0, sizeof(*set));
	add_software(set);
	if (!list) {
		add_default_hardware(set);
		return 0;
	}
	if (add_listed(set, list) < 0) {
		hint("-e takes libpfm4 event names: cycles, instructions, LLC-load-misses, "
		     "or PMU::EVENT:UMASK");
		return -1;
	}
	return 0;
}

static int perf_event_open(struct perf_event_attr *attr, pid_t pid)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Counting from exec on (launch), or from now (attach), in the given
 * threads and every thread and child they create later. */
static void prepare_attr(struct stat_event *e, bool launch, bool kernel)
{
	e->attr.size = sizeof(e->attr);
	e->attr.inherit = 1;
	e->attr.disabled = launch;
	e->attr.enable_on_exec = launch;
	e->attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	/* At perf_event_paranoid 2 an unprivileged user counts user space only
	 * (context switches then count 0): said with perf's ":u". */
	e->attr.exclude_kernel = !kernel;
	e->user_only = !kernel;
}

static void open_event(struct stat_event *e, const pid_t *tids, int ntids)
{
	e->fds = xcalloc(ntids, sizeof(*e->fds));
	for (int i = 0; i < ntids; i++) {
		int fd = perf_event_open(&e->attr, tids[i]);

		/* A thread that ended since it was listed is no loss. */
		if (fd < 0 && errno == ESRCH && ntids > 1)
			continue;
		if (fd < 0) {
			perf_open_why(e->name, errno, e->why, sizeof(e->why));
			/* Not counted at all rather than in some threads only. */
			while (e->nfds)
				close(e->fds[--e->nfds]);
			return;
		}
		e->fds[e->nfds++] = fd;
	}
}

/* When no hardware event opened, one reason for all of them. */
static void explain_hardware(struct stat_events *set)
{
	const char *first = NULL;

	for (int i = 0; i < set->n; i++) {
		if (!set->ev[i].hardware)
			continue;
		if (!set->ev[i].why[0])
			return;
		if (!first)
			first = set->ev[i].why;
	}
	if (first)
		snprintf(set->hw_why, sizeof(set->hw_why), "no hardware counters: %s", first);
}

void stat_events_open(struct stat_events *set, const pid_t *tids, int ntids, bool launch)
{
	bool kernel = perf_kernel_allowed();

	for (int i = 0; i < set->n; i++) {
		struct stat_event *e = &set->ev[i];

		if (e->why[0])
			continue;            /* did not encode */
		prepare_attr(e, launch, kernel);
		open_event(e, tids, ntids);
	}
	explain_hardware(set);
}

/* One fd's count, scaled to the time it was enabled when the PMU
 * multiplexed it. */
static void read_fd(struct stat_event *e, int fd)
{
	uint64_t v[3];

	if (read(fd, v, sizeof(v)) != (ssize_t)sizeof(v))
		return;
	if (v[2] && v[2] < v[1])
		v[0] = (uint64_t)((long double)v[0] * v[1] / v[2]);
	e->value += v[0];
	e->enabled += v[1];
	e->running += v[2];
}

void stat_events_read(struct stat_events *set)
{
	for (int i = 0; i < set->n; i++) {
		struct stat_event *e = &set->ev[i];

		for (int f = 0; f < e->nfds; f++) {
			read_fd(e, e->fds[f]);
			close(e->fds[f]);
		}
		if (!e->why[0] && e->enabled && !e->running)
			snprintf(e->why, sizeof(e->why), "never scheduled on the PMU "
				 "(more events than counters)");
	}
}

const struct stat_event *stat_event_find(const struct stat_events *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->ev[i].name, name) && !set->ev[i].why[0])
			return &set->ev[i];
	return NULL;
}
