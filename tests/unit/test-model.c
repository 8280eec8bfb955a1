/* advise and report over a profile built in memory, with no database:
 * the analysis and the tables depend on the profile model only. */
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "profile.h"
#include "report.h"
#include "unit.h"

#define PID 1000
#define MOD "buildid:beef"
#define MiB (1024 * 1024ull)
#define NPTS 400

static struct prof_cpu cpus[] = { { 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 1 } };
static struct prof_node nodes[] = { { 0, "0-1" }, { 1, "2-3" } };
static struct prof_process processes[] = { { PID, 1, "/work/app", true } };
/* The main thread and 4 workers; worker w ran on cpu w - 1. */
static struct prof_thread threads[] = {
	{ .pid = PID, .tid = PID, .rank = 0 }, { .pid = PID, .tid = PID + 1, .rank = 1 },
	{ .pid = PID, .tid = PID + 2, .rank = 2 }, { .pid = PID, .tid = PID + 3, .rank = 3 },
	{ .pid = PID, .tid = PID + 4, .rank = 4 },
};
static struct prof_frame frames[] = {
	{ .module = MOD, .offset = 0x1100, .function = "compute", .file = "/src/app.c", .line = 42 },
	{ .module = MOD, .offset = 0x1200, .function = "main" },
};
static const struct prof_frame *stack[] = { &frames[0], &frames[1] };
static struct prof_callsite callsites[] = { { 7, 2, stack } };
static struct prof_object objects[] = {
	{ .id = 1, .pid = PID, .tid = PID, .kind = OBJ_HEAP, .addr = 0x10000000, .size = 4 * MiB,
	  .callsite_id = 7, .name = "malloc" },
	/* No call site: no rule could find it next time. */
	{ .id = 2, .pid = PID, .tid = PID, .kind = OBJ_HEAP, .addr = 0x20000000, .size = 4 * MiB,
	  .name = "malloc" },
	{ .id = 3, .pid = PID, .tid = PID, .kind = OBJ_STATIC, .addr = 0x404000, .size = 1 * MiB,
	  .name = "table", .module = MOD },
};
static char *binaries[] = { MOD };
static struct prof_thread_cpu thread_cpus[] = {
	{ PID, PID + 1, 0, 0, NPTS }, { PID, PID + 2, 1, 0, NPTS }, { PID, PID + 3, 2, 1, 2 * NPTS },
	{ PID, PID + 4, 3, 1, NPTS },
};
static struct prof_sample samples[5 * NPTS + 1];

/* Worker w works on the w-th quarter of object 1 (the static schedule);
 * worker 3 alone uses the static, whose pages are on node 0; a sample of
 * a thread nobody recorded counts for nothing. */
static void fill(struct prof_run *run)
{
	size_t n = 0;

	for (int w = 1; w <= 4; w++)
		for (int i = 0; i < NPTS; i++)
			samples[n++] = (struct prof_sample){ 1,
				objects[0].addr + (w - 1) * MiB + (uint64_t)i * MiB / NPTS,
				PID, PID + w, w - 1, (w - 1) / 2, 0, 0, ACCESS_READ };
	for (int i = 0; i < NPTS; i++)
		samples[n++] = (struct prof_sample){ 3, objects[2].addr + (uint64_t)i * 2048, PID,
						     PID + 3, 2, 1, 0, 0, ACCESS_READ };
	samples[n++] = (struct prof_sample){ 1, objects[0].addr, PID, PID + 9, 0, 0, 0, 0, ACCESS_READ };
	*run = (struct prof_run){
		.has_run = true, .run = { .command = "./app", .mode = "profile" },
		.ncpus = 4, .cpus = cpus, .nnodes = 2, .nodes = nodes, .nprocesses = 1, .processes = processes,
		.nthreads = 5, .threads = threads, .ncallsites = 1, .callsites = callsites,
		.nthread_cpus = 4, .thread_cpus = thread_cpus, .nobjects = 3, .objects = objects,
		.nsamples = n, .samples = samples, .total_samples = n, .attributed_samples = n,
		.nbinaries = 1, .binaries = binaries,
	};
}

static void test_advise(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct prof_run run;
	struct advice adv;
	const struct policy_rule *heap, *table;

	fill(&run);
	CHECK_INT(advise_profile(&run, "mem.db", &opts, &adv), 0);
	CHECK_INT(adv.spread, 0);
	CHECK_INT(adv.target_nodes, 2);
	CHECK_INT(adv.nsites, 2);
	CHECK_INT(adv.policy->nbinaries, 1);
	CHECK_INT((int)adv.samples, 5 * NPTS + 1);
	CHECK_INT(adv.policy->nrules, 2);
	if (adv.policy->nrules == 2) {
		heap = &adv.policy->rules[0];
		table = &adv.policy->rules[1];
		CHECK_INT(heap->action, ACT_BLOCK);
		CHECK_INT(heap->nframes, 2);
		/* Slices of workers 1-2 (node 0) and 3-4 (node 1), merged. */
		CHECK_INT(heap->nseg, 2);
		CHECK(heap->nseg == 2 && heap->seg[0].node == 0 && heap->seg[1].node == 1 &&
		      heap->seg[0].end == POLICY_PPM / 2);
		CHECK_INT(table->site, SITE_STATIC);
		CHECK_INT(table->action, ACT_BIND);
		CHECK(table->nodemask == 2);
	}
	CHECK_STR(adv.sites[0].where, "compute() app.c:42");
	CHECK(!strncmp(adv.sites[0].reason, "block: the worker of rank r works on the r-th of 4", 50));
	advice_free(&adv);
}

/* Every node a plan names is in mask, and every pinned cpu in [lo, hi]. */
static void check_inside(const struct policy *pol, uint64_t mask, int lo, int hi)
{
	for (int i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rules[i];

		CHECK(!(r->nodemask & ~mask));
		for (int k = 0; k < r->nseg; k++)
			CHECK(mask >> r->seg[k].node & 1);
		for (int k = 0; k < r->neach; k++)
			CHECK(r->each[k] < 0 || (mask >> r->each[k] & 1));
	}
	for (int i = 0; i < pol->npins; i++)
		CHECK(pol->pins[i].cpu >= lo && pol->pins[i].cpu <= hi);
}

/* The same profile taken as one rank of a job bound to node 1's cpus:
 * the plan stays on them, and pins every thread there.  The whole
 * machine as the binding changes nothing. */
static void test_advise_binding(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct prof_run run;
	struct advice adv;

	fill(&run);
	run.run.cpus_allowed = "2-3";
	run.run.mems_allowed = "1";
	advise_profile(&run, "rank1.db", &opts, &adv);
	CHECK_INT(adv.target_nodes, 1);
	CHECK_STR(adv.binding, "within the launcher's binding: cpus 2-3, node 1");
	CHECK_INT(adv.policy->npins, 4);     /* the workers: main was never sampled */
	check_inside(adv.policy, 2, 2, 3);
	advice_free(&adv);

	/* Node 0's cpus, memory anywhere: threads and pages on node 0. */
	run.run.cpus_allowed = "0-1";
	run.run.mems_allowed = "0-1";
	advise_profile(&run, "rank0.db", &opts, &adv);
	CHECK_INT(adv.target_nodes, 1);
	check_inside(adv.policy, 1, 0, 1);
	advice_free(&adv);

	run.run.cpus_allowed = "0-3";
	run.run.mems_allowed = "0-1";
	advise_profile(&run, "all.db", &opts, &adv);
	CHECK(adv.binding == NULL);
	CHECK_INT(adv.target_nodes, 2);
	CHECK(adv.policy->nrules == 2 && adv.policy->rules[0].action == ACT_BLOCK);
	advice_free(&adv);
}

/* Numbers stay numbers in the tables; the text renderer formats them. */
static void test_report(void)
{
	struct report_opts opts = { .top = 2 };
	struct prof_run run;
	struct report rep;
	char *text = NULL;
	size_t len;
	FILE *f;

	fill(&run);
	report_build(&run, &opts, &rep);
	/* Samples, but no access aggregates in this profile: empty sections. */
	CHECK_INT((int)rep.ntables, 6);
	CHECK_STR(rep.tables[1].title, "Largest objects");
	CHECK_INT((int)rtable_rows(&rep.tables[1]), 2);
	CHECK_INT(rep.tables[1].cells[0].type, RT_INT);
	CHECK_INT(rep.tables[1].cells[2].type, RT_BYTES);
	CHECK(rep.tables[1].cells[2].u == 4 * MiB);
	f = open_memstream(&text, &len);
	report_render_text(f, &rep);
	fclose(f);
	CHECK(strstr(text, "\nLargest objects\n  ID KIND    SIZE  TID NAME   ALLOCATED AT\n"
			   "   1 heap 4.0 MiB 1000 malloc compute (app.c:42)\n"
			   "   2 heap 4.0 MiB 1000 malloc -\n\n") != NULL);
	CHECK(strstr(text, "\nThreads\n   PID  TID RANK ALLOCS   BYTES SAMPLES\n"
			   "  1000 1000    0      2 8.0 MiB       0\n"
			   "  1000 1003    3      0     0 B     800\n") != NULL);
	CHECK(strstr(text, "\nMost accessed objects\n  none\n") != NULL);
	free(text);
	report_free(&rep);
}

int main(void)
{
	test_advise();
	test_advise_binding();
	test_report();
	return unit_done();
}
