/* advise: from a profile database to a placement policy.
 *
 * Objects are grouped by allocation site (heap/mmap: call stack; static:
 * module + symbol) so that the plan applies to the next run's objects.
 * Each sample becomes a proportional position in its object plus the
 * thread that made it; a thread's node is where it is planned to run,
 * which is where it ran unless the profile's threads all ran on one node
 * (then workers are spread over the target's nodes by creation rank). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "error.h"

#define MIN_SAMPLES       20     /* fewer: too cold to tell a pattern */
#define RANK_MIN_SAMPLES  4      /* worker samples behind a rank-block plan */
#define RANK_SHARE        0.90   /* of them in their own rank's slice */
#define COLD_PER_MILLE    1      /* of all attributed samples */
#define BIND_SHARE        0.90   /* one node makes this much: bind */
#define PATTERN_LOCAL     0.80   /* block/pagemap must make this local */
#define USER_SHARE        0.05   /* a node using this much interleaves */
#define SWEEP_SPAN        0.75   /* a thread spanning this much sweeps */
#define MAX_BUCKETS       1024   /* pagemap resolution */
#define MAX_EACH          4096   /* objects an `each` rule lists */
#define PAGE              4096

/* One sample, as seen by its site. */
struct point {
	uint32_t pos;            /* in POLICY_PPM of the object */
	int thread;              /* index in adv->threads */
	int node, page_node;     /* where it ran and where the page was; -1 */
	int nth;                 /* its object's allocation order at the site
				  * in the first process; -1 in others */
};

struct site {
	enum obj_kind kind;
	int64_t callsite_id;
	char *module, *symbol;   /* statics */
	int nobjects;
	int nfirst;              /* objects of the first process */
	uint64_t max_size;
	struct point *pts;
	size_t npts, cap;
};

struct obj_ref {
	int64_t id;
	uint64_t addr, size;
	int site;
	pid_t pid;
	int nth;                 /* see struct point */
};

struct analysis {
	sqlite3 *sql;
	const char *name;
	const struct advise_opts *opts;
	struct advice *adv;
	struct nm_topology profile;      /* the profiled machine */
	const struct nm_topology *layout;/* target cpus, NULL when unknown */
	int *target;                     /* target node ids */
	int ntarget;
	struct site *sites;
	int nsites;
	struct obj_ref *objs;
	size_t nobjs;
	pid_t first_pid;                 /* the first process traced */
};

/* ---- SQL helpers ---- */

static sqlite3_stmt *query(struct analysis *a, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(a->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		error("'%s': cannot read the profile: %s", a->name, sqlite3_errmsg(a->sql));
		return NULL;
	}
	return st;
}

static int64_t col_int(sqlite3_stmt *st, int i, int64_t null)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? null : sqlite3_column_int64(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* ---- topology ---- */

static int node_index(const int *ids, int n, int node)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == node)
			return i;
	return -1;
}

static void add_node_id(struct nm_topology *t, int node)
{
	if (node < 0 || node_index(t->node_ids, t->nr_nodes, node) >= 0)
		return;
	t->node_ids = xrealloc(t->node_ids, (t->nr_nodes + 1) * sizeof(int));
	t->node_ids[t->nr_nodes++] = node;
}

/* runs.cpu_nodes "0:0,1:0,2:1" and the nodes table. */
static int read_profile_topology(struct analysis *a)
{
	sqlite3_stmt *st = query(a, "SELECT cpu_nodes FROM runs ORDER BY id LIMIT 1");
	struct nm_topology *t = &a->profile;
	const char *s;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && (s = col_text(st, 0))) {
		while (*s) {
			char *end;
			long cpu = strtol(s, &end, 10), node;

			if (*end != ':')
				break;
			node = strtol(end + 1, &end, 10);
			if (cpu >= 0 && cpu < 1 << 16) {
				if (cpu >= t->nr_cpus) {
					t->cpu_node = xrealloc(t->cpu_node, (cpu + 1) * sizeof(int));
					for (int c = t->nr_cpus; c <= cpu; c++)
						t->cpu_node[c] = -1;
					t->nr_cpus = cpu + 1;
				}
				t->cpu_node[cpu] = (int)node;
				add_node_id(t, (int)node);
			}
			s = end + (*end == ',');
		}
	}
	sqlite3_finalize(st);
	st = query(a, "SELECT node FROM nodes ORDER BY node");
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		add_node_id(t, (int)sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	if (!t->nr_nodes)
		add_node_id(t, 0);
	return 0;
}

static void use_target(struct analysis *a, const struct nm_topology *t, int with_layout)
{
	a->ntarget = t->nr_nodes;
	a->target = xcalloc(t->nr_nodes, sizeof(int));
	for (int i = 0; i < t->nr_nodes; i++)
		a->target[i] = t->node_ids ? t->node_ids[i] : i;
	a->layout = with_layout ? t : NULL;
}

/* The machine to plan for: --nodes N, else the larger of the profiled
 * machine and the one we run on.  Its cpus are known when it is one of
 * the two; otherwise pins name nodes only. */
static void choose_target(struct analysis *a)
{
	const struct nm_topology *machine = a->opts->machine;
	int want = a->opts->nodes;

	if (!want)
		want = machine && machine->nr_nodes > a->profile.nr_nodes ? machine->nr_nodes
									 : a->profile.nr_nodes;
	if (machine && machine->nr_nodes == want)
		use_target(a, machine, 1);
	else if (a->profile.nr_nodes == want)
		use_target(a, &a->profile, 1);
	else {
		struct nm_topology nodes_only = { .nr_nodes = want };
		use_target(a, &nodes_only, 0);
	}
	a->adv->profile_nodes = a->profile.nr_nodes;
	a->adv->target_nodes = a->ntarget;
}

static int sample_node(const struct analysis *a, int64_t cpu, int64_t node)
{
	if (cpu >= 0 && cpu < a->profile.nr_cpus && a->profile.cpu_node[cpu] >= 0)
		return a->profile.cpu_node[cpu];
	return (int)node;
}

/* ---- threads ---- */

static int thread_cmp(const void *x, const void *y)
{
	const struct advice_thread *p = x, *q = y;

	return p->pid != q->pid ? (p->pid < q->pid ? -1 : 1) : (p->tid > q->tid) - (p->tid < q->tid);
}

static int find_thread(const struct advice *adv, pid_t pid, pid_t tid)
{
	struct advice_thread key = { .pid = pid, .tid = tid };
	struct advice_thread *t = bsearch(&key, adv->threads, adv->nthreads, sizeof(key), thread_cmp);

	return t ? (int)(t - adv->threads) : -1;
}

static int add_thread(struct advice *adv, pid_t pid, pid_t tid, int rank)
{
	struct advice_thread *t;

	adv->threads = xrealloc(adv->threads, (adv->nthreads + 1) * sizeof(*t));
	t = &adv->threads[adv->nthreads];
	*t = (struct advice_thread){ pid, tid, rank, 0, -1, -1, -1, -1, -1 };
	return adv->nthreads++;
}

/* Where each thread ran most, from its samples' cpus. */
static int read_thread_cpus(struct analysis *a)
{
	struct advice *adv = a->adv;
	sqlite3_stmt *st = query(a, "SELECT pid, tid, cpu, node, COUNT(*) FROM samples"
				    " GROUP BY pid, tid, cpu, node");
	uint64_t *best;

	if (!st)
		return -1;
	best = xcalloc(adv->nthreads + 1, sizeof(*best));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int i = find_thread(adv, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
		int64_t cpu = col_int(st, 2, -1);
		uint64_t n = sqlite3_column_int64(st, 4);
		int node = sample_node(a, cpu, col_int(st, 3, -1));

		if (i < 0)
			continue;
		adv->threads[i].samples += n;
		/* By cpu: a thread that ran on two cpus of a node is placed on
		 * the node of its busiest cpu, which is good enough to pin. */
		if (node >= 0 && n > best[i]) {
			best[i] = n;
			adv->threads[i].ran_cpu = (int)cpu;
			adv->threads[i].ran_node = node;
		}
	}
	free(best);
	sqlite3_finalize(st);
	return 0;
}

static int read_threads(struct analysis *a)
{
	struct advice *adv = a->adv;
	sqlite3_stmt *st = query(a, "SELECT pid, tid, rank FROM threads"
				    " UNION SELECT DISTINCT pid, tid, NULL FROM samples"
				    " WHERE tid NOT IN (SELECT tid FROM threads)");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		add_thread(adv, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
			   (int)col_int(st, 2, -1));
	sqlite3_finalize(st);
	qsort(adv->threads, adv->nthreads, sizeof(*adv->threads), thread_cmp);
	return read_thread_cpus(a);
}

/* ---- the thread -> node plan ---- */

static int target_has(const struct analysis *a, int node)
{
	return node_index(a->target, a->ntarget, node) >= 0;
}

/* A node of the profile's machine on a target with fewer nodes. */
static int fold_node(const struct analysis *a, int node)
{
	int i;

	if (node < 0 || target_has(a, node))
		return node;
	i = node_index(a->profile.node_ids, a->profile.nr_nodes, node);
	return a->target[(i < 0 ? 0 : i) % a->ntarget];
}

static int distinct_ran_nodes(const struct advice *adv, int *only)
{
	uint64_t seen = 0;
	int n = 0;

	for (int i = 0; i < adv->nthreads; i++) {
		int node = adv->threads[i].ran_node;

		if (node >= 0 && node < POLICY_MAX_NODES && !(seen >> node & 1)) {
			seen |= 1ULL << node;
			*only = node;
			n++;
		}
	}
	return n;
}

static void describe_mapping(struct analysis *a, int nran, int only)
{
	struct advice *adv = a->adv;

	if (adv->spread && adv->unbalanced)
		adv->mapping = xasprintf("planned: in the profile, worker threads crowded some of its "
					 "%d nodes (or were never sampled), so they are spread round-robin "
					 "by creation rank over the %d target nodes (thread of rank r on "
					 "node #r mod %d; the main thread stays on its node)",
					 nran, a->ntarget, a->ntarget);
	else if (adv->spread)
		adv->mapping = xasprintf("planned: the profile's sampled threads all ran on node %d, "
					 "so worker threads are spread round-robin by creation rank over the %d "
					 "target nodes (thread of rank r on node #r mod %d; the main "
					 "thread stays on its node)", only, a->ntarget, a->ntarget);
	else if (nran == 0)
		adv->mapping = xstrdup("unknown: no sample says where threads ran");
	else
		adv->mapping = xasprintf("observed: threads keep the node%s they ran on in the "
					 "profile (%d node%s)%s", nran > 1 ? "s" : "", nran,
					 nran > 1 ? "s" : "",
					 a->ntarget > 1 ? "" : "; the target has one node");
}

static int pin_cpu_on(const struct nm_topology *t, int node, int *next)
{
	int n = 0, want;

	for (int c = 0; c < t->nr_cpus; c++)
		n += t->cpu_node[c] == node;
	if (!n)
		return -1;
	want = next[node]++ % n;
	for (int c = 0; c < t->nr_cpus; c++)
		if (t->cpu_node[c] == node && want-- == 0)
			return c;
	return -1;
}

/* The first process traced: ranks are per process, pins by rank only. */
static pid_t main_pid(struct analysis *a)
{
	sqlite3_stmt *st = query(a, "SELECT pid FROM processes ORDER BY rowid LIMIT 1");
	pid_t pid = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		pid = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return pid;
}

static void plan_pins(struct analysis *a)
{
	struct advice *adv = a->adv;
	int next[POLICY_MAX_NODES] = { 0 };
	pid_t pid = main_pid(a);
	/* Where the target is the profiled machine, a kept thread goes
	 * back to the very cpu it ran on. */
	int same_cpus = a->layout == &a->profile;

	for (int i = 0; i < adv->nthreads; i++) {
		struct advice_thread *t = &adv->threads[i];

		if (t->pid != pid || t->rank < 0 || t->node < 0)
			continue;
		if (!adv->spread && same_cpus)
			t->pin_cpu = t->ran_cpu;
		else if (a->layout)
			t->pin_cpu = pin_cpu_on(a->layout, t->node, next);
		if (t->pin_cpu < 0)
			t->pin_node = t->node;
		policy_add_pin(adv->policy, t->rank, t->pin_cpu, t->pin_node, 0);
	}
}

/* Unpinned threads land where the scheduler put them: a profile where
 * some node ran more workers than its share, or where a worker was never
 * seen, is no mapping worth reproducing. */
static int workers_unbalanced(const struct advice *adv, int ntarget)
{
	int per_node[POLICY_MAX_NODES] = { 0 }, nworkers = 0, most = 0;

	for (int i = 0; i < adv->nthreads; i++) {
		const struct advice_thread *t = &adv->threads[i];

		if (t->rank <= 0)
			continue;
		nworkers++;
		if (t->ran_node < 0 || t->ran_node >= POLICY_MAX_NODES)
			return 1;
		if (++per_node[t->ran_node] > most)
			most = per_node[t->ran_node];
	}
	return most > (nworkers + ntarget - 1) / ntarget;
}

static void plan_threads(struct analysis *a)
{
	struct advice *adv = a->adv;
	int only = -1, nran = distinct_ran_nodes(adv, &only);

	adv->unbalanced = nran > 1 && workers_unbalanced(adv, a->ntarget);
	adv->spread = (nran <= 1 || adv->unbalanced) && a->ntarget > 1;
	for (int i = 0; i < adv->nthreads; i++) {
		struct advice_thread *t = &adv->threads[i];

		if (adv->spread && t->rank > 0)
			t->node = a->target[t->rank % a->ntarget];
		else if (adv->spread && t->rank == 0 && t->ran_node < 0)
			t->node = a->target[0];
		else
			t->node = fold_node(a, t->ran_node);
	}
	describe_mapping(a, nran, only);
	plan_pins(a);
}

/* ---- objects and their samples ---- */

static int same_site(const struct site *s, enum obj_kind kind, int64_t callsite,
		     const char *module, const char *symbol)
{
	if (s->kind != kind)
		return 0;
	if (kind != OBJ_STATIC)
		return s->callsite_id == callsite;
	return !strcmp(s->module, module) && !strcmp(s->symbol, symbol);
}

static int kind_from_name(const char *name, enum obj_kind *kind)
{
	static const enum obj_kind kinds[] = { OBJ_HEAP, OBJ_MMAP, OBJ_STATIC };

	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(name, obj_kind_name(kinds[i]))) {
			*kind = kinds[i];
			return 0;
		}
	return -1;
}

static void add_object(struct analysis *a, int64_t id, pid_t pid, uint64_t addr, uint64_t size,
		       enum obj_kind kind, int64_t callsite, const char *module, const char *symbol)
{
	struct site *s = a->nsites ? &a->sites[a->nsites - 1] : NULL;

	if (!s || !same_site(s, kind, callsite, module, symbol)) {
		a->sites = xrealloc(a->sites, (a->nsites + 1) * sizeof(*a->sites));
		s = &a->sites[a->nsites++];
		*s = (struct site){ .kind = kind, .callsite_id = callsite };
		if (kind == OBJ_STATIC) {
			s->module = xstrdup(module);
			s->symbol = xstrdup(symbol);
		}
	}
	s->nobjects++;
	if (size > s->max_size)
		s->max_size = size;
	if (a->nobjs % 1024 == 0)
		a->objs = xrealloc(a->objs, (a->nobjs + 1024) * sizeof(*a->objs));
	a->objs[a->nobjs++] = (struct obj_ref){ id, addr, size, a->nsites - 1, pid, -1 };
}

static int obj_cmp(const void *x, const void *y)
{
	const struct obj_ref *p = x, *q = y;

	return (p->id > q->id) - (p->id < q->id);
}

/* Object ids grow with time: the allocation order of each site's objects
 * in the first process, as run counts them. */
static void number_objects(struct analysis *a)
{
	a->first_pid = main_pid(a);
	for (size_t i = 0; i < a->nobjs; i++)
		if (a->objs[i].pid == a->first_pid)
			a->objs[i].nth = a->sites[a->objs[i].site].nfirst++;
}

/* Objects in site order, so that one pass groups them.  A static's
 * module is the one mapped at its address. */
static int read_objects(struct analysis *a)
{
	sqlite3_stmt *st = query(a,
		"SELECT o.id, o.address, o.size, o.kind, o.callsite_id, o.name,"
		"  CASE WHEN o.kind = 'static' THEN (SELECT m.module FROM modules m"
		"    WHERE m.pid = o.pid AND o.address >= m.start AND o.address < m.end"
		"    ORDER BY m.end - m.start LIMIT 1) END AS module, o.pid"
		" FROM objects o WHERE o.kind IN ('heap', 'mmap', 'static') AND o.size > 0"
		" ORDER BY o.kind, o.callsite_id, module, o.name");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		enum obj_kind kind;
		int64_t callsite = col_int(st, 4, 0);
		const char *module = col_text(st, 6), *symbol = col_text(st, 5);

		if (kind_from_name(col_text(st, 3), &kind) < 0)
			continue;
		/* Without a site identity no rule can find it next time. */
		if (kind == OBJ_STATIC ? !module || !symbol : !callsite)
			continue;
		add_object(a, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 7),
			   sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), kind, callsite,
			   module, symbol);
	}
	sqlite3_finalize(st);
	qsort(a->objs, a->nobjs, sizeof(*a->objs), obj_cmp);
	number_objects(a);
	return 0;
}

static void add_point(struct site *s, struct point p)
{
	if (s->npts == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pts = xrealloc(s->pts, s->cap * sizeof(*s->pts));
	}
	s->pts[s->npts++] = p;
}

static int read_samples(struct analysis *a)
{
	sqlite3_stmt *st = query(a, "SELECT object_id, address, pid, tid, cpu, node, page_node"
				    " FROM samples WHERE object_id IS NOT NULL AND address IS NOT NULL");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct obj_ref key = { .id = sqlite3_column_int64(st, 0) }, *o;
		uint64_t addr = sqlite3_column_int64(st, 1);
		struct point p;

		o = bsearch(&key, a->objs, a->nobjs, sizeof(key), obj_cmp);
		if (!o || addr < o->addr || addr - o->addr >= o->size)
			continue;
		p.pos = (uint32_t)((unsigned __int128)(addr - o->addr) * POLICY_PPM / o->size);
		p.thread = find_thread(a->adv, sqlite3_column_int(st, 2), sqlite3_column_int(st, 3));
		p.node = sample_node(a, col_int(st, 4, -1), col_int(st, 5, -1));
		p.page_node = (int)col_int(st, 6, -1);
		p.nth = o->nth;
		add_point(&a->sites[o->site], p);
		a->adv->samples++;
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- predicting locality ---- */

static const struct advice_thread *thread_at(const struct analysis *a, const struct point *p)
{
	return p->thread >= 0 ? &a->adv->threads[p->thread] : NULL;
}

static int planned_node(const struct analysis *a, const struct point *p)
{
	return p->thread >= 0 ? a->adv->threads[p->thread].node : -1;
}

static int segment_node(const struct policy_rule *r, uint32_t pos)
{
	for (int i = 0; i < r->nseg; i++)
		if (pos >= r->seg[i].start && pos < r->seg[i].end)
			return r->seg[i].node;
	return -1;
}

static int popcount64(uint64_t m)
{
	return __builtin_popcountll(m);
}

/* Accesses that would be local under rule r with the planned threads;
 * leave keeps each page where the profile saw it. */
static struct locality predict(const struct analysis *a, const struct site *s,
			       const struct policy_rule *r)
{
	struct locality l = { 0, 0 };

	for (size_t i = 0; i < s->npts; i++) {
		const struct point *p = &s->pts[i];
		int node = planned_node(a, p);

		if (node < 0 || (r->action == ACT_LEAVE && p->page_node < 0))
			continue;
		l.total++;
		switch (r->action) {
		case ACT_LEAVE:
			l.local += p->page_node == node;
			break;
		case ACT_BIND:
			l.local += r->nodemask >> node & 1;
			break;
		case ACT_INTERLEAVE:
			if (node < POLICY_MAX_NODES && (r->nodemask >> node & 1))
				l.local += 1.0 / popcount64(r->nodemask);
			break;
		case ACT_BLOCK:
		case ACT_PAGEMAP:
			l.local += segment_node(r, p->pos) == node;
			break;
		case ACT_EACH:
			l.local += p->nth >= 0 && r->each[p->nth % r->neach] == node;
			break;
		}
	}
	return l;
}

static struct locality measured(const struct site *s)
{
	struct locality l = { 0, 0 };

	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].node >= 0 && s->pts[i].page_node >= 0) {
			l.total++;
			l.local += s->pts[i].node == s->pts[i].page_node;
		}
	return l;
}

static double fraction(struct locality l)
{
	return l.total ? l.local / l.total : 0;
}

/* ---- choosing the action ---- */

static void add_segment(struct policy_rule *r, uint32_t start, uint32_t end, int node)
{
	struct policy_segment *last = r->nseg ? &r->seg[r->nseg - 1] : NULL;

	if (end <= start)
		return;
	if (last && last->node == node && last->end == start) {
		last->end = end;
		return;
	}
	r->seg = xrealloc(r->seg, (r->nseg + 1) * sizeof(*r->seg));
	r->seg[r->nseg++] = (struct policy_segment){ start, end, node };
}

/* Sample counts per planned node; returns the samples with a known node. */
static uint64_t node_counts(const struct analysis *a, const struct site *s, uint64_t *count)
{
	uint64_t known = 0;

	memset(count, 0, POLICY_MAX_NODES * sizeof(*count));
	for (size_t i = 0; i < s->npts; i++) {
		int node = planned_node(a, &s->pts[i]);

		if (node >= 0 && node < POLICY_MAX_NODES) {
			count[node]++;
			known++;
		}
	}
	return known;
}

/* A run of buckets of the object owned by one key (a thread or a node):
 * the key with the most samples in each bucket.  lo/hi are the owner's
 * first and last sampled positions in the run, to cut between runs more
 * finely than buckets do. */
struct run {
	int key;
	size_t first, last;
	uint32_t lo, hi;
};

typedef int (*point_key)(const struct analysis *a, const struct point *p);

static int thread_key(const struct analysis *a, const struct point *p)
{
	return planned_node(a, p) >= 0 ? p->thread : -1;
}

static int node_key(const struct analysis *a, const struct point *p)
{
	return planned_node(a, p);
}

static int point_by_pos(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	return (p->pos > q->pos) - (p->pos < q->pos);
}

/* Enough buckets for a fine map, few enough that each holds about 8
 * samples, and never finer than pages. */
static size_t bucket_count(const struct site *s, uint64_t known)
{
	uint64_t pages = (s->max_size + PAGE - 1) / PAGE, nb = known / 8;

	nb = nb > MAX_BUCKETS ? MAX_BUCKETS : nb < 2 ? 2 : nb;
	return nb > pages ? pages : nb;
}

static int bucket_owner(const struct analysis *a, const struct point *pts, size_t n, point_key key,
			uint32_t *count)
{
	uint32_t best = 0;
	int owner = -1;

	for (size_t i = 0; i < n; i++) {
		int k = key(a, &pts[i]);

		if (k >= 0 && ++count[k] > best) {
			best = count[k];
			owner = k;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (key(a, &pts[i]) >= 0)
			count[key(a, &pts[i])] = 0;
	return owner;
}

/* Buckets nobody sampled extend the run before them. */
static int owner_runs(const struct analysis *a, struct site *s, size_t nb, point_key key,
		      int nkeys, struct run **out)
{
	uint32_t *count = xcalloc(nkeys, sizeof(*count));
	struct run *runs = NULL, *run = NULL;
	int n = 0;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_pos);
	for (size_t b = 0, i = 0, j; b < nb; b++, i = j) {
		int owner;

		for (j = i; j < s->npts && (uint64_t)s->pts[j].pos * nb / POLICY_PPM == b; j++)
			;
		owner = bucket_owner(a, s->pts + i, j - i, key, count);
		if (owner >= 0 && (!run || run->key != owner)) {
			runs = xrealloc(runs, (n + 1) * sizeof(*runs));
			run = &runs[n++];
			*run = (struct run){ owner, b, b, UINT32_MAX, 0 };
		}
		if (!run)
			continue;
		run->last = b;
		for (size_t k = i; k < j; k++)
			if (key(a, &s->pts[k]) == run->key) {
				run->lo = s->pts[k].pos < run->lo ? s->pts[k].pos : run->lo;
				run->hi = s->pts[k].pos > run->hi ? s->pts[k].pos : run->hi;
			}
	}
	free(count);
	*out = runs;
	return n;
}

/* Where run r ends and the next begins: halfway between the last sample
 * of one owner and the first of the next. */
static uint32_t run_boundary(const struct run *r, size_t nb)
{
	if (r[0].hi < r[1].lo)
		return (uint32_t)(((uint64_t)r[0].hi + r[1].lo) / 2);
	return (uint32_t)((r[0].last + 1) * POLICY_PPM / nb);
}

static int runs_to_segments(const struct analysis *a, const struct run *runs, int n, size_t nb,
			    point_key key, struct policy_rule *r)
{
	for (int i = 0; i < n; i++) {
		uint32_t start = i ? run_boundary(&runs[i - 1], nb) : 0;
		uint32_t end = i + 1 < n ? run_boundary(&runs[i], nb) : POLICY_PPM;
		int node = key == thread_key ? a->adv->threads[runs[i].key].node : runs[i].key;

		add_segment(r, start, end, node);
	}
	return r->nseg;
}

/* Block: each busy thread owns one contiguous run of the object. */
static int try_block(const struct analysis *a, struct site *s, uint64_t known, struct policy_rule *r)
{
	size_t nb = bucket_count(s, known);
	struct run *runs;
	int n = owner_runs(a, s, nb, thread_key, a->adv->nthreads, &runs), ok = n >= 2;

	for (int i = 0; ok && i < n; i++)
		for (int j = 0; ok && j < i; j++)
			ok = runs[j].key != runs[i].key;
	if (ok)
		runs_to_segments(a, runs, n, nb, thread_key, r);
	free(runs);
	r->action = ACT_BLOCK;
	return ok && r->nseg >= 2 && fraction(predict(a, s, r)) >= PATTERN_LOCAL ? n : 0;
}

/* Pagemap: runs owned by nodes, in any order, repeating. */
static int try_pagemap(const struct analysis *a, struct site *s, uint64_t known,
		       struct policy_rule *r)
{
	size_t nb = bucket_count(s, known);
	struct run *runs;
	int n = owner_runs(a, s, nb, node_key, POLICY_MAX_NODES, &runs);

	runs_to_segments(a, runs, n, nb, node_key, r);
	free(runs);
	r->action = ACT_PAGEMAP;
	return r->nseg >= 2 && fraction(predict(a, s, r)) >= PATTERN_LOCAL;
}

static void reset_rule(struct policy_rule *r)
{
	free(r->seg);
	r->seg = NULL;
	r->nseg = 0;
	free(r->each);
	r->each = NULL;
	r->neach = 0;
	r->nodemask = 0;
}

static char *nodelist_text(uint64_t mask)
{
	struct policy_rule r = { .site = SITE_DEFAULT, .action = ACT_INTERLEAVE, .nodemask = mask };
	char *text;

	policy_rule_format(&r);     /* "default interleave LIST" */
	text = xstrdup(strrchr(r.text, ' ') + 1);
	free(r.text);
	return text;
}

static char *block_reason(const struct policy_rule *r, int threads, struct locality after)
{
	uint32_t even = POLICY_PPM / threads;
	int equal = r->nseg == threads;

	for (int i = 0; equal && i < r->nseg; i++)
		equal = abs((int)(r->seg[i].end - r->seg[i].start) - (int)even) < (int)even / 10;
	if (equal)
		return xasprintf("block: %d threads each touch a disjoint 1/%d (%.0f%% of %" PRIu64
				 " samples)", threads, threads, 100 * fraction(after), after.total);
	return xasprintf("block: %d threads each touch their own contiguous slice (%.0f%% of %"
			 PRIu64 " samples)", threads, 100 * fraction(after), after.total);
}

/* Shared use: interleave over the nodes that use it, or bind when that is
 * one node after all. */
static char *plan_shared(const uint64_t *count, uint64_t known, struct policy_rule *r)
{
	uint64_t top = 0;
	char *nodes, *reason;

	for (int n = 0; n < POLICY_MAX_NODES; n++) {
		if (count[n] >= USER_SHARE * known)
			r->nodemask |= 1ULL << n;
		if (count[n] > top)
			top = count[n];
	}
	r->action = popcount64(r->nodemask) > 1 ? ACT_INTERLEAVE : ACT_BIND;
	nodes = nodelist_text(r->nodemask);
	if (r->action == ACT_BIND)
		reason = xasprintf("bind: threads on node %s make %.0f%% of %" PRIu64 " samples",
				   nodes, 100.0 * top / known, known);
	else
		reason = xasprintf("interleave: shared by threads on nodes %s (the busiest node makes "
				   "%.0f%% of %" PRIu64 " samples)", nodes, 100.0 * top / known, known);
	free(nodes);
	return reason;
}

/* Block, then pagemap: the reason, or NULL when neither fits. */
static char *try_patterns(const struct analysis *a, struct site *s, struct policy_rule *r)
{
	uint64_t count[POLICY_MAX_NODES], known = node_counts(a, s, count);
	int threads = try_block(a, s, known, r);

	if (threads)
		return block_reason(r, threads, predict(a, s, r));
	reset_rule(r);
	if (try_pagemap(a, s, known, r)) {
		struct locality l = predict(a, s, r);

		return xasprintf("pagemap: %d runs of pages, each used mostly by one node "
				 "(%.0f%% of %" PRIu64 " samples)", r->nseg, 100 * fraction(l), l.total);
	}
	reset_rule(r);
	return NULL;
}

static int point_by_thread(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	if (p->thread != q->thread)
		return p->thread < q->thread ? -1 : 1;
	return (p->pos > q->pos) - (p->pos < q->pos);
}

/* A thread sweeping the whole object (its 5th to 95th percentile span
 * most of it) while others keep to parts of it: the serial initialisation
 * of data the threads then share out, or first-touch samples.  Such
 * sweeps hide the pattern the plan is for.  Returns a copy of the site
 * without them, or NULL when there is no sweep or fewer than min_kept
 * samples besides. */
static struct site *without_sweepers(const struct analysis *a, struct site *s, size_t min_kept)
{
	char *sweeper = xcalloc(a->adv->nthreads + 1, 1);
	uint64_t nodes = 0;
	size_t kept = 0, swept = 0;
	struct site *copy = NULL;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_thread);
	for (size_t i = 0, j; i < s->npts; i = j) {
		size_t n;

		for (j = i; j < s->npts && s->pts[j].thread == s->pts[i].thread; j++)
			;
		n = j - i;
		if (planned_node(a, &s->pts[i]) < 0)
			continue;
		if (s->pts[i + n * 95 / 100].pos - s->pts[i + n * 5 / 100].pos >= SWEEP_SPAN * POLICY_PPM) {
			sweeper[s->pts[i].thread] = 1;
			swept += n;
		} else {
			kept += n;
			nodes |= 1ULL << planned_node(a, &s->pts[i]);
		}
	}
	if (swept && kept >= min_kept && popcount64(nodes) >= 2) {
		copy = xcalloc(1, sizeof(*copy));
		*copy = (struct site){ .kind = s->kind, .max_size = s->max_size };
		for (size_t i = 0; i < s->npts; i++)
			if (planned_node(a, &s->pts[i]) >= 0 && !sweeper[s->pts[i].thread])
				add_point(copy, s->pts[i]);
	}
	free(sweeper);
	return copy;
}

static void site_free(struct site *s)
{
	free(s->module);
	free(s->symbol);
	free(s->pts);
}

/* The static schedule (OpenMP's default, and most hand-written thread
 * code): the thread of creation rank r works on slice r - first of
 * `slices` equal slices of the object.  first = 1 when the main thread
 * only waits for its workers; first = 0 when it works too (OpenMP's
 * master is thread 0); first = 2 when a helper thread (an initialiser,
 * a monitor) was started before the workers. */
struct schedule {
	int first, slices;
};

struct schedule_fit {
	uint64_t total, in_slice, seen;
};

/* How well the workers' samples fit: the main thread's (and a helper's)
 * are not looked at, since the serial initialisation sweeps the object. */
static struct schedule_fit fit_schedule(const struct analysis *a, const struct site *s,
					struct schedule sc, pid_t pid)
{
	struct schedule_fit fit = { 0, 0, 0 };

	for (size_t i = 0; i < s->npts; i++) {
		const struct advice_thread *t = thread_at(a, &s->pts[i]);
		int slice = (int)((uint64_t)s->pts[i].pos * sc.slices / POLICY_PPM);

		if (!t || t->rank <= 0 || t->rank < sc.first || t->rank - sc.first >= sc.slices ||
		    t->pid != pid)
			continue;
		fit.total++;
		if (slice == t->rank - sc.first) {
			fit.in_slice++;
			fit.seen |= 1ULL << slice;
		}
	}
	return fit;
}

/* Whether the main thread works on the first slice, as OpenMP's master
 * does: half again as many of its samples there as its initialisation
 * sweep alone would put. */
static int main_works_first(const struct analysis *a, const struct site *s, int slices, pid_t pid)
{
	uint64_t in = 0, total = 0;

	for (size_t i = 0; i < s->npts; i++) {
		const struct advice_thread *t = thread_at(a, &s->pts[i]);

		if (!t || t->rank != 0 || t->pid != pid)
			continue;
		total++;
		in += (uint64_t)s->pts[i].pos * slices / POLICY_PPM == 0;
	}
	return in >= 2 && 2 * in * slices >= 3 * total;
}

static int fits(struct schedule_fit f)
{
	return f.total >= RANK_MIN_SAMPLES && f.in_slice >= RANK_SHARE * f.total &&
	       popcount64(f.seen) >= 2;
}

/* Recognised when nearly all worker samples fall in their own rank's
 * slice and at least two workers were seen; the slices of the workers no
 * sample caught follow from the others.  Needs far fewer samples than
 * finding boundaries, which matters for the watch sampler.  Returns the
 * number of sampled workers, 0 when the pattern is not there. */
static int try_rank_blocks(const struct analysis *a, const struct site *s, const struct site *all,
			   struct policy_rule *r, struct schedule *sc)
{
	static const int firsts[] = { 1, 0, 2 };    /* the likeliest first */
	const struct advice *adv = a->adv;
	pid_t pid = a->first_pid;
	struct schedule_fit best = { 0, 0, 0 };
	int workers = 0;

	for (int i = 0; i < adv->nthreads; i++)
		workers += adv->threads[i].rank > 0 && adv->threads[i].pid == pid;
	if (workers < 2 || workers >= 64)
		return 0;
	/* Several can fit where few samples sit near the slices' ends (the
	 * watch sampler's cluster): OpenMP's when the main thread's samples
	 * (in all, its sweeps too) say it works, else the best fit. */
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		struct schedule c = { firsts[i], workers + 1 - firsts[i] };
		struct schedule_fit f;
		int evidence;

		if (c.slices < 2)
			continue;
		f = fit_schedule(a, s, c, pid);
		evidence = c.first == 0 && main_works_first(a, all, c.slices, pid);
		if (fits(f) && (!best.total || evidence ||
				f.in_slice * best.total > best.in_slice * f.total)) {
			*sc = c;
			best = f;
			if (evidence)
				break;
		}
	}
	if (!best.total)
		return 0;
	for (int i = 0; i < adv->nthreads; i++) {
		const struct advice_thread *t = &adv->threads[i];
		int slice = t->rank - sc->first;

		if (slice < 0 || slice >= sc->slices || t->pid != pid || t->node < 0)
			continue;
		add_segment(r, (uint32_t)((uint64_t)slice * POLICY_PPM / sc->slices),
			    (uint32_t)((uint64_t)(slice + 1) * POLICY_PPM / sc->slices), t->node);
	}
	r->action = ACT_BLOCK;
	return popcount64(best.seen);
}

/* The static-schedule plan and its reason, or NULL (r left reset).  s
 * may be all the site's samples or those left without sweeps. */
static char *rank_blocks(const struct analysis *a, const struct site *s, const struct site *all,
			 struct policy_rule *r)
{
	struct schedule sc;
	int seen = try_rank_blocks(a, s, all, r, &sc);
	struct locality l;

	if (!seen) {
		reset_rule(r);
		return NULL;
	}
	l = predict(a, s, r);
	static const char *const who[] = {
		"the thread (0 = main, as in OpenMP) of rank r works on the (r+1)-th",
		"the worker of rank r works on the r-th",
		"the worker of rank r works on the (r-1)-th (rank 1 is a helper)",
	};

	return xasprintf("block: %s of %d equal slices (static schedule, seen in %d workers; %.0f%% "
			 "of %" PRIu64 " samples local under this plan)", who[sc.first], sc.slices,
			 seen, 100 * fraction(l), l.total);
}

/* ---- one node per object ---- */

/* Per-thread buffers: many objects from one call site (allocated in a
 * loop by the main thread), each used by one worker.  Positions inside
 * the objects say nothing; which object a thread uses says it all. */
struct object_use {
	uint64_t known, top;     /* samples of known node, of the top node */
	int node, thread;        /* the node and thread with most samples */
};

static void count_object(const struct analysis *a, const struct point *pts, size_t n,
			 struct object_use *u)
{
	uint32_t per_node[POLICY_MAX_NODES] = { 0 };
	uint32_t *per_thread = xcalloc(a->adv->nthreads, sizeof(*per_thread));
	uint32_t top_thread = 0;

	for (size_t i = 0; i < n; i++) {
		int node = planned_node(a, &pts[i]);

		if (node < 0 || node >= POLICY_MAX_NODES)
			continue;
		u->known++;
		if (++per_node[node] > u->top) {
			u->top = per_node[node];
			u->node = node;
		}
		if (++per_thread[pts[i].thread] > top_thread) {
			top_thread = per_thread[pts[i].thread];
			u->thread = pts[i].thread;
		}
	}
	free(per_thread);
}

static int point_by_thread_nth(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	if (p->thread != q->thread)
		return p->thread < q->thread ? -1 : 1;
	return (p->nth > q->nth) - (p->nth < q->nth);
}

static int point_by_nth(const void *x, const void *y)
{
	const struct point *p = x, *q = y;

	return (p->nth > q->nth) - (p->nth < q->nth);
}

/* The object's user, by rank: objects nobody sampled go to the thread of
 * rank nth + first when every sampled one did (first 1: the k-th buffer
 * for the k-th worker; 0: the main thread has the first one). */
static void fill_by_rank(const struct analysis *a, const struct object_use *u, int n, int *each)
{
	for (int first = 1; first >= 0; first--) {
		int ok = 1;

		for (int k = 0; ok && k < n; k++)
			ok = u[k].thread < 0 || a->adv->threads[u[k].thread].rank == k + first;
		if (!ok)
			continue;
		for (int k = 0; k < n; k++)
			for (int i = 0; each[k] < 0 && i < a->adv->nthreads; i++)
				if (a->adv->threads[i].rank == k + first &&
				    a->adv->threads[i].pid == a->first_pid)
					each[k] = a->adv->threads[i].node;
		return;
	}
}

static char *with_sweep_note(char *reason, const struct site *s, const struct site *eval,
			     const char *sweepers)
{
	char *full;

	if (eval == s)
		return reason;
	full = xasprintf("%s, leaving out %zu samples of %s (initialisation)", reason,
			 s->npts - eval->npts, sweepers);
	free(reason);
	return full;
}

static void drop_copy(struct site *s, struct site **eval)
{
	if (*eval != s) {
		site_free(*eval);
		free(*eval);
	}
	*eval = s;
}

/* Threads seen on several of the site's objects while others keep to
 * one: the main thread initialising every buffer (sampled on a few of
 * them when samples are sparse).  A copy of the site without them, or
 * NULL when there are none or nothing else. */
static struct site *without_object_sweepers(const struct analysis *a, struct site *s)
{
	char *sweeper = xcalloc(a->adv->nthreads + 1, 1);
	int nsweepers = 0, keep_to_one = 0;
	struct site *copy = NULL;
	size_t kept = 0;

	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_thread_nth);
	for (size_t i = 0, j; i < s->npts; i = j) {
		int objects = 0;

		for (j = i; j < s->npts && s->pts[j].thread == s->pts[i].thread; j++)
			objects += s->pts[j].nth >= 0 && (j == i || s->pts[j].nth != s->pts[j - 1].nth);
		if (s->pts[i].thread >= 0 && objects >= 2) {
			sweeper[s->pts[i].thread] = 1;
			nsweepers++;
		} else {
			keep_to_one += objects == 1;
			kept += j - i;
		}
	}
	if (nsweepers && keep_to_one >= 2 && kept >= RANK_MIN_SAMPLES) {
		copy = xcalloc(1, sizeof(*copy));
		*copy = (struct site){ .kind = s->kind, .max_size = s->max_size, .nfirst = s->nfirst };
		for (size_t i = 0; i < s->npts; i++)
			if (s->pts[i].thread < 0 || !sweeper[s->pts[i].thread])
				add_point(copy, s->pts[i]);
	}
	free(sweeper);
	return copy;
}

/* Each object on the node of the thread using it: 90% of the samples
 * with a known node on their object's top node, and two nodes at least.
 * Returns the number of objects sampled, 0 when the pattern is not there. */
static int try_each(const struct analysis *a, struct site *s, struct policy_rule *r)
{
	int n = s->nfirst, seen = 0;
	struct object_use *u;
	uint64_t known = 0, top = 0, nodes = 0;

	if (n < 2 || n > MAX_EACH)
		return 0;
	u = xcalloc(n, sizeof(*u));
	for (int k = 0; k < n; k++)
		u[k] = (struct object_use){ 0, 0, -1, -1 };
	qsort(s->pts, s->npts, sizeof(*s->pts), point_by_nth);
	for (size_t i = 0, j; i < s->npts; i = j) {
		for (j = i; j < s->npts && s->pts[j].nth == s->pts[i].nth; j++)
			;
		if (s->pts[i].nth >= 0)
			count_object(a, s->pts + i, j - i, &u[s->pts[i].nth]);
	}
	r->neach = n;
	r->each = xcalloc(n, sizeof(*r->each));
	for (int k = 0; k < n; k++) {
		r->each[k] = u[k].known ? u[k].node : -1;
		known += u[k].known;
		top += u[k].top;
		if (u[k].known) {
			seen++;
			nodes |= 1ULL << u[k].node;
		}
	}
	if (known >= RANK_MIN_SAMPLES && top >= RANK_SHARE * known && popcount64(nodes) >= 2) {
		fill_by_rank(a, u, n, r->each);
		r->action = ACT_EACH;
	} else {
		seen = 0;
	}
	free(u);
	return seen;
}

/* The per-object plan and its reason, or NULL (r left reset).  *eval
 * becomes the samples it was judged on. */
static char *per_object(const struct analysis *a, struct site *s, struct policy_rule *r,
			struct site **eval)
{
	struct site *copy = s->nfirst >= 2 ? without_object_sweepers(a, s) : NULL;
	struct site *use = copy ? copy : s;
	int seen = try_each(a, use, r);
	struct locality l;
	char *reason;

	if (!seen) {
		reset_rule(r);
		if (copy)
			drop_copy(s, &copy);
		return NULL;
	}
	drop_copy(s, eval);
	*eval = use;
	l = predict(a, use, r);
	reason = xasprintf("each: every object from here is used by one thread (%d objects, %d "
			   "sampled; %.0f%% of %" PRIu64 " samples local under this plan)",
			   s->nfirst, seen, 100 * fraction(l), l.total);
	return with_sweep_note(reason, s, use, "threads seen on several objects");
}

/* Sets r's action and returns the reason, in words.  *eval is the site
 * whose samples the plan should be judged on: s, or its copy without
 * sweeps when the pattern was found there. */
static char *choose_action(const struct analysis *a, struct site *s, struct policy_rule *r,
			   struct site **eval)
{
	uint64_t count[POLICY_MAX_NODES], known = node_counts(a, s, count), top = 0;
	int top_node = -1;
	char *reason;

	r->action = ACT_LEAVE;
	*eval = s;
	if (s->max_size < a->opts->min_size)
		return xasprintf("leave: too small (%" PRIu64 " bytes < %" PRIu64 ")",
				 s->max_size, a->opts->min_size);
	if (!(*eval = without_sweepers(a, s, RANK_MIN_SAMPLES)))
		*eval = s;
	/* First the static schedule: when it explains the samples, it also
	 * places the slices of workers no sample caught, which finding
	 * boundaries would hand to their neighbours. */
	if ((reason = rank_blocks(a, *eval, s, r)))
		return with_sweep_note(reason, s, *eval, "threads sweeping the whole object");
	if ((reason = per_object(a, s, r, eval)))
		return reason;
	if (known < MIN_SAMPLES || known * 1000 < COLD_PER_MILLE * a->adv->samples) {
		drop_copy(s, eval);
		return xasprintf("leave: too cold (%" PRIu64 " samples from threads of known node)",
				 known);
	}
	if (*eval != s && (*eval)->npts >= MIN_SAMPLES && (reason = try_patterns(a, *eval, r)))
		return with_sweep_note(reason, s, *eval, "threads sweeping the whole object");
	drop_copy(s, eval);
	for (int n = 0; n < POLICY_MAX_NODES; n++)
		if (count[n] > top) {
			top = count[n];
			top_node = n;
		}
	if (top >= BIND_SHARE * known) {
		r->action = ACT_BIND;
		r->nodemask = 1ULL << top_node;
		return xasprintf("bind: threads on node %d make %.0f%% of %" PRIu64 " samples",
				 top_node, 100.0 * top / known, known);
	}
	reason = try_patterns(a, s, r);
	return reason ? reason : plan_shared(count, known, r);
}

/* ---- rules ---- */

static char *frame_where(sqlite3_stmt *st)
{
	const char *fn = col_text(st, 3), *file = col_text(st, 4);
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (fn && file)
		return xasprintf("%s() %s:%d", fn, slash ? slash + 1 : file, sqlite3_column_int(st, 5));
	if (fn)
		return xasprintf("%s()", fn);
	return xasprintf("%s+0x%" PRIx64, col_text(st, 1), (uint64_t)sqlite3_column_int64(st, 2));
}

/* The callsite's frames into r; returns where it is, for humans. */
static char *callsite_frames(struct analysis *a, int64_t id, struct policy_rule *r)
{
	sqlite3_stmt *st = query(a, "SELECT depth, module, offset, function, file, line"
				    " FROM frames WHERE callsite_id = ? ORDER BY depth");
	char *where = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW && col_text(st, 1)) {
		r->frames = xrealloc(r->frames, (r->nframes + 1) * sizeof(*r->frames));
		r->frames[r->nframes++] = (struct policy_frame){
			xstrdup(col_text(st, 1)), (uint64_t)sqlite3_column_int64(st, 2) };
		if (!where)
			where = frame_where(st);
	}
	sqlite3_finalize(st);
	return where;
}

static void format_percent(char *buf, size_t len, struct locality l)
{
	if (l.total)
		snprintf(buf, len, "%.0f%%", 100 * fraction(l));
	else
		snprintf(buf, len, "n/a");
}

static void add_locality(struct locality *sum, struct locality l)
{
	sum->local += l.local;
	sum->total += l.total;
}

static void advise_site(struct analysis *a, struct site *s)
{
	struct advice *adv = a->adv;
	struct policy_rule *r = policy_add_rule(adv->policy);
	struct advice_site *out;
	struct policy_rule leave = { .action = ACT_LEAVE };
	struct locality kept;
	struct site *eval;
	char before[16], after[16];

	adv->sites = xrealloc(adv->sites, (adv->nsites + 1) * sizeof(*adv->sites));
	out = &adv->sites[adv->nsites++];
	*out = (struct advice_site){ .rule = adv->policy->nrules - 1, .kind = s->kind,
				     .nobjects = s->nobjects, .max_size = s->max_size,
				     .samples = s->npts };
	r->kind = s->kind;
	if (s->kind == OBJ_STATIC) {
		r->site = SITE_STATIC;
		r->module = xstrdup(s->module);
		r->symbol = xstrdup(s->symbol);
		out->where = xstrdup(s->symbol);
	} else {
		r->site = SITE_CALLSITE;
		out->where = callsite_frames(a, s->callsite_id, r);
		if (!out->where)
			out->where = xasprintf("callsite %" PRId64, s->callsite_id);
	}
	out->reason = choose_action(a, s, r, &eval);
	out->before = measured(eval);
	out->after = predict(a, eval, r);
	kept = predict(a, eval, &leave);
	add_locality(&adv->unplanned, kept);
	/* A plan that does no better than first touch is not worth making. */
	if (r->action != ACT_LEAVE) {
		/* On a tie, leave; but interleaving also spreads the load. */
		if (kept.total == out->after.total && (kept.local > out->after.local ||
		    (kept.local == out->after.local && r->action != ACT_INTERLEAVE))) {
			free(out->reason);
			out->reason = xasprintf("leave: first touch already makes %.0f%% of %" PRIu64
						" samples local", 100 * fraction(kept), kept.total);
			reset_rule(r);
			r->action = ACT_LEAVE;
			out->after = kept;
		}
	}
	drop_copy(s, &eval);
	add_locality(&adv->before, out->before);
	add_locality(&adv->after, out->after);
	format_percent(before, sizeof(before), out->before);
	format_percent(after, sizeof(after), out->after);
	r->comment = xasprintf("%s: %s\n%d object%s, up to %" PRIu64 " bytes; local accesses: "
			       "before %s, after %s", out->where, out->reason, s->nobjects,
			       s->nobjects > 1 ? "s" : "", s->max_size, before, after);
	policy_rule_format(r);
}

static int site_by_samples(const void *x, const void *y)
{
	const struct advice_site *p = x, *q = y;

	return (p->samples < q->samples) - (p->samples > q->samples);
}

static void advise_sites(struct analysis *a)
{
	for (int i = 0; i < a->nsites; i++)
		if (a->sites[i].npts)
			advise_site(a, &a->sites[i]);
	/* Most sampled first, in the report; the policy keeps site order. */
	qsort(a->adv->sites, a->adv->nsites, sizeof(*a->adv->sites), site_by_samples);
}

static int read_binaries(struct analysis *a)
{
	sqlite3_stmt *st = query(a, "SELECT DISTINCT m.module FROM processes p"
				    " JOIN modules m ON m.pid = p.pid AND m.path = p.exe");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (col_text(st, 0))
			policy_add_binary(a->adv->policy, col_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static void analysis_free(struct analysis *a)
{
	for (int i = 0; i < a->nsites; i++)
		site_free(&a->sites[i]);
	free(a->sites);
	free(a->objs);
	free(a->target);
	free(a->profile.cpu_node);
	free(a->profile.node_ids);
}

int advise_db(sqlite3 *sql, const char *name, const struct advise_opts *opts, struct advice *adv)
{
	struct analysis a = { .sql = sql, .name = name, .opts = opts, .adv = adv };
	int ret = -1;

	memset(adv, 0, sizeof(*adv));
	adv->policy = policy_new(name);
	if (read_profile_topology(&a) < 0 || read_threads(&a) < 0 || read_binaries(&a) < 0)
		goto out;
	choose_target(&a);
	plan_threads(&a);
	if (read_objects(&a) < 0 || read_samples(&a) < 0)
		goto out;
	advise_sites(&a);
	ret = 0;
out:
	analysis_free(&a);
	if (ret < 0)
		advice_free(adv);
	return ret;
}

void advice_free(struct advice *adv)
{
	for (int i = 0; i < adv->nsites; i++) {
		free(adv->sites[i].where);
		free(adv->sites[i].reason);
	}
	free(adv->sites);
	free(adv->threads);
	free(adv->mapping);
	policy_free(adv->policy);
	memset(adv, 0, sizeof(*adv));
}

/* ---- the readable plan ---- */

static void print_threads(FILE *f, const struct advice *adv)
{
	fprintf(f, "\nthreads (rank = creation order, 0 = main):\n");
	for (int i = 0; i < adv->nthreads; i++) {
		const struct advice_thread *t = &adv->threads[i];
		char ran[48] = "never sampled", pin[32] = "not pinned";

		if (t->ran_node >= 0 && t->ran_cpu >= 0)
			snprintf(ran, sizeof(ran), "ran on cpu %d (node %d)", t->ran_cpu, t->ran_node);
		else if (t->ran_node >= 0)
			snprintf(ran, sizeof(ran), "ran on node %d", t->ran_node);
		if (t->pin_cpu >= 0)
			snprintf(pin, sizeof(pin), "pin to cpu %d", t->pin_cpu);
		else if (t->pin_node >= 0)
			snprintf(pin, sizeof(pin), "pin to node %d", t->pin_node);
		fprintf(f, "  rank %-3d tid %-7d %7" PRIu64 " samples  %-24s -> node %-3d %s\n",
			t->rank, (int)t->tid, t->samples, ran, t->node, pin);
	}
}

void advice_print(FILE *f, const struct advice *adv)
{
	char before[16], after[16];

	fprintf(f, "numamma advise: %s: %" PRIu64 " samples on %d allocation sites\n",
		adv->policy->source, adv->samples, adv->nsites);
	fprintf(f, "machine: profiled on %d node%s, planned for %d node%s\n", adv->profile_nodes,
		adv->profile_nodes > 1 ? "s" : "", adv->target_nodes, adv->target_nodes > 1 ? "s" : "");
	fprintf(f, "thread mapping: %s\n", adv->mapping);
	print_threads(f, adv);
	fprintf(f, "\nsites (most sampled first):\n");
	for (int i = 0; i < adv->nsites; i++) {
		const struct advice_site *s = &adv->sites[i];
		const struct policy_rule *r = &adv->policy->rules[s->rule];

		format_percent(before, sizeof(before), s->before);
		format_percent(after, sizeof(after), s->after);
		fprintf(f, "  %-10s %-6s %s (%d object%s, up to %" PRIu64 " bytes)\n",
			policy_action_name(r->action), obj_kind_name(s->kind), s->where,
			s->nobjects, s->nobjects > 1 ? "s" : "", s->max_size);
		fprintf(f, "             %s\n", s->reason);
		fprintf(f, "             local accesses: before %s, after %s\n", before, after);
	}
	format_percent(before, sizeof(before), adv->before);
	fprintf(f, "\noverall local accesses:\n  before: %s measured in the profile (%" PRIu64
		" samples where both nodes are known)\n", before, adv->before.total);
	format_percent(before, sizeof(before), adv->unplanned);
	format_percent(after, sizeof(after), adv->after);
	fprintf(f, "  after:  %s predicted with this plan, against %s with the planned thread "
		"mapping alone (pages left where first touched; %" PRIu64 " samples)\n",
		after, before, adv->after.total);
}
