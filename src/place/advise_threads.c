/* advise: the machine to plan for and the threads' plan.  A thread's node
 * is where it is planned to run, which is where it ran unless the
 * profile's threads all ran on one node or crowded some (then workers are
 * spread over the target's nodes by creation rank). */
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "binding.h"
#include "error.h"

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

static void set_cpu_node(struct nm_topology *t, long cpu, long node)
{
	if (cpu < 0 || cpu >= 1 << 16)
		return;
	if (cpu >= t->nr_cpus) {
		t->cpu_node = xrealloc(t->cpu_node, (cpu + 1) * sizeof(int));
		for (int c = t->nr_cpus; c <= cpu; c++)
			t->cpu_node[c] = -1;
		t->nr_cpus = cpu + 1;
	}
	t->cpu_node[cpu] = (int)node;
	add_node_id(t, (int)node);
}

/* The profiled machine: its cpus' nodes, then nodes without cpus. */
void read_profile_topology(struct analysis *a)
{
	struct nm_topology *t = &a->profile;

	for (size_t i = 0; i < a->run->ncpus; i++)
		set_cpu_node(t, a->run->cpus[i].cpu, a->run->cpus[i].node);
	for (size_t i = 0; i < a->run->nnodes; i++)
		add_node_id(t, a->run->nodes[i].node);
	if (!t->nr_nodes)
		add_node_id(t, 0);
}

static void use_target(struct analysis *a, const struct nm_topology *t, int with_layout)
{
	a->ntarget = t->nr_nodes;
	a->target = xcalloc(t->nr_nodes, sizeof(int));
	for (int i = 0; i < t->nr_nodes; i++)
		a->target[i] = t->node_ids ? t->node_ids[i] : i;
	a->layout = with_layout ? t : NULL;
}

/* A profile taken under a launcher's binding (an MPI rank's cpuset) is
 * planned within it: its threads and pages stay on the cpus and nodes
 * that rank is given, not the whole machine.  1 when it was narrower. */
static int use_binding(struct analysis *a)
{
	const struct prof_run_info *ri = &a->run->run;
	struct binding b;
	char nodes[NODELIST_TEXT];
	uint64_t mask = 0;
	int narrower;

	if (a->opts->nodes || binding_parse(&b, ri->cpus_allowed, ri->mems_allowed) < 0)
		return 0;
	narrower = binding_restrict_topology(&b, &a->profile, &a->bound);
	binding_free(&b);
	if (!narrower)
		return 0;
	use_target(a, &a->bound, 1);
	for (int i = 0; i < a->ntarget; i++)
		mask |= a->target[i] < POLICY_MAX_NODES ? 1ULL << a->target[i] : 0;
	policy_nodelist_text(mask, nodes, sizeof(nodes));
	a->adv->binding = xasprintf("within the launcher's binding: cpus %s, node%s %s",
				    ri->cpus_allowed ? ri->cpus_allowed : "all",
				    a->ntarget > 1 ? "s" : "", nodes);
	return 1;
}

/* The machine to plan for: --nodes N, else the larger of the profiled
 * machine and the one we run on.  Its cpus are known when it is one of
 * the two; otherwise pins name nodes only. */
void choose_target(struct analysis *a)
{
	const struct nm_topology *machine = a->opts->machine;
	int want = a->opts->nodes;

	a->adv->profile_nodes = a->profile.nr_nodes;
	if (!use_binding(a)) {
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
	}
	a->adv->target_nodes = a->ntarget;
}

int sample_node(const struct analysis *a, int64_t cpu, int64_t node)
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

int find_thread(const struct advice *adv, pid_t pid, pid_t tid)
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
	*t = (struct advice_thread){ .pid = pid, .tid = tid, .rank = rank, .ran_cpu = -1,
				     .ran_node = -1, .node = -1, .pin_cpu = -1, .pin_node = -1 };
	return adv->nthreads++;
}

/* Where each thread ran most, from its samples' cpus. */
static void read_thread_cpus(struct analysis *a)
{
	struct advice *adv = a->adv;
	uint64_t *best = xcalloc(adv->nthreads + 1, sizeof(*best));

	for (size_t k = 0; k < a->run->nthread_cpus; k++) {
		const struct prof_thread_cpu *tc = &a->run->thread_cpus[k];
		int i = find_thread(adv, tc->pid, tc->tid);
		int node = sample_node(a, tc->cpu, tc->node);

		if (i < 0)
			continue;
		adv->threads[i].samples += tc->samples;
		/* By cpu: a thread that ran on two cpus of a node is placed on
		 * the node of its busiest cpu, which is good enough to pin. */
		if (node >= 0 && tc->samples > best[i]) {
			best[i] = tc->samples;
			adv->threads[i].ran_cpu = tc->cpu;
			adv->threads[i].ran_node = node;
		}
	}
	free(best);
}

static int recorded_tid(const struct prof_run *run, pid_t tid)
{
	for (size_t i = 0; i < run->nthreads; i++)
		if (run->threads[i].tid == tid)
			return 1;
	return 0;
}

static int thread_rank_cmp(const void *x, const void *y)
{
	const struct advice_thread *p = x, *q = y;
	int c = thread_cmp(x, y);

	return c ? c : (p->rank > q->rank) - (p->rank < q->rank);
}

static int process_threads(const struct advice *adv, pid_t pid)
{
	int n = 0;

	for (int i = 0; i < adv->nthreads; i++)
		n += adv->threads[i].pid == pid;
	return n;
}

/* Samples each process's main thread (by index) took on its copies of
 * the first process's objects: a mapping it shares, its heap or statics
 * as they were at the fork; not a program it exec'd. */
static uint64_t *parents_data_samples(const struct analysis *a)
{
	uint64_t *n = xcalloc(a->adv->nthreads + 1, sizeof(*n));

	for (size_t i = 0; i < a->run->nsamples; i++) {
		const struct prof_sample *ps = &a->run->samples[i];
		const struct obj_ref *o = sample_object(a, ps);
		int t = o && o->copy ? find_thread(a->adv, ps->pid, ps->pid) : -1;

		if (t >= 0 && ps->tid == ps->pid)
			n[t]++;
	}
	return n;
}

/* The processes the first one forked (a pre-fork server's, a process
 * pool's) are its workers when at least two worked on its data (a few
 * samples at least), each single-threaded, and they took more samples
 * than the first process's threads but main (a pool's helper threads):
 * the K-th is then planned like the thread of rank K.  A child that
 * starts threads of its own is not (pinning it would put all of them on
 * one cpu), nor the programs a shell or make runs. */
static void read_worker_processes(struct analysis *a)
{
	struct advice *adv = a->adv;
	pid_t first = main_pid(a);
	uint64_t *on_parents = parents_data_samples(a), in_workers = 0, in_threads = 0;
	int k = 0, workers = 0;

	for (size_t i = 0; i < a->run->nprocesses; i++) {
		const struct prof_process *p = &a->run->processes[i];
		int t;

		if (p->ppid != first || p->pid == first)
			continue;
		k++;
		t = find_thread(adv, p->pid, p->pid);
		if (t >= 0 && on_parents[t] >= RANK_MIN_SAMPLES && adv->threads[t].rank == 0 &&
		    process_threads(adv, p->pid) == 1) {
			adv->threads[t].child = k;
			in_workers += adv->threads[t].samples;
			workers++;
		}
	}
	for (int i = 0; i < adv->nthreads; i++)
		if (adv->threads[i].pid == first && adv->threads[i].rank > 0)
			in_threads += adv->threads[i].samples;
	for (int i = 0; i < adv->nthreads; i++)
		if (workers < 2 || in_workers <= in_threads)
			adv->threads[i].child = 0;
	adv->worker_processes = workers >= 2 && in_workers > in_threads;
	free(on_parents);
}

/* The recorded threads, and those only samples name; each once. */
void read_threads(struct analysis *a)
{
	struct advice *adv = a->adv;
	int n = 0;

	for (size_t i = 0; i < a->run->nthreads; i++)
		add_thread(adv, a->run->threads[i].pid, a->run->threads[i].tid, a->run->threads[i].rank);
	for (size_t i = 0; i < a->run->nthread_cpus; i++)
		if (!recorded_tid(a->run, a->run->thread_cpus[i].tid))
			add_thread(adv, a->run->thread_cpus[i].pid, a->run->thread_cpus[i].tid, -1);
	qsort(adv->threads, adv->nthreads, sizeof(*adv->threads), thread_rank_cmp);
	for (int i = 0; i < adv->nthreads; i++)
		if (!n || thread_rank_cmp(&adv->threads[i], &adv->threads[n - 1]))
			adv->threads[n++] = adv->threads[i];
	adv->nthreads = n;
	read_thread_cpus(a);
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

pid_t main_pid(const struct analysis *a)
{
	return a->run->nprocesses ? a->run->processes[0].pid : -1;
}

int worker_rank(const struct advice_thread *t)
{
	return t->child ? t->child : t->rank;
}

int first_process_worker(const struct analysis *a, const struct advice_thread *t)
{
	if (a->adv->worker_processes)
		return t->child || (t->pid == a->first_pid && t->rank == 0);
	return t->pid == a->first_pid;
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

		if ((t->pid != pid && !t->child) || t->rank < 0 || t->node < 0)
			continue;
		if (!adv->spread && same_cpus)
			t->pin_cpu = t->ran_cpu;
		else if (a->layout)
			t->pin_cpu = pin_cpu_on(a->layout, t->node, next);
		if (t->pin_cpu < 0)
			t->pin_node = t->node;
		policy_add_pin(adv->policy, t->child, t->child ? 0 : t->rank, t->pin_cpu, t->pin_node,
			       0);
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

		if (worker_rank(t) <= 0)
			continue;
		nworkers++;
		if (t->ran_node < 0 || t->ran_node >= POLICY_MAX_NODES)
			return 1;
		if (++per_node[t->ran_node] > most)
			most = per_node[t->ran_node];
	}
	return most > (nworkers + ntarget - 1) / ntarget;
}

void plan_threads(struct analysis *a)
{
	struct advice *adv = a->adv;
	int only = -1, nran = distinct_ran_nodes(adv, &only);

	read_worker_processes(a);
	adv->unbalanced = nran > 1 && workers_unbalanced(adv, a->ntarget);
	adv->spread = (nran <= 1 || adv->unbalanced) && a->ntarget > 1;
	for (int i = 0; i < adv->nthreads; i++) {
		struct advice_thread *t = &adv->threads[i];

		if (adv->spread && worker_rank(t) > 0)
			t->node = a->target[worker_rank(t) % a->ntarget];
		else if (adv->spread && t->rank == 0 && t->ran_node < 0)
			t->node = a->target[0];
		else
			t->node = fold_node(a, t->ran_node);
	}
	describe_mapping(a, nran, only);
	plan_pins(a);
}

