/* advise: plans derived from synthetic profiles written with the db API.
 * Each object gets samples with a known access pattern; the plan must
 * name the pattern, the right nodes and the mapping it used. */
#include <numaif.h>
#include <stdlib.h>
#include <unistd.h>

#include "advise.h"
#include "commands.h"
#include "db.h"
#include "profile.h"
#include "unit.h"

#define PID 1000
#define MOD "buildid:beef"
#define KiB 1024ull
#define MiB (1024 * KiB)

struct synth {
	struct nm_db *db;
	char path[64];
	int nodes, cpus;
	int64_t next_id;
	uint64_t next_addr;
	uint64_t clock;          /* samples are taken in the order written */
};

static int node_of(const struct synth *p, int cpu)
{
	return cpu * p->nodes / p->cpus;
}

/* A profile of `nodes` nodes whose cpus are spread evenly over them, one
 * process with a main thread and `workers` threads. */
static void profile_begin(struct synth *p, int nodes, int cpus, int workers)
{
	int cpu_node[16], distance[16 * 16];
	struct nm_topology topo = { .nr_nodes = nodes, .nr_cpus = cpus,
				    .cpu_node = cpu_node, .distance = distance };
	struct nm_run_info run = { .command = "prog", .mode = "profile", .sampler = "watch",
				   .topo = &topo };

	*p = (struct synth){ .nodes = nodes, .cpus = cpus, .next_id = 1, .next_addr = 0x10000000 };
	for (int c = 0; c < cpus; c++)
		cpu_node[c] = node_of(p, c);
	for (int i = 0; i < nodes * nodes; i++)
		distance[i] = i % (nodes + 1) ? 20 : 10;
	strcpy(p->path, "/tmp/numamma-advise-XXXXXX");
	close(mkstemp(p->path));
	unlink(p->path);
	p->db = db_create(p->path, true);
	CHECK(p->db != NULL);
	db_begin_run(p->db, &run);
	db_add_process(p->db, PID, 1, "/work/prog", 0);
	db_add_module(p->db, PID, MOD, "/work/prog", 0x400000, 0x600000, 0);
	for (int rank = 0; rank <= workers; rank++)
		db_add_thread(p->db, PID, PID + rank, rank, 0);
}

static void profile_end(struct synth *p)
{
	db_close(p->db);
	unlink(p->path);
	strcat(p->path, ".old");
	unlink(p->path);
}

/* advise on the profile being written, read through the writer's handle
 * (its last batch is not committed yet). */
static int advise_synth(struct synth *p, const struct advise_opts *opts, struct advice *adv)
{
	struct profile prof = { 0 };
	int ret = profile_read_db(&prof, p->db, PROFILE_SAMPLES);

	if (ret == 0)
		ret = advise_profile(&prof.runs[0], p->path, opts, adv);
	profile_free(&prof);
	return ret;
}

/* An object of process pid's main thread. */
static struct nm_object add_object_in(struct synth *p, pid_t pid, enum obj_kind kind,
				      uint64_t offset, uint64_t size, const char *name)
{
	struct nm_frame frames[2] = { { .module = MOD, .offset = offset }, { .module = MOD, .offset = 0x42 } };
	struct nm_object o = { .id = p->next_id++, .pid = pid, .tid = pid, .kind = kind, .size = size,
			       .name = name };

	if (kind == OBJ_STATIC) {
		o.addr = 0x400000 + offset;
	} else {
		o.addr = p->next_addr;
		p->next_addr += (size + 2 * MiB) & ~(MiB - 1);
		o.callsite_id = db_intern_callsite(p->db, frames, 2);
	}
	db_add_object(p->db, &o);
	return o;
}

static struct nm_object add_object(struct synth *p, enum obj_kind kind, uint64_t offset,
				   uint64_t size, const char *name)
{
	return add_object_in(p, PID, kind, offset, size, name);
}

/* n accesses (ACCESS_READ or ACCESS_WRITE) by thread tid of o's process
 * running on cpu, evenly over [from, to) of the object (fractions), on
 * pages of page_node. */
static void sample_at(struct synth *p, const struct nm_object *o, pid_t tid, int cpu, uint64_t off,
		      int page_node, char access)
{
	struct nm_sample s = { .time_ns = 1000 * ++p->clock,
			       .pid = o->pid, .tid = tid, .cpu = cpu, .node = node_of(p, cpu),
			       .addr = o->addr + (off & ~63ull), .access = access, .weight = 1,
			       .hops = -1, .tlb_miss = -1, .object_id = o->id, .object_addr = o->addr,
			       .page_node = page_node };

	db_add_sample(p->db, &s);
}

static void touch_by(struct synth *p, const struct nm_object *o, pid_t tid, int cpu, double from,
		     double to, int n, int page_node, char access)
{
	for (int i = 0; i < n; i++) {
		double at = from + (to - from) * (i + 0.5) / n;

		sample_at(p, o, tid, cpu, (uint64_t)(at * o->size), page_node, access);
	}
}

/* The same by the first process's thread of creation rank `rank`. */
static void touch_as(struct synth *p, const struct nm_object *o, int rank, int cpu,
		     double from, double to, int n, int page_node, char access)
{
	touch_by(p, o, PID + rank, cpu, from, to, n, page_node, access);
}

/* n reads. */
static void touch(struct synth *p, const struct nm_object *o, int rank, int cpu,
		  double from, double to, int n, int page_node)
{
	touch_as(p, o, rank, cpu, from, to, n, page_node, ACCESS_READ);
}

static const struct policy_rule *rule_at(const struct policy *pol, uint64_t offset)
{
	for (int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].site == SITE_CALLSITE && pol->rules[i].frames[0].offset == offset)
			return &pol->rules[i];
	return NULL;
}

static const struct advice_site *site_of(const struct advice *adv, const struct policy_rule *r)
{
	for (int i = 0; i < adv->nsites; i++)
		if (&adv->policy->rules[adv->sites[i].rule] == r)
			return &adv->sites[i];
	return NULL;
}

static const struct advice_thread *thread_of(const struct advice *adv, int rank)
{
	for (int i = 0; i < adv->nthreads; i++)
		if (adv->threads[i].rank == rank)
			return &adv->threads[i];
	return NULL;
}

static void check_seg(const struct policy_rule *r, int i, int node, uint32_t start, uint32_t end)
{
	if (!r || i >= r->nseg) {
		CHECK(r && i < r->nseg);
		return;
	}
	CHECK_INT(r->seg[i].node, node);
	/* Within 1% of the true slice boundaries. */
	CHECK(abs((int)r->seg[i].start - (int)start) <= 10000);
	CHECK(abs((int)r->seg[i].end - (int)end) <= 10000);
}

enum { SITE_BLOCK = 0x100, SITE_SHARED = 0x200, SITE_ONE = 0x300, SITE_TINY = 0x400,
       SITE_IRREGULAR = 0x500, SITE_COLD = 0x600, SITE_OWN = 0x700, SITE_SWEPT = 0x800,
       SITE_REVERSED = 0x900, SITE_EACH = 0xa00, SITE_CYCLIC = 0xb00, SITE_DYNAMIC = 0xc00,
       SITE_STENCIL = 0xd00, SITE_TABLE = 0xe00, SITE_UNSEEN = 0xf00, SITE_FEW = 0x1000,
       SITE_SWEEP_ONLY = 0x1100, SITE_QUEUE = 0x1200, SITE_QUEUE_FILLED = 0x1300,
       SITE_MPMC = 0x1400, SITE_MIXED = 0x1500, SITE_HALVES = 0x1600, SITE_SWEEP_SEEN = 0x1700 };

/* Serial init by the main thread then parallel compute by 4 workers, all
 * on one node (the usual profile before any pinning). */
static void one_node_profile(struct synth *p)
{
	struct nm_object a1, a2, b, c, d, e, f, g, h;

	profile_begin(p, 1, 4, 4);
	a1 = add_object(p, OBJ_HEAP, SITE_BLOCK, 4 * MiB, "malloc");
	a2 = add_object(p, OBJ_HEAP, SITE_BLOCK, 2 * MiB + 100, "malloc");
	b = add_object(p, OBJ_HEAP, SITE_SHARED, 1 * MiB, "malloc");
	c = add_object(p, OBJ_HEAP, SITE_ONE, 1 * MiB, "calloc");
	d = add_object(p, OBJ_HEAP, SITE_TINY, 16 * KiB, "malloc");
	e = add_object(p, OBJ_STATIC, 0x1000, 256 * KiB, "table");
	f = add_object(p, OBJ_MMAP, SITE_IRREGULAR, 2 * MiB, "mmap");
	g = add_object(p, OBJ_HEAP, SITE_COLD, 1 * MiB, "malloc");
	h = add_object(p, OBJ_HEAP, SITE_SWEPT, 8 * MiB, "malloc");

	touch(p, &a1, 0, 0, 0, 1, 200, 0);   /* the main thread's init */
	for (int w = 1; w <= 4; w++) {
		touch(p, &a1, w, w - 1, (w - 1) / 4.0, w / 4.0, 1000, 0);
		touch(p, &a2, w, w - 1, (w - 1) / 4.0, w / 4.0, 500, 0);
		touch(p, &b, w, w - 1, 0, 1, 300, 0);
	}
	touch(p, &c, 2, 1, 0, 1, 400, 0);
	touch(p, &d, 1, 0, 0, 1, 500, 0);
	touch(p, &e, 3, 2, 0, 1, 300, 0);
	for (int chunk = 0; chunk < 8; chunk++)
		touch(p, &f, 1 + chunk % 2, chunk % 2, chunk / 8.0, (chunk + 1) / 8.0, 100, 0);
	touch(p, &g, 1, 0, 0, 1, 5, 0);
	/* Page faults of the main thread's init outnumber the workers'. */
	touch(p, &h, 0, 0, 0, 1, 2048, 0);
	for (int w = 1; w <= 4; w++)
		touch(p, &h, w, w - 1, (w - 1) / 4.0, w / 4.0, 100, 0);
	db_flush(p->db);
}

static void test_spread_from_one_node(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .nodes = 4 };
	struct synth p;
	struct advice adv;
	const struct policy_rule *r;
	const struct advice_site *s;

	one_node_profile(&p);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	CHECK_INT(adv.spread, 1);
	CHECK(!strncmp(adv.mapping, "planned:", 8));
	CHECK_INT(adv.profile_nodes, 1);
	CHECK_INT(adv.target_nodes, 4);
	/* Workers round-robin from node 1; the main thread stays on node 0;
	 * the target's cpus are unknown: node pins. */
	CHECK_INT(thread_of(&adv, 0)->node, 0);
	CHECK_INT(thread_of(&adv, 1)->node, 1);
	CHECK_INT(thread_of(&adv, 4)->node, 0);
	CHECK_INT(adv.policy->npins, 5);
	for (int i = 0; i < adv.policy->npins; i++) {
		CHECK_INT(adv.policy->pins[i].cpu, -1);
		CHECK_INT(adv.policy->pins[i].node, adv.policy->pins[i].rank % 4);
	}
	CHECK_INT(adv.policy->nbinaries, 1);
	CHECK_STR(adv.policy->binaries[0], MOD);

	r = rule_at(adv.policy, SITE_BLOCK);
	CHECK(r && r->action == ACT_BLOCK);
	CHECK(r && r->nframes == 2 && r->frames[1].offset == 0x42);
	check_seg(r, 0, 1, 0, 250000);
	check_seg(r, 1, 2, 250000, 500000);
	check_seg(r, 2, 3, 500000, 750000);
	check_seg(r, 3, 0, 750000, POLICY_PPM);
	s = site_of(&adv, r);
	CHECK(s && s->nobjects == 2 && s->samples == 6200);
	/* Unsymbolised, named for a person by its module's file, not by the
	 * build id the plan keys it with. */
	CHECK(s && !strncmp(s->where, "prog+0x", 7));
	/* Judged without the main thread's sweep of the whole object. */
	CHECK(s && s->before.total == 6000 && s->before.local == 6000);
	CHECK(s && s->after.local >= 0.97 * s->after.total);
	CHECK(s && strstr(s->reason, "block: the worker of rank r works on the r-th of 4 equal slices "
			  "(static schedule, seen in 4 workers; ") == s->reason);
	CHECK(s && strstr(s->reason, "leaving out 200 samples"));

	r = rule_at(adv.policy, SITE_SHARED);
	CHECK(r && r->action == ACT_INTERLEAVE && r->nodemask == 0xf);
	s = site_of(&adv, r);
	CHECK(s && s->after.local > 0.24 * s->after.total && s->after.local < 0.26 * s->after.total);

	r = rule_at(adv.policy, SITE_ONE);
	CHECK(r && r->action == ACT_BIND && r->nodemask == 1 << 2);
	r = rule_at(adv.policy, SITE_TINY);
	CHECK(r && r->action == ACT_LEAVE);
	CHECK(r && strstr(site_of(&adv, r)->reason, "too small"));
	r = rule_at(adv.policy, SITE_COLD);
	CHECK(r && r->action == ACT_LEAVE);
	CHECK(r && strstr(site_of(&adv, r)->reason, "too cold"));

	r = rule_at(adv.policy, SITE_IRREGULAR);
	CHECK(r && r->action == ACT_PAGEMAP && r->kind == OBJ_MMAP);
	CHECK(r && r->nseg == 8);
	for (int i = 0; r && i < r->nseg && i < 8; i++)
		check_seg(r, i, 1 + i % 2, i * POLICY_PPM / 8, (i + 1) * POLICY_PPM / 8);

	for (int i = 0; i < adv.policy->nrules; i++)
		if (adv.policy->rules[i].site == SITE_STATIC) {
			r = &adv.policy->rules[i];
			CHECK_STR(r->module, MOD);
			CHECK_STR(r->symbol, "table");
			CHECK_INT(r->action, ACT_BIND);
			CHECK_INT(r->nodemask, 1 << 3);
		}
	r = rule_at(adv.policy, SITE_SWEPT);
	CHECK(r && r->action == ACT_BLOCK);
	check_seg(r, 0, 1, 0, 250000);
	check_seg(r, 3, 0, 750000, POLICY_PPM);
	CHECK(r && strstr(site_of(&adv, r)->reason, "leaving out 2048 samples"));
	CHECK_INT(adv.nsites, 8);
	CHECK_INT(adv.before.total, adv.samples - 200 - 2048);
	CHECK_INT(adv.after.total, adv.before.total);
	CHECK(adv.after.local > 2 * adv.unplanned.local);
	advice_free(&adv);
	profile_end(&p);
}

/* The static schedule from few samples (what the watch sampler gives in
 * a short run on 4 nodes): each case's touches, then the slices expected,
 * slice k on the node planned for the thread of rank k + first. */
struct touch_case {
	int rank, cpu;
	double from, to;
	int n;
};

struct schedule_case {
	const char *what;
	int workers, first, slices;
	struct touch_case touches[6];
	const char *reason;
	int observed;            /* each worker sampled on a node of its own */
};

static const struct schedule_case schedules[] = {
	{ "sparse: worker 4 never sampled, the main thread's sweep", 4, 1, 4,
	  { { 0, 2, 0, 1, 4 }, { 1, 0, 0.00, 0.25, 6 }, { 2, 0, 0.25, 0.50, 5 },
	    { 3, 3, 0.50, 0.75, 3 } },
	  "block: the worker of rank r works on the r-th of 4 equal slices (static schedule, "
	  "seen in 3 workers", 0 },
	/* Seen in CI: plenty of samples, but finding boundaries from them
	 * gave rank 2's slice to its neighbours. */
	{ "plenty of samples, worker 2 never sampled", 4, 1, 4,
	  { { 0, 2, 0, 1, 7 }, { 1, 0, 0.00, 0.25, 24 }, { 3, 2, 0.50, 0.75, 9 },
	    { 4, 3, 0.75, 1.00, 16 } },
	  "block: the worker of rank r works on the r-th of 4 equal slices (static schedule, "
	  "seen in 3 workers", 0 },
	{ "OpenMP: the master initialises, then works on the first slice", 3, 0, 4,
	  { { 0, 0, 0, 1, 30 }, { 0, 0, 0.00, 0.25, 10 }, { 1, 1, 0.25, 0.50, 8 },
	    { 3, 3, 0.75, 1.00, 8 } },
	  "block: the thread (0 = main, as in OpenMP) of rank r works on the (r+1)-th of 4 equal "
	  "slices (static schedule, seen in 2 workers", 0 },
	{ "a helper thread (rank 1) initialises, workers 2..5 compute", 5, 2, 4,
	  { { 1, 0, 0, 1, 20 }, { 2, 0, 0.00, 0.25, 6 }, { 3, 1, 0.25, 0.50, 5 },
	    { 5, 3, 0.75, 1.00, 7 } },
	  "block: the worker of rank r works on the (r-1)-th (rank 1 is a helper) of 4 equal slices", 0 },
	/* Seen in the guest: OpenMP's workers sampled in clusters that also
	 * fit "main waits, 3 slices"; the master's samples in the first
	 * quarter tell them apart. */
	{ "OpenMP, clustered samples", 3, 0, 4,
	  { { 0, 3, 0, 1, 5 }, { 0, 3, 0.00, 0.20, 18 }, { 1, 0, 0.26, 0.32, 8 },
	    { 2, 2, 0.52, 0.64, 20 }, { 3, 1, 0.80, 0.95, 20 } },
	  "block: the thread (0 = main, as in OpenMP) of rank r works on the (r+1)-th of 4 equal "
	  "slices", 1 },
};

static void check_schedule(const struct schedule_case *c)
{
	struct synth p;
	struct advice adv;
	struct advise_opts opts = { .min_size = 64 * KiB };
	const struct policy_rule *r;
	struct nm_object o;

	printf("static schedule: %s\n", c->what);
	profile_begin(&p, 4, 4, c->workers);
	o = add_object(&p, OBJ_HEAP, SITE_BLOCK, 8 * MiB, "malloc");
	for (int i = 0; i < 6 && c->touches[i].n; i++)
		touch(&p, &o, c->touches[i].rank, c->touches[i].cpu, c->touches[i].from,
		      c->touches[i].to, c->touches[i].n, 0);
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	/* Else a worker was never sampled: spread by rank. */
	CHECK_INT(adv.spread, !c->observed);
	CHECK(c->observed || strstr(adv.mapping, "crowded") != NULL);
	r = rule_at(adv.policy, SITE_BLOCK);
	CHECK(r && r->action == ACT_BLOCK);
	CHECK(r && r->nseg == c->slices);
	for (int k = 0; r && k < c->slices; k++)
		check_seg(r, k, thread_of(&adv, k + c->first)->node, k * POLICY_PPM / c->slices,
			  (k + 1) * POLICY_PPM / c->slices);
	CHECK(r && strstr(site_of(&adv, r)->reason, c->reason) == site_of(&adv, r)->reason);
	advice_free(&adv);
	profile_end(&p);
}

static void test_static_schedules(void)
{
	for (size_t i = 0; i < sizeof(schedules) / sizeof(schedules[0]); i++)
		check_schedule(&schedules[i]);
}

/* Per-thread buffers: the main thread allocates and initialises one
 * buffer per worker, worker w then uses the w-th; worker 3 was never
 * sampled.  Each buffer goes to its worker's node. */
static void test_per_thread_buffers(void)
{
	struct synth p;
	struct advice adv;
	struct advise_opts opts = { .min_size = 64 * KiB, .nodes = 4 };
	const struct policy_rule *r;
	struct nm_object o[4];
	struct policy *pol;
	char *text = NULL;
	size_t len;
	FILE *f;

	profile_begin(&p, 1, 4, 4);
	for (int k = 0; k < 4; k++)
		o[k] = add_object(&p, OBJ_HEAP, SITE_EACH, 2 * MiB, "malloc");
	for (int k = 0; k < 4; k++)
		touch(&p, &o[k], 0, 0, 0, 1, 10, 0);
	for (int w = 1; w <= 4; w++)
		if (w != 3)
			touch(&p, &o[w - 1], w, w - 1, 0, 1, 8, 0);
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_EACH);
	CHECK(r && r->action == ACT_EACH);
	CHECK(r && r->neach == 4);
	for (int k = 0; r && k < r->neach && k < 4; k++)
		CHECK_INT(r->each[k], (k + 1) % 4);
	CHECK(r && strstr(site_of(&adv, r)->reason, "each: every object from here is used by one "
			  "thread (4 objects, 3 sampled; 100% of 24 samples local under this plan), "
			  "leaving out 40 samples of threads seen on several objects") ==
		   site_of(&adv, r)->reason);
	CHECK(r && strstr(r->text, " each 1 2 3 0"));

	/* Written and read back, the k-th object run sees goes to node k+1. */
	f = open_memstream(&text, &len);
	policy_write(f, adv.policy);
	fclose(f);
	pol = policy_parse(text, "each.policy");
	CHECK(pol != NULL);
	if (pol) {
		uint64_t *matched = calloc(pol->nrules, sizeof(*matched));
		struct nm_frame frames[2] = { { .module = MOD, .offset = SITE_EACH },
					      { .module = MOD, .offset = 0x42 } };

		for (int k = 0; k < 6; k++) {
			struct nm_object obj = { .kind = OBJ_HEAP, .addr = 0x7f0000000010 + k * 4 * MiB,
						 .size = 1 * MiB };
			struct place_plan plan;

			CHECK_INT(policy_plan_object(pol, &obj, frames, 2, matched, 4096, &plan), 1);
			CHECK_INT(plan.n, 1);
			CHECK(plan.n == 1 && plan.ranges[0].nodemask == 1ull << (k + 1) % 4);
			place_plan_free(&plan);
		}
		free(matched);
	}
	policy_free(pol);
	free(text);
	advice_free(&adv);
	profile_end(&p);
}

/* As sparse as the watch sampler gets in the 4-node guest: workers 2 and
 * 3 never sampled, the main thread's initialisation seen on two buffers
 * only.  Its samples must not make those buffers its own. */
static void test_sparse_per_thread_buffers(void)
{
	struct synth p;
	struct advice adv;
	struct advise_opts opts = { .min_size = 64 * KiB, .nodes = 4 };
	const struct policy_rule *r;
	struct nm_object o[4];

	profile_begin(&p, 1, 4, 4);
	for (int k = 0; k < 4; k++)
		o[k] = add_object(&p, OBJ_HEAP, SITE_EACH, 2 * MiB, "malloc");
	touch(&p, &o[1], 0, 0, 0, 1, 3, 0);
	touch(&p, &o[2], 0, 0, 0, 1, 2, 0);
	touch(&p, &o[0], 1, 0, 0, 1, 14, 0);
	touch(&p, &o[3], 4, 3, 0, 1, 32, 0);
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_EACH);
	CHECK(r && r->action == ACT_EACH && r->neach == 4);
	for (int k = 0; r && k < r->neach && k < 4; k++)
		CHECK_INT(r->each[k], (k + 1) % 4);
	advice_free(&adv);
	profile_end(&p);
}

static void test_plan_applies(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .nodes = 4 };
	struct nm_frame frames[2] = { { .module = MOD, .offset = SITE_BLOCK }, { .module = MOD, .offset = 0x42 } };
	struct nm_object o = { .kind = OBJ_HEAP, .addr = 0x7f0000001010, .size = 64 * MiB };
	struct synth p;
	struct advice adv;
	struct policy *pol;
	struct place_plan plan;
	char *text = NULL;
	size_t len;
	FILE *f;
	uint64_t right = 0, placed = 0;

	one_node_profile(&p);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	f = open_memstream(&text, &len);
	policy_write(f, adv.policy);
	fclose(f);
	pol = policy_parse(text, "advised.policy");
	CHECK(pol != NULL);
	CHECK(strstr(text, "\n# thread pinning") != NULL);
	CHECK(strstr(text, "block: the worker of rank r works on the r-th of 4 equal slices") != NULL);
	if (pol && policy_plan_object(pol, &o, frames, 2, NULL, 4096, &plan)) {
		CHECK_INT(plan.n, 4);
		/* Bytes of each quarter on the node of the worker using it. */
		for (int i = 0; i < plan.n; i++) {
			const struct place_range *pr = &plan.ranges[i];

			CHECK_INT(pr->mode, MPOL_BIND);
			for (uint64_t at = pr->offset; at < pr->offset + pr->length; at += 4096) {
				int worker = 1 + (int)(at * 4 / o.size);

				right += pr->nodemask == 1ull << (worker % 4);
				placed++;
			}
		}
		CHECK(placed >= o.size / 4096 - 1);
		CHECK(right >= 0.99 * placed);
		place_plan_free(&plan);
	} else {
		CHECK(!"the block rule matches the next run's object");
	}
	policy_free(pol);
	free(text);
	advice_free(&adv);
	profile_end(&p);
}

/* Threads that ran on different nodes keep them, pinned where they ran. */
static void test_observed_mapping(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct synth p;
	struct advice adv;
	struct nm_object a, own, rev;
	const struct policy_rule *r;

	profile_begin(&p, 4, 8, 4);
	a = add_object(&p, OBJ_HEAP, SITE_BLOCK, 8 * MiB, "malloc");
	own = add_object(&p, OBJ_HEAP, SITE_OWN, 8 * MiB, "malloc");
	rev = add_object(&p, OBJ_HEAP, SITE_REVERSED, 8 * MiB, "malloc");
	touch(&p, &a, 0, 0, 0, 1, 100, 0);
	for (int w = 1; w <= 4; w++) {
		int cpu = 8 - 2 * w;     /* worker w on node 4 - w */

		touch(&p, &a, w, cpu, (w - 1) / 4.0, w / 4.0, 400, 0);
		/* Not the static schedule: blocks found from the samples. */
		touch(&p, &rev, w, cpu, (4 - w) / 4.0, (5 - w) / 4.0, 400, 0);
		/* First touch by the worker itself: already local. */
		touch(&p, &own, w, cpu, (w - 1) / 4.0, w / 4.0, 400, 4 - w);
	}
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	CHECK_INT(adv.spread, 0);
	CHECK(!strncmp(adv.mapping, "observed:", 9));
	CHECK_INT(adv.target_nodes, 4);
	CHECK_INT(policy_thread_cpu(adv.policy, 0), 0);
	CHECK_INT(policy_thread_cpu(adv.policy, 1), 6);
	CHECK_INT(policy_thread_cpu(adv.policy, 4), 0);
	r = rule_at(adv.policy, SITE_BLOCK);
	CHECK(r && r->action == ACT_BLOCK);
	check_seg(r, 0, 3, 0, 250000);
	check_seg(r, 3, 0, 750000, POLICY_PPM);
	r = rule_at(adv.policy, SITE_REVERSED);
	CHECK(r && r->action == ACT_BLOCK);
	check_seg(r, 0, 0, 0, 250000);
	check_seg(r, 3, 3, 750000, POLICY_PPM);
	CHECK(r && strstr(site_of(&adv, r)->reason, "block: 4 threads each touch a disjoint 1/4 (") ==
		   site_of(&adv, r)->reason);
	r = rule_at(adv.policy, SITE_OWN);
	CHECK(r && r->action == ACT_LEAVE);
	CHECK(r && strstr(site_of(&adv, r)->reason, "first touch already makes 100%"));
	CHECK(site_of(&adv, r)->before.local == 1600);
	advice_free(&adv);
	profile_end(&p);
}

/* The patterns beyond one block per thread, on 4 nodes, worker w on node
 * w - 1, the main thread initialising every object first.  cyclic: chunk
 * k of 64 KiB by worker 1 + k mod 4, `per_chunk` samples in every
 * `every`-th chunk, worker `silent` never sampled; dynamic: each round's chunks by changing workers;
 * stencil: row blocks, each worker also reading its neighbours' edge rows;
 * table: read by every thread, the main thread (node 0, where first touch
 * put every page) the most; two more arrays of the stencil's size, one
 * never sampled, one with 3 samples, one with the main thread's sweep and
 * 2 samples of a worker (what the guest's sampler sees of the second and
 * third arrays a loop reads), and one with only the main thread's sweep
 * as a guest's profile saw it in 20 samples, its 2nd to 20th 74% of the
 * array apart. */
static const int guest_sweep[] = { 68,  362,  452,  540,  635,  727,  831,  860,  958,  1007,
				   1092, 1185, 1292, 1350, 1461, 1517, 1609, 1706, 1786, 1871 };

static void patterns_profile(struct synth *p, int per_chunk, int every, uint64_t chunk, int silent)
{
	struct nm_object cyc, dyn, st, tab, few;
	unsigned hash = 1;
	int chunks = (int)(8 * MiB / chunk);

	profile_begin(p, 4, 8, 4);
	cyc = add_object(p, OBJ_HEAP, SITE_CYCLIC, 8 * MiB, "malloc");
	dyn = add_object(p, OBJ_HEAP, SITE_DYNAMIC, 8 * MiB, "malloc");
	st = add_object(p, OBJ_HEAP, SITE_STENCIL, 8 * MiB, "malloc");
	tab = add_object(p, OBJ_HEAP, SITE_TABLE, 8 * MiB, "malloc");
	add_object(p, OBJ_HEAP, SITE_UNSEEN, 8 * MiB, "malloc");
	few = add_object(p, OBJ_HEAP, SITE_FEW, 8 * MiB, "malloc");
	touch(p, &few, 2, 2, 0.3, 0.4, 3, 0);
	few = add_object(p, OBJ_HEAP, SITE_SWEEP_ONLY, 8 * MiB, "malloc");
	touch(p, &few, 0, 0, 0, 1, 40, 0);
	touch(p, &few, 3, 4, 0.6, 0.7, 2, 0);
	few = add_object(p, OBJ_HEAP, SITE_SWEEP_SEEN, 8 * MiB, "malloc");
	for (size_t i = 0; i < sizeof(guest_sweep) / sizeof(guest_sweep[0]); i++)
		touch(p, &few, 0, 0, guest_sweep[i] / 2048.0, (guest_sweep[i] + 1) / 2048.0, 1, 0);
	touch(p, &tab, 0, 0, 0, 1, 300, 0);
	for (int w = 1; w <= 4; w++)
		touch(p, &tab, w, 2 * (w - 1), 0, 1, 200, 0);
	touch(p, &cyc, 0, 0, 0, 1, 5 * per_chunk, 0);
	/* Anywhere in the chunk, as a sampler's are: samples at fixed points
	 * of chunks fit other chunk sizes as well. */
	for (int k = 0; k < chunks; k += every) {
		double at = (k + (hash = hash * 1103515245u + 12345u) / 65536 % 900 / 1000.0) * chunk;

		if (1 + k % 4 != silent)
			touch(p, &cyc, 1 + k % 4, 2 * (k % 4), at / (8 * MiB),
			      (at + 0.1 * chunk) / (8 * MiB), per_chunk, 0);
	}
	for (int round = 0; round < 4; round++)
		for (int k = 0; k < 128; k++) {
			int w = 1 + (hash = hash * 1103515245u + 12345u) / 65536 % 4;

			touch(p, &dyn, w, 2 * (w - 1), k / 128.0, (k + 1) / 128.0, 2, 0);
		}
	touch(p, &st, 0, 0, 0, 1, 100, 0);
	for (int w = 1; w <= 4; w++) {
		touch(p, &st, w, 2 * (w - 1), (w - 1) / 4.0, w / 4.0, 400, 0);
		touch(p, &st, w, 2 * (w - 1), w / 4.0 - 1 / 512.0, w / 4.0, 10, 0);
		if (w < 4)
			touch(p, &st, w, 2 * (w - 1), w / 4.0, w / 4.0 + 1 / 2048.0, 10, 0);
	}
	db_flush(p->db);
}

static void check_cyclic(const struct advice *adv, uint64_t chunk, const char *reason)
{
	const struct policy_rule *r = rule_at(adv->policy, SITE_CYCLIC);

	CHECK(r && r->action == ACT_CYCLIC);
	if (!r || r->action != ACT_CYCLIC)
		return;
	CHECK_INT(r->chunk, chunk);
	CHECK_INT(r->neach, 4);
	for (int k = 0; k < r->neach && k < 4; k++)
		CHECK_INT(r->each[k], k);
	CHECK(strstr(site_of(adv, r)->reason, reason) == site_of(adv, r)->reason);
	CHECK(site_of(adv, r)->after.local >= 0.99 * site_of(adv, r)->after.total);
}

static void test_patterns(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct synth p;
	struct advice adv;
	const struct policy_rule *r;

	patterns_profile(&p, 8, 1, 64 * KiB, 0);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	check_cyclic(&adv, 64 * KiB, "cyclic: 4 threads take turns on chunks of 65536 bytes (schedule(static, "
		     "chunk); 100% of 1024 samples), leaving out 40 samples of threads touching every "
		     "chunk (initialisation)");
	r = rule_at(adv.policy, SITE_DYNAMIC);
	CHECK(r && r->action == ACT_INTERLEAVE && r->nodemask == 0xf);
	/* First touch makes more of its accesses local (the main thread's),
	 * but crowds every thread onto node 0's memory. */
	r = rule_at(adv.policy, SITE_TABLE);
	CHECK(r && r->action == ACT_INTERLEAVE && r->nodemask == 0xf);
	CHECK(site_of(&adv, r)->after.local < site_of(&adv, r)->before.local);
	for (int site = SITE_STENCIL; site <= SITE_SWEEP_ONLY; site += 0x100) {
		r = rule_at(adv.policy, site);
		if (site == SITE_TABLE)
			continue;
		CHECK(r && r->action == ACT_BLOCK);
		for (int w = 0; w < 4; w++)
			check_seg(r, w, w, w * POLICY_PPM / 4, (w + 1) * POLICY_PPM / 4);
	}
	r = rule_at(adv.policy, SITE_UNSEEN);
	CHECK(r && strstr(site_of(&adv, r)->reason, "block, as prog+0xd00: too cold to tell "
			  "(0 samples), and objects of one size (8388608 bytes) are usually shared "
			  "out alike") == site_of(&adv, r)->reason);
	r = rule_at(adv.policy, SITE_SWEEP_SEEN);
	CHECK(r && strstr(site_of(&adv, r)->reason, "block, as prog+0xd00: too cold to tell "
			  "(20 samples)") == site_of(&adv, r)->reason);
	advice_free(&adv);
	profile_end(&p);

	/* As few samples as a second of the clock sampler gives in the
	 * guest under load: one in every third chunk. */
	patterns_profile(&p, 1, 3, 64 * KiB, 0);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	check_cyclic(&adv, 64 * KiB, "cyclic: 4 threads take turns on chunks of 65536 bytes "
		     "(schedule(static, chunk); 100% of 43 samples), leaving out 5 samples");
	advice_free(&adv);
	profile_end(&p);

	/* Chunks of 3000 doubles: not pages, and the size is found exactly. */
	patterns_profile(&p, 2, 1, 24000, 0);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	check_cyclic(&adv, 24000, "cyclic: 4 threads take turns on chunks of 24000 bytes");
	advice_free(&adv);
	profile_end(&p);

	/* Worker 3 never sampled: its phase still goes to its node, by rank. */
	patterns_profile(&p, 8, 1, 64 * KiB, 3);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	check_cyclic(&adv, 64 * KiB, "cyclic: 4 threads take turns on chunks of 65536 bytes");
	advice_free(&adv);
	profile_end(&p);
}

/* A 2 MiB table read at random by 4 workers, per_worker samples each
 * after the main thread's sweep (what a second of the clock sampler sees
 * of a lookup table next to hotter arrays): among thousands of chunk
 * sizes, one fits two of the workers by chance; a schedule deals every
 * worker its turn, so that is no cyclic plan, nor any other pattern.
 * seed: which random places.  Returns the site's action. */
static int random_reads_action(unsigned seed, int per_worker)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct synth p;
	struct advice adv;
	struct nm_object o;
	const struct policy_rule *r;
	int action;

	profile_begin(&p, 4, 8, 4);
	o = add_object(&p, OBJ_HEAP, SITE_CYCLIC, 2 * MiB, "malloc");
	touch(&p, &o, 0, 0, 0, 1, 8, 0);
	for (int w = 1; w <= 4; w++)
		for (int i = 0; i < per_worker; i++) {
			double at = (seed = seed * 1103515245u + 12345u) / 65536 % 10000 / 10000.0;

			touch(&p, &o, w, 2 * (w - 1), at, at + 1e-6, 1, 0);
		}
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_CYCLIC);
	action = r ? (int)r->action : -1;
	advice_free(&adv);
	profile_end(&p);
	return action;
}

static void test_random_reads_unplanned(void)
{
	static const int per_worker[] = { 6, 12, 25 };

	for (int k = 0; k < 3; k++)
		for (unsigned seed = 1; seed <= 20; seed++) {
			int action = random_reads_action(seed, per_worker[k]);

			if (action == ACT_CYCLIC || action == ACT_BLOCK || action == ACT_PAGEMAP)
				fprintf(stderr, "seed %u, %d samples a worker: random reads planned as "
					"a pattern (%d)\n", seed, per_worker[k], action);
			CHECK(action != ACT_CYCLIC && action != ACT_BLOCK && action != ACT_PAGEMAP);
		}
}

/* Chunks of 64 KiB after a header of `header` bytes, chunk k worked on
 * by worker 1 + (k + shift) mod 4 (on node (k + shift) mod 4), 8 samples
 * anywhere in each chunk, and the main thread's initialisation: of the
 * whole object, or (init < 0) 12 samples of the header alone. */
static void offset_cyclic_profile(struct synth *p, uint64_t header, int shift, int init)
{
	uint64_t chunk = 64 * KiB, size = header + 8 * MiB;
	struct nm_object o;
	unsigned hash = 7;

	profile_begin(p, 4, 8, 4);
	o = add_object(p, OBJ_HEAP, SITE_CYCLIC, size, "malloc");
	if (init < 0)
		touch(p, &o, 0, 0, 0, (double)header / size, 12, 0);
	else
		touch(p, &o, 0, 0, 0, 1, 40, 0);
	for (uint64_t k = 0; k < 8 * MiB / chunk; k++) {
		double at = header + (k + (hash = hash * 1103515245u + 12345u) / 65536 % 900 / 1000.0) * chunk;
		int w = 1 + (int)((k + shift) % 4);

		touch(p, &o, w, 2 * (w - 1), at / size, (at + 0.1 * chunk) / size, 8, 0);
	}
	db_flush(p->db);
}

/* Where chunk k starts past a header, or goes to thread (k + s) mod T:
 * the rule deals the chunks from the header's end, starting with the
 * right node.  The main thread's samples all in the header fall in one
 * phase when the chunks start right: they must not take it from the
 * worker whose it is (t9029 in the guest, 1 run in 40). */
static void test_cyclic_offsets(void)
{
	static const struct { uint64_t header; int shift, init; } cases[] = {
		{ 0, 1, 0 }, { 0, 3, 0 }, { 64, 0, 0 }, { 24 * KiB, 0, 0 }, { 40 * KiB, 2, 0 },
		{ 200 * KiB, 1, 0 }, { 24 * KiB, 1, -1 }, { 40 * KiB, 0, -1 },
	};
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_rule *r;
		struct synth p;
		struct advice adv;

		offset_cyclic_profile(&p, cases[i].header, cases[i].shift, cases[i].init);
		CHECK_INT(advise_synth(&p, &opts, &adv), 0);
		r = rule_at(adv.policy, SITE_CYCLIC);
		CHECK(r && r->action == ACT_CYCLIC && r->chunk == 64 * KiB);
		if (r && r->action == ACT_CYCLIC && r->chunk == 64 * KiB) {
			/* Within half a page: the ranges round to the same pages. */
			CHECK(llabs((long long)r->chunk_from - (long long)(cases[i].header % r->chunk)) <
			      2048);
			CHECK(site_of(&adv, r)->after.local >= 0.99 * site_of(&adv, r)->after.total);
			CHECK(!strstr(site_of(&adv, r)->reason, "the first at byte") == !r->chunk_from);
		}
		advice_free(&adv);
		profile_end(&p);
	}
}

/* A queue's sides at it together: chunk after chunk, writer then
 * readers, each sample of `per` on its chunk. */
static void queue_rounds(struct synth *p, const struct nm_object *o, int nwriters, int per_write,
			 int nreaders, int per_read)
{
	for (int k = 0; k < 100; k++) {
		for (int w = 1; w <= nwriters; w++)
			touch_as(p, o, w, w - 1, k / 100.0, (k + 1) / 100.0, per_write, 0, ACCESS_WRITE);
		for (int w = nwriters + 1; w <= nwriters + nreaders; w++)
			touch_as(p, o, w, w - 1, k / 100.0, (k + 1) / 100.0, per_read, 0, ACCESS_READ);
	}
}

/* Queues on 4 nodes, worker w on node w - 1, pages first touched by the
 * producer (node 0): bound to the node whose side makes the most
 * samples (the consumer's, or the producer's, then left as first touch
 * put it); interleaved when the readers span nodes; data every thread
 * reads and writes is no queue, nor a table the main thread wrote
 * before the workers read it. */
static void test_queues(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct nm_object q, filled, mpmc, mixed, table, halves;
	const struct policy_rule *r;
	struct synth p;
	struct advice adv;

	profile_begin(&p, 4, 4, 4);
	q = add_object(&p, OBJ_HEAP, SITE_QUEUE, 8 * MiB, "malloc");
	filled = add_object(&p, OBJ_HEAP, SITE_QUEUE_FILLED, 8 * MiB, "malloc");
	mpmc = add_object(&p, OBJ_HEAP, SITE_MPMC, 8 * MiB, "malloc");
	mixed = add_object(&p, OBJ_HEAP, SITE_MIXED, 8 * MiB, "malloc");
	table = add_object(&p, OBJ_HEAP, SITE_TABLE, 8 * MiB, "malloc");
	halves = add_object(&p, OBJ_HEAP, SITE_HALVES, 8 * MiB, "malloc");
	queue_rounds(&p, &q, 1, 1, 1, 3);
	/* A writer on the first and third quarters, a reader on the second
	 * and fourth, at the same time: nothing passes between them, no
	 * queue (nor blocks: a thread's part is not one slice). */
	for (int k = 0; k < 100; k++)
		for (int q4 = 0; q4 < 4; q4++)
			touch_as(&p, &halves, 1 + q4 % 2, q4 % 2, q4 / 4.0 + k / 400.0,
				 q4 / 4.0 + (k + 1) / 400.0, 1 + 2 * (q4 % 2), 0,
				 q4 % 2 ? ACCESS_READ : ACCESS_WRITE);
	queue_rounds(&p, &filled, 1, 3, 1, 1);
	queue_rounds(&p, &mpmc, 2, 1, 2, 1);
	for (int w = 1; w <= 4; w++) {
		touch_as(&p, &mixed, w, w - 1, 0, 1, 50, 0, ACCESS_WRITE);
		touch_as(&p, &mixed, w, w - 1, 0, 1, 50, 0, ACCESS_READ);
	}
	touch_as(&p, &table, 0, 0, 0, 1, 100, 0, ACCESS_WRITE);
	for (int w = 1; w <= 4; w++)
		touch_as(&p, &table, w, w - 1, 0, 1, 100, 0, ACCESS_READ);
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_QUEUE);
	CHECK(r && r->action == ACT_BIND && r->nodemask == 1 << 1);
	CHECK(r && !strcmp(site_of(&adv, r)->reason, "bind: a queue, written by 1 thread on node 0 "
			   "and read by 1 on node 1; node 1's threads make 75% of 400 samples (one "
			   "side's accesses are remote wherever it is: the side that spends longer on "
			   "it keeps it, the readers on a tie)"));
	r = rule_at(adv.policy, SITE_QUEUE_FILLED);
	CHECK(r && r->action == ACT_LEAVE);
	CHECK(r && strstr(site_of(&adv, r)->reason, "leave: first touch already makes 75%"));
	r = rule_at(adv.policy, SITE_MPMC);
	CHECK(r && r->action == ACT_INTERLEAVE && r->nodemask == 0xf);
	CHECK(r && !strcmp(site_of(&adv, r)->reason, "interleave: a queue written by 2 threads on "
			   "nodes 0-1 and read by 2 on nodes 2-3: the readers span nodes, so no node "
			   "serves most of it"));
	r = rule_at(adv.policy, SITE_MIXED);
	CHECK(r && r->action == ACT_INTERLEAVE && strstr(site_of(&adv, r)->reason, "shared by"));
	r = rule_at(adv.policy, SITE_TABLE);
	CHECK(r && r->action == ACT_INTERLEAVE && strstr(site_of(&adv, r)->reason, "shared by"));
	r = rule_at(adv.policy, SITE_HALVES);
	CHECK(r && !strstr(site_of(&adv, r)->reason, "queue"));
	CHECK(r && site_of(&adv, r)->after.local >= 0.95 * site_of(&adv, r)->after.total);
	advice_free(&adv);
	profile_end(&p);
}

/* Advice for a queue on a machine of nodes nodes: rank 3 writes every
 * slot once from cpu wcpu, rank 4 reads each 3 times from rcpu, the
 * pages on wnode and rnode as the samples saw them; planned for 4 nodes.
 * The rule for the queue, or NULL. */
static const struct policy_rule *queue_rule(struct synth *p, struct advice *adv, int nodes,
					    int wcpu, int wnode, int rcpu, int rnode)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .nodes = 4 };
	struct nm_object q;

	profile_begin(p, nodes, 4, 4);
	q = add_object(p, OBJ_HEAP, SITE_QUEUE, 8 * MiB, "malloc");
	for (int k = 0; k < 100; k++) {
		touch_as(p, &q, 3, wcpu, k / 100.0, (k + 1) / 100.0, 1, wnode, ACCESS_WRITE);
		touch_as(p, &q, 4, rcpu, k / 100.0, (k + 1) / 100.0, 3, rnode, ACCESS_READ);
	}
	db_flush(p->db);
	CHECK_INT(advise_synth(p, &opts, adv), 0);
	CHECK_INT(adv->spread, 1);
	return rule_at(adv->policy, SITE_QUEUE);
}

/* A queue profiled on one node and planned for 4 (threads spread by
 * rank): its consumer, rank 4, lands on node 0, where the producer's
 * first touch put the pages in the profile.  Leaving them ties with
 * binding them there, but by chance: next time the producer (rank 3, on
 * node 3) touches them first, so the plan is kept; as it is when leaving
 * them looks better, by the same chance. */
static void test_queue_spread(void)
{
	const struct policy_rule *r;
	struct synth p;
	struct advice adv;

	r = queue_rule(&p, &adv, 1, 2, 0, 3, 0);
	CHECK(r && r->action == ACT_BIND && r->nodemask == 1 << 0);
	CHECK(r && strstr(site_of(&adv, r)->reason, "bind: a queue, written by 1 thread on node 3 and "
			  "read by 1 on node 0; node 0's threads make 75% of 400 samples"));
	advice_free(&adv);
	profile_end(&p);

	/* Profiled on 4 nodes, both workers crowded on node 0 (spread by
	 * rank), the pages each saw where the other will not run: leaving
	 * them looks better than binding them (every sample local), by
	 * chance.  The plan is kept. */
	r = queue_rule(&p, &adv, 4, 0, 3, 0, 0);
	CHECK(r && r->action == ACT_BIND && r->nodemask == 1 << 0);
	advice_free(&adv);
	profile_end(&p);
}

/* A queue whose reader works longer than its writer (but makes less
 * than 90% of the samples): the writer's few samples (a slot in 4, here and there)
 * still show the queue written where it is read, at parts coarse enough
 * for them. */
static void test_queue_sparse_writer(void)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	const struct policy_rule *r;
	struct nm_object q;
	struct synth p;
	struct advice adv;

	profile_begin(&p, 4, 4, 2);
	q = add_object(&p, OBJ_HEAP, SITE_QUEUE, 8 * MiB, "malloc");
	for (int k = 0; k < 100; k++) {
		if (k * 7919 % 13 < 3)
			touch_as(&p, &q, 1, 0, k / 100.0, (k + 1) / 100.0, 2, 0, ACCESS_WRITE);
		touch_as(&p, &q, 2, 1, k / 100.0, (k + 1) / 100.0, 3, 0, ACCESS_READ);
	}
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_QUEUE);
	CHECK(r && r->action == ACT_BIND && r->nodemask == 1 << 1);
	CHECK(r && strstr(site_of(&adv, r)->reason, "bind: a queue, written by 1 thread on node 0"));
	advice_free(&adv);
	profile_end(&p);
}

/* policy_load on a database advises in memory, for the machine it runs on. */
static void test_load_profile(void)
{
	int cpu_node[4] = { 0, 0, 1, 1 };
	struct nm_topology two = { .nr_nodes = 2, .nr_cpus = 4, .cpu_node = cpu_node };
	struct synth p;
	struct policy *pol;

	one_node_profile(&p);
	db_close(p.db);
	pol = policy_load(p.path, &two, 0, -1);
	CHECK(pol != NULL);
	if (pol) {
		/* Workers alternate over the 2 nodes: rank 1 on node 1 (cpu 2),
		 * rank 3 on node 1's next cpu; main and rank 2 share node 0. */
		CHECK_INT(policy_thread_cpu(pol, 0), 0);
		CHECK_INT(policy_thread_cpu(pol, 1), 2);
		CHECK_INT(policy_thread_cpu(pol, 2), 1);
		CHECK_INT(policy_thread_cpu(pol, 3), 3);
		CHECK_INT(policy_thread_cpu(pol, 4), 0);
		CHECK(rule_at(pol, SITE_BLOCK) && rule_at(pol, SITE_BLOCK)->action == ACT_BLOCK);
		policy_free(pol);
	}
	p.db = db_create(p.path, true);     /* for profile_end */
	profile_end(&p);
	CHECK(policy_load("/nonexistent.db", &two, 0, -1) == NULL);
}

static void test_cmd_advise(void)
{
	char out[] = "/tmp/numamma-advise-policy-XXXXXX", kept[sizeof(out) + 4];
	struct synth p;
	struct policy *pol;
	char *argv[] = { "advise", "-o", out, "--nodes", "4", NULL, NULL };
	char *bad[] = { "advise", "--nodes", "0", "x.db", NULL };

	close(mkstemp(out));
	snprintf(kept, sizeof(kept), "%s.old", out);
	one_node_profile(&p);
	argv[5] = p.path;
	CHECK_INT(cmd_advise(6, argv), 0);
	pol = policy_read_file(out);
	CHECK(pol != NULL);
	CHECK(pol && pol->npins == 5);
	policy_free(pol);
	unlink(out);
	/* advise kept the empty file it found there, as it keeps any. */
	CHECK_INT(unlink(kept), 0);
	CHECK_INT(cmd_advise(4, bad), 125);
	argv[5] = "/nonexistent.db";
	CHECK_INT(cmd_advise(6, argv), 125);
	profile_end(&p);
}

/* A fork's copy of o in process pid (single-threaded, forked by the
 * first process). */
static struct nm_object fork_copy(struct synth *p, const struct nm_object *o, pid_t pid)
{
	struct nm_object c = *o;

	c.id = p->next_id++;
	c.pid = c.tid = pid;
	db_add_object(p->db, &c);
	return c;
}

static const struct policy_pin *child_pin(const struct policy *pol, int child)
{
	for (int i = 0; i < pol->npins; i++)
		if (pol->pins[i].child == child)
			return &pol->pins[i];
	return NULL;
}

/* Worker processes: the main process initialises a shared mapping and
 * forks 4 workers, each on its quarter of its copy, then a fifth that
 * hardly touches it; the first worker also works on a buffer of its
 * own.  With `threads` samples of a worker thread of the main process,
 * those threads are the workers instead. */
static void worker_processes(int threads)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .nodes = 4 };
	struct nm_object m, copy, own;
	const struct policy_rule *r;
	struct advice adv;
	struct synth p;

	profile_begin(&p, 1, 4, threads ? 1 : 0);
	m = add_object(&p, OBJ_MMAP, SITE_BLOCK, 8 * MiB, "mmap");
	touch(&p, &m, 0, 0, 0, 1, 200, 0);
	for (int k = 1; k <= 5; k++) {
		pid_t pid = PID + 100 * k;

		db_add_process(p.db, pid, PID, "/work/prog", 0);
		db_add_thread(p.db, pid, pid, 0, 0);
		copy = fork_copy(&p, &m, pid);
		touch_by(&p, &copy, pid, k % 4, (k - 1) / 4.0, k / 4.0, k < 5 ? 300 : 2, 0, ACCESS_READ);
		if (k == 1) {
			own = add_object_in(&p, pid, OBJ_HEAP, SITE_OWN, 1 * MiB, "malloc");
			touch_by(&p, &own, pid, 1, 0, 0.5, 300, 0, ACCESS_READ);
		}
	}
	if (threads)
		touch(&p, &m, 1, 1, 0, 1, threads, 0);
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_BLOCK);
	if (threads) {
		CHECK_INT(adv.worker_processes, 0);
		CHECK(child_pin(adv.policy, 1) == NULL);
		CHECK(r && r->action != ACT_BLOCK);
	} else {
		CHECK_INT(adv.worker_processes, 1);
		/* Children 1-4 as ranks 1-4: nodes 1, 2, 3, 0; the fifth is none. */
		for (int k = 1; k <= 4; k++) {
			const struct policy_pin *pin = child_pin(adv.policy, k);

			CHECK(pin && pin->cpu == -1 && pin->node == k % 4 && pin->rank == 0);
		}
		CHECK(child_pin(adv.policy, 5) == NULL);
		CHECK(r && r->action == ACT_BLOCK);
		check_seg(r, 0, 1, 0, 250000);
		check_seg(r, 1, 2, 250000, 500000);
		check_seg(r, 2, 3, 500000, 750000);
		check_seg(r, 3, 0, 750000, POLICY_PPM);
		/* A worker's own buffer: first touch in it puts it on its node
		 * (no rule, or leave; its samples alone would say bind 1). */
		r = rule_at(adv.policy, SITE_OWN);
		CHECK(!r || r->action == ACT_LEAVE);
	}
	advice_free(&adv);
	profile_end(&p);
}

/* A 2-D array's tiles: 512 rows of 16 KiB, 2 x 2 threads; threads 1
 * and 2 work on the first 256 rows, each on half of every row, 3 and 4
 * on the others; the main thread initialised it, its main_samples
 * spread from main_from to main_to of it (the guest's clock sampler
 * catches 8 or so: their range, not a sweep one time in ten there). */
static void tiles(int main_samples, double main_from, double main_to)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .nodes = 4 };
	const uint64_t row = 16 * KiB, rows = 512;
	const struct policy_rule *r;
	struct nm_object m;
	struct advice adv;
	struct synth p;
	uint64_t seed = 12345;

	profile_begin(&p, 1, 4, 4);
	m = add_object(&p, OBJ_HEAP, SITE_BLOCK, rows * row, "malloc");
	touch(&p, &m, 0, 0, main_from, main_to, main_samples, 0);
	for (int i = 0; i < 4 * 150; i++) {
		int w = 1 + i % 4;
		uint64_t y, x;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		y = (seed >> 33) % (rows / 2) + (w > 2 ? rows / 2 : 0);
		x = (seed >> 13) % (row / 2) + (w % 2 ? 0 : row / 2);
		sample_at(&p, &m, PID + w, w - 1, y * row + x, 0, ACCESS_WRITE);
	}
	db_flush(p.db);
	CHECK_INT(advise_synth(&p, &opts, &adv), 0);
	r = rule_at(adv.policy, SITE_BLOCK);
	CHECK(r && r->action == ACT_TILES);
	if (r && r->action == ACT_TILES) {
		CHECK_INT(r->chunk, row / 2);
		CHECK_INT(r->nseg, 2);
		check_seg(r, 0, 1, 0, 500000);
		check_seg(r, 1, 3, 500000, POLICY_PPM);
		CHECK_INT(r->neach, 4);
		CHECK(r->neach == 4 && r->each[0] == 1 && r->each[1] == 2 && r->each[2] == 3 &&
		      r->each[3] == 0);
		CHECK(adv.after.local >= 0.95 * adv.after.total);
	}
	advice_free(&adv);
	profile_end(&p);
}

static void test_tiles(void)
{
	tiles(300, 0, 1);
	tiles(8, 0.2, 0.7);
}

static void test_worker_processes(void)
{
	worker_processes(0);
	worker_processes(5000);
}

int main(void)
{
	test_static_schedules();
	test_per_thread_buffers();
	test_sparse_per_thread_buffers();
	test_spread_from_one_node();
	test_plan_applies();
	test_observed_mapping();
	test_load_profile();
	test_cmd_advise();
	test_patterns();
	test_queues();
	test_queue_spread();
	test_queue_sparse_writer();
	test_cyclic_offsets();
	test_random_reads_unplanned();
	test_worker_processes();
	test_tiles();
	return unit_done();
}
