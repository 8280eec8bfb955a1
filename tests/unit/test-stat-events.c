/* numamma stat's event set: the software events always, -e names through
 * libpfm4 (unknown ones refused), and each CPU model's local/remote DRAM
 * events encoding as libpfm4 4.13 knows them (LIBPFM_FORCE_PMU, one PMU
 * per process: each model is checked in a child). */
#include <sys/wait.h>
#include <unistd.h>

#include "stat.h"
#include "unit.h"

static const struct stat_event *find_any(const struct stat_events *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->ev[i].name, name))
			return &set->ev[i];
	return NULL;
}

static void test_listed(void)
{
	struct stat_events set;
	const struct stat_event *e;

	CHECK_INT(stat_events_build(&set, "instructions,LLC-load-misses,page-faults"), 0);
	/* Six software events, then the two listed; page-faults once. */
	CHECK_INT(set.n, 8);
	CHECK_STR(set.ev[0].name, "task-clock");
	CHECK((e = find_any(&set, "instructions")) && e->hardware &&
	      e->attr.type == PERF_TYPE_HARDWARE && e->attr.config == PERF_COUNT_HW_INSTRUCTIONS);
	CHECK((e = find_any(&set, "LLC-load-misses")) && e->attr.type == PERF_TYPE_HW_CACHE);
	CHECK((e = find_any(&set, "page-faults")) && !e->hardware &&
	      e->attr.config == PERF_COUNT_SW_PAGE_FAULTS);
	CHECK_INT(stat_events_build(&set, "cycles,no-such-event"), -1);
	CHECK_INT(stat_events_build(&set, ","), -1);
}

/* In a child: the default set under a forced PMU has the model's events. */
static int check_model(const char *pmu, uint64_t local, uint64_t remote)
{
	struct stat_events set;
	const struct stat_event *l, *r;

	setenv("LIBPFM_FORCE_PMU", pmu, 1);
	if (stat_events_build(&set, NULL))
		return 1;
	l = find_any(&set, "local-dram");
	r = find_any(&set, "remote-dram");
	if (!l || !r || l->why[0] || r->why[0] || !find_any(&set, "remote-cache")) {
		fprintf(stderr, "%s: no local/remote DRAM events: %s\n", pmu,
			l ? l->why : "absent");
		return 1;
	}
	if (l->attr.config != local || r->attr.config != remote) {
		fprintf(stderr, "%s: local %#llx remote %#llx\n", pmu,
			(unsigned long long)l->attr.config, (unsigned long long)r->attr.config);
		return 1;
	}
	return 0;
}

static void test_model(const char *pmu, uint64_t local, uint64_t remote)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(check_model(pmu, local, remote));
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unit_failures++;
		fprintf(stderr, "model %s failed\n", pmu);
	}
}

int main(void)
{
	/* Raw configs as libpfm4 4.13 encodes the SDM's and the PPRs' events. */
	static const struct { const char *pmu; uint64_t local, remote; } models[] = {
		{ "skx", 0x1d3, 0x2d3 }, { "clx", 0x1d3, 0x2d3 }, { "icx", 0x1d3, 0x2d3 },
		{ "spr", 0x1d3, 0x2d3 }, { "hsw_ep", 0x1d3, 0x4d3 }, { "bdw_ep", 0x1d3, 0x4d3 },
		{ "amd64_fam17h_zen2", 0x843, 0x4043 }, { "amd64_fam19h_zen3", 0x844, 0x4044 },
		{ "amd64_fam19h_zen4", 0x844, 0x4044 },
	};

	/* The models first: libpfm4 reads LIBPFM_FORCE_PMU once, and the
	 * children must not inherit an initialised library. */
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		test_model(models[i].pmu, models[i].local, models[i].remote);
	test_listed();
	return unit_done();
}
