/* PEBS event encoding with libpfm4 forced to a CPU model (LIBPFM_FORCE_PMU,
 * LIBPFM_ENCODE_INACTIVE), sysfs format fields, and the PEBS probe here.
 * libpfm4 keeps a PMU "present" across pfm_terminate()/pfm_initialize(),
 * so each model runs in its own child process. */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-tree.h"
#include "pmu.h"
#include "sampler_backend.h"
#include "unit.h"

#define LDLAT 42

static char why[512];

static void check_sampling(const struct perf_event_attr *a, uint64_t period, int weight_struct)
{
	uint64_t must = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR |
			PERF_SAMPLE_CPU | PERF_SAMPLE_DATA_SRC;

	CHECK_INT(a->type, PERF_TYPE_RAW);
	CHECK_INT(a->size, sizeof(*a));
	CHECK_INT(a->precise_ip, 2);
	CHECK_INT(a->sample_period, period);
	CHECK_INT(a->sample_type & must, must);
	CHECK_INT(!!(a->sample_type & PERF_SAMPLE_WEIGHT_STRUCT), weight_struct);
	CHECK_INT(!!(a->sample_type & PERF_SAMPLE_WEIGHT), !weight_struct);
	CHECK_INT(!!(a->sample_type & PERF_SAMPLE_PHYS_ADDR), perf_kernel_allowed());
	CHECK_INT(a->exclude_kernel, 1);  /* user level only: no privilege needed */
	CHECK_INT(a->use_clockid, 1);
	CHECK_INT(a->clockid, CLOCK_MONOTONIC);
}

/* In the child: libpfm4 forced to `model`, then the PEBS attrs. */
static int child_pebs(const char *model, uint64_t stores_config, int weight_struct)
{
	struct sampler_opts opts = { .name = "pebs", .ldlat = LDLAT };
	struct perf_event_attr attrs[SAMPLER_MAX_EVENTS];
	const char *names[SAMPLER_MAX_EVENTS];
	int n, leader, loads;

	setenv("LIBPFM_FORCE_PMU", model, 1);
	setenv("LIBPFM_ENCODE_INACTIVE", "1", 1);
	CHECK_INT(libpfm_init(why, sizeof(why)), 0);
	CHECK_STR(libpfm_core_pmu(), model);
	n = pebs_attrs_for(model, &opts, attrs, &leader, names, why, sizeof(why));
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", model, why);
		return 1;
	}
	loads = !strcmp(model, "spr");   /* after the aux leader */
	CHECK_INT(n, loads + 2);
	CHECK_INT(leader, loads);
	if (loads) {
		/* perf's mem-loads-aux: event 0x03 umask 0x82, a plain counter. */
		CHECK_INT(attrs[0].type, PERF_TYPE_RAW);
		CHECK_INT(attrs[0].config, 0x8203);
		CHECK_INT(attrs[0].sample_period, 0);
		CHECK_INT(attrs[0].sample_type, 0);
		CHECK_STR(names[0], "LD_BLOCKS:STORE_FORWARD");
	}
	CHECK_INT(attrs[loads].config, 0x1cd);
	CHECK_INT(attrs[loads].config1, LDLAT);
	check_sampling(&attrs[loads], PEBS_DEFAULT_LOAD_PERIOD, weight_struct);
	CHECK_INT(attrs[loads + 1].config, stores_config);
	CHECK_INT(attrs[loads + 1].config1, 0);
	check_sampling(&attrs[loads + 1], PEBS_DEFAULT_STORE_PERIOD, weight_struct);

	/* --period applies to both events. */
	opts.period = 777;
	n = pebs_attrs_for(model, &opts, attrs, &leader, names, why, sizeof(why));
	CHECK_INT(n, loads + 2);
	CHECK_INT(attrs[loads].sample_period, 777);
	CHECK_INT(attrs[loads + 1].sample_period, 777);
	return unit_done();
}

/* libpfm4 4.13's own Sapphire Rapids store encoding (umask 0x03), which
 * pebs_attrs_for corrects to the kernel's 0x2cd. */
static int child_spr_libpfm_quirk(const void *unused)
{
	struct perf_event_attr attr;

	setenv("LIBPFM_FORCE_PMU", "spr", 1);
	setenv("LIBPFM_ENCODE_INACTIVE", "1", 1);
	CHECK_INT(libpfm_init(why, sizeof(why)), 0);
	CHECK_INT(libpfm_encode("spr::MEM_TRANS_RETIRED:STORE_SAMPLE:precise=2", &attr,
				why, sizeof(why)), 0);
	CHECK_INT(attr.type, PERF_TYPE_RAW);
	CHECK_INT(attr.config & 0xff, 0xcd);
	CHECK_INT(attr.precise_ip, 2);
	/* libpfm4 sets precise_ip only when asked. */
	CHECK_INT(libpfm_encode("spr::MEM_TRANS_RETIRED:LOAD_LATENCY:ldlat=3", &attr,
				why, sizeof(why)), 0);
	CHECK_INT(attr.config, 0x1cd);
	CHECK_INT(attr.config1, 3);
	CHECK_INT(attr.precise_ip, 0);
	CHECK_INT(libpfm_encode("spr::NO_SUCH_EVENT", &attr, why, sizeof(why)), -1);
	CHECK(strstr(why, "spr::NO_SUCH_EVENT") != NULL);
	return unit_done();
}

/* Hybrid CPUs: the type comes from sysfs cpu_core. */
static int child_hybrid(const void *unused)
{
	char dir[] = "/tmp/numamma-pfm-XXXXXX";
	struct sampler_opts opts = { .name = "pebs" };
	struct perf_event_attr attrs[SAMPLER_MAX_EVENTS];
	int n, leader;

	CHECK(mkdtemp(dir) != NULL);
	write_file(dir, "cpu_core/type", "8\n");
	write_file(dir, "cpu_atom/type", "10\n");
	pmu_set_sysfs_root(dir);
	setenv("LIBPFM_FORCE_PMU", "spr", 1);
	setenv("LIBPFM_ENCODE_INACTIVE", "1", 1);
	CHECK_INT(libpfm_init(why, sizeof(why)), 0);
	n = pebs_attrs_for("spr", &opts, attrs, &leader, NULL, why, sizeof(why));
	CHECK_INT(n, 3);
	for (int i = 0; i < n; i++)
		CHECK_INT(attrs[i].type, 8);
	CHECK_INT(attrs[1].config1, PEBS_DEFAULT_LDLAT);
	remove_tree(dir);
	pmu_set_sysfs_root(NULL);
	return unit_done();
}

/* An AMD model: libpfm4 finds it but PEBS has nothing to offer. */
static int child_amd(const void *unused)
{
	struct sampler_opts opts = { .name = "pebs" };
	struct perf_event_attr attrs[SAMPLER_MAX_EVENTS];
	int leader;

	setenv("LIBPFM_FORCE_PMU", "amd64_fam19h_zen3", 1);
	CHECK_INT(libpfm_init(why, sizeof(why)), 0);
	CHECK_STR(libpfm_core_pmu(), "amd64_fam19h_zen3");
	CHECK(pebs_model_find("amd64_fam19h_zen3") == NULL);
	CHECK_INT(pebs_attrs_for("amd64_fam19h_zen3", &opts, attrs, &leader, NULL,
				 why, sizeof(why)), -1);
	CHECK(strstr(why, "amd64_fam19h_zen3") != NULL);
	return unit_done();
}

static void in_child(const char *what, int (*fn)(const void *), const void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		unit_failures = 0;  /* the child's verdict is its own */
		_exit(fn(arg));
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, what);
	}
}

struct pebs_case {
	const char *model;
	uint64_t stores_config;
	int weight_struct;
};

static int child_pebs_case(const void *arg)
{
	const struct pebs_case *c = arg;

	return child_pebs(c->model, c->stores_config, c->weight_struct);
}

static void test_models(void)
{
	/* Store encodings as libpfm4 4.13 gives them (checked with its event
	 * tables): MEM_INST_RETIRED:ALL_STORES and MEM_UOPS_RETIRED:ALL_STORES
	 * are both event 0xd0 umask 0x82; spr's is corrected to 0x2cd. */
	static const struct pebs_case cases[] = {
		{ "hsw", 0x82d0, 0 },
		{ "skl", 0x82d0, 0 },
		{ "icl", 0x82d0, 1 },
		{ "spr", 0x2cd, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		in_child(cases[i].model, child_pebs_case, &cases[i]);
	in_child("spr libpfm4 quirk", child_spr_libpfm_quirk, NULL);
	in_child("hybrid", child_hybrid, NULL);
	in_child("amd", child_amd, NULL);
}

static void test_format_fields(void)
{
	struct pmu_field f;
	struct perf_event_attr attr = { .config = 0xffULL << 56 };

	CHECK_INT(pmu_field_parse("config:19", &f), 0);
	CHECK_INT(f.word, 0);
	CHECK_INT(f.mask, 1ULL << 19);
	CHECK_INT(pmu_field_parse("config1:0-11", &f), 0);
	CHECK_INT(f.word, 1);
	CHECK_INT(f.mask, 0xfff);
	CHECK_INT(pmu_field_parse("config2:0", &f), 0);
	CHECK_INT(f.word, 2);
	CHECK_INT(pmu_field_parse("config:0-63", &f), 0);
	CHECK(f.mask == ~0ULL);
	CHECK_INT(pmu_field_parse("config:0-7,32-35", &f), 0);
	CHECK(f.mask == (0xffULL | 0xfULL << 32));
	/* A split field gets the value's low bits first. */
	pmu_field_set(&attr, &f, 0xabc);
	CHECK(attr.config == (0xffULL << 56 | 0xbcULL | 0xaULL << 32));
	CHECK_INT(pmu_field_parse("config:", &f), -1);
	CHECK_INT(pmu_field_parse("config:3-1", &f), -1);
	CHECK_INT(pmu_field_parse("config:64", &f), -1);
	CHECK_INT(pmu_field_parse("config3:1", &f), -1);
	CHECK_INT(pmu_field_parse("event:1x", &f), -1);
}

/* Where no core PMU is exposed (this VM, or a fake empty tree), the probe
 * says so rather than trusting libpfm4's CPUID. */
static void test_probe_without_pmu(void)
{
	char dir[] = "/tmp/numamma-pfm-XXXXXX";

	CHECK(mkdtemp(dir) != NULL);
	write_file(dir, "software/type", "1\n");
	pmu_set_sysfs_root(dir);
	CHECK_INT(pmu_type("software"), 1);
	CHECK_INT(pmu_type("cpu"), -1);
	CHECK_INT(sampler_pebs.probe(why, sizeof(why)), -1);
	CHECK(strstr(why, "no hardware PMU exposed") != NULL);
	CHECK(strstr(why, dir) != NULL);
	pmu_set_sysfs_root(NULL);
	remove_tree(dir);

	/* The real machine: either PEBS works, or the probe says why. */
	why[0] = '\0';
	if (sampler_pebs.probe(why, sizeof(why)))
		CHECK(why[0] != '\0');
	printf("pebs here: %s\n", why[0] ? why : "works");
}

int main(void)
{
	test_format_fields();
	test_models();
	test_probe_without_pmu();
	return unit_done();
}
