/* run mode's applier: each object the program allocates (and each static
 * of each module it loads) is placed as the policy says, by one mbind
 * injected per range while the allocating thread is stopped at the
 * allocator's return; threads are pinned by creation rank, the processes
 * the first one forks by fork order (pin-child); placed pages
 * are checked when the program exits.  Threads and pages stay inside the
 * program's binding (an MPI launcher's, taskset's, a cpuset's): a pin or
 * a node outside it is moved in or dropped, and the summary says so.
 * cmd_run wires it into a session. */
#include <errno.h>
#include <numaif.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "allowed.h"
#include "apply.h"
#include "binding.h"
#include "elfsyms.h"
#include "error.h"
#include "numa_syscall.h"
#include "objtrack.h"
#include "placement.h"
#include "procmaps.h"
#include "session.h"
#include "syscall_chain.h"
#include "topology.h"
#include "tracer_int.h"
#include "verify.h"

/* Per process: how many objects each rule matched so far, and a pidfd
 * for process_madvise. */
enum { PIDFD_NONE = -1, PIDFD_REFUSED = -2 };   /* not opened yet; no use */
struct rule_counts {
	pid_t pid;
	uint64_t *matched;
	int pidfd;
	bool pinned_child;         /* by pin-child: its threads keep its cpu */
	/* A launched program's main thread's thread-local pages, known at
	 * its start, moved when it is pinned (its first thread's start). */
	uint64_t main_tls_lo, main_tls_hi;
	/* Its main thread kept on its planned node from its exec (a plan of
	 * the main thread alone: main_on_its_node()), and the cpus it had
	 * then, which a thread it starts that the plan does not pin gets. */
	bool main_kept;
	cpu_set_t start_mask;
};

struct applier {
	struct session *s;
	struct policy *pol;
	bool pin, checked_binary;
	bool attached;             /* -p: the program sized its pools long ago */
	struct verifier *ver;
	pid_t first_pid;           /* the program's first process */
	int forks;                 /* processes it forked so far */
	int nprocs;
	struct rule_counts *procs;
	/* The program's binding, read from its first process. */
	struct binding binding;
	char *cpus_allowed, *mems_allowed;
	bool have_binding;
	uint64_t narrowed, dropped;    /* ranges kept off nodes outside it */
	int moved, unpinned;           /* pins outside it */
	/* The live threads pin_thread() pinned, each with its cpu's node
	 * (where their copies of the thread-local variables go) and the
	 * pages moved there so far (the modules' blocks are side by side). */
	struct pinned_thread {
		pid_t tid;
		int node;
		uint64_t moved_lo, moved_hi;
	} *pinned;
	size_t npinned, cappinned;
	/* Blocks the agent recorded while their threads ran on, planned:
	 * each is placed at its thread's stop after the call that made it
	 * (EV_PLACE_STOP), before the program touches it. */
	struct waiting_block {
		struct nm_object obj;
		struct place_plan plan;
	} *waiting;
	size_t nwaiting, capwaiting;
	uint64_t page_size;
};

/* Read once, from the first process seen: what the launcher gave it
 * (a child inherits it). */
static const struct binding *binding(struct applier *r, pid_t pid)
{
	struct allowed a;

	if (r->have_binding)
		return &r->binding;
	r->have_binding = true;
	if (allowed_read(pid, &a) == 0 && binding_parse(&r->binding, a.cpus, a.mems) == 0) {
		r->cpus_allowed = a.cpus;
		r->mems_allowed = a.mems;
		return &r->binding;
	}
	allowed_free(&a);
	binding_parse(&r->binding, NULL, NULL);
	return &r->binding;
}

static struct rule_counts *proc_counts(struct applier *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	r->procs = xrealloc(r->procs, (r->nprocs + 1) * sizeof(*r->procs));
	r->procs[r->nprocs] = (struct rule_counts){ .pid = pid, .pidfd = -1,
						    .matched = xcalloc(r->pol->nrules + 1,
								       sizeof(uint64_t)) };
	return &r->procs[r->nprocs++];
}

/* A process gone: its pid may come back as another one. */
static void forget_counts(struct applier *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid) {
			free(r->procs[i].matched);
			if (r->procs[i].pidfd >= 0)
				close(r->procs[i].pidfd);
			r->procs[i] = r->procs[--r->nprocs];
			return;
		}
}

/* mbind's arguments for range pr, its nodemask at mask_addr. */
static void mbind_args(const struct nm_object *obj, const struct place_range *pr,
		       uint64_t mask_addr, long args[6])
{
	long a[6] = { (long)(obj->addr + pr->offset), (long)pr->length, pr->mode, (long)mask_addr,
		      POLICY_MAX_NODES + 1, MPOL_MF_MOVE };

	memcpy(args, a, sizeof(a));
}

/* One injected mbind per range: the nodemask lives in the scratch page. */
static int apply_range(struct applier *r, struct tcb *t, const struct nm_object *obj,
		       const struct place_range *pr)
{
	struct proc *p = t->proc;
	uint64_t mask_addr = p->scratch + SCRATCH_DATA;
	long args[6], ret;

	mbind_args(obj, pr, mask_addr, args);
	if (!p->scratch || tracee_write(p, mask_addr, &pr->nodemask, sizeof(pr->nodemask)))
		return -1;
	ret = inject_syscall(r->s->tr, t, SYS_mbind, args);
	return ret < 0 ? (int)ret : 0;
}

/* Up to CHAIN_MAX ranges' mbinds in one stop (a cyclic or tiles rule
 * has thousands: a stop each took 60 us or more), their nodemasks side
 * by side in the scratch page.  res[i] is range i's result; -1 when the
 * chain could not run (the caller then goes one range at a time). */
static int apply_ranges_chained(struct applier *r, struct tcb *t, const struct nm_object *obj,
				const struct place_range *pr, int n, long *res)
{
	struct proc *p = t->proc;
	struct chain_call calls[CHAIN_MAX];
	uint64_t masks[CHAIN_MAX];

	if (!p->scratch || n > CHAIN_MAX)
		return -1;
	for (int i = 0; i < n; i++) {
		masks[i] = pr[i].nodemask;
		calls[i] = (struct chain_call){ .nr = SYS_mbind };
		mbind_args(obj, &pr[i], p->scratch + SCRATCH_DATA + i * sizeof(uint64_t), calls[i].args);
	}
	if (tracee_write(p, p->scratch + SCRATCH_DATA, masks, n * sizeof(uint64_t)))
		return -1;
	return inject_chain(r->s->tr, t, calls, n, res);
}

_Static_assert(CHAIN_MAX * sizeof(uint64_t) <= SCRATCH_DATA_SIZE, "masks outgrow the scratch data");

struct left_behind {
	pid_t pid;
	const struct place_range *ranges;
	struct place_cost *cost;
};

/* One batch of pages: those off their range's nodes moved. */
static void move_batch(void *arg, void *const *pages, const int *status, const int *range,
		       unsigned long n)
{
	struct left_behind *lb = arg;
	void *moving[PAGES_BATCH];
	int nodes[PAGES_BATCH], moved[PAGES_BATCH];
	unsigned long m = 0;

	lb->cost->move_calls++;
	for (unsigned long i = 0; i < n; i++) {
		int node = place_page_target(&lb->ranges[range[i]], (uint64_t)pages[i] / PLACE_PAGE_SIZE,
					     status[i]);

		if (node >= 0) {
			moving[m] = pages[i];
			nodes[m++] = node;
		}
	}
	if (!m)
		return;
	lb->cost->move_calls++;
	if (nm_move_pages(lb->pid, m, moving, nodes, moved, MPOL_MF_MOVE) < 0) {
		debug("move_pages(%d, %lu pages) after mbind: %s", lb->pid, m, strerror(errno));
		return;
	}
	for (unsigned long i = 0; i < m; i++)
		lb->cost->moved += moved[i] == nodes[i];
}

/* mbind's MPOL_MF_MOVE silently leaves behind the pages of populated
 * memory (a pool freed and allocated again) it fails to isolate or
 * migrate: pages locked, under writeback, in a cpu's LRU batch, or of a
 * huge page it cannot split.  Each page of ranges[0..n) still off its
 * range's nodes is moved with move_pages from here, a batch at a time;
 * ranges never touched cost one query per batch. */
static void move_left_behind(pid_t pid, uint64_t addr, const struct place_range *ranges, int n,
			     struct place_cost *cost)
{
	query_range_pages(pid, addr, ranges, n, move_batch,
			  &(struct left_behind){ pid, ranges, cost });
}

/* Each range's mbind, chained by CHAIN_MAX where the process lets us,
 * then the pages the successful ones left behind moved.  Returns the
 * ranges that failed. */
static int apply_ranges(struct applier *r, struct tcb *t, const struct nm_object *obj,
			const struct place_plan *plan, struct place_cost *cost)
{
	struct place_range *done = xcalloc(plan->n + 1, sizeof(*done));
	int failed = 0, ndone = 0;

	for (int i = 0; i < plan->n; i += CHAIN_MAX) {
		int n = plan->n - i < CHAIN_MAX ? plan->n - i : CHAIN_MAX;
		long res[CHAIN_MAX];
		bool chained = apply_ranges_chained(r, t, obj, plan->ranges + i, n, res) == 0;

		for (int k = 0; k < n; k++) {
			const struct place_range *pr = &plan->ranges[i + k];

			if (!chained)
				res[k] = apply_range(r, t, obj, pr);
			if (res[k] >= 0) {
				done[ndone++] = *pr;
				continue;
			}
			debug("mbind(%#lx, %lu) in %d: %ld", (unsigned long)(obj->addr + pr->offset),
			      (unsigned long)pr->length, t->tid, res[k]);
			failed++;
		}
	}
	move_left_behind(t->proc->pid, obj->addr, done, ndone, cost);
	free(done);
	return failed;
}

/* MADV_COLD on one page at each edge, from the program itself: where
 * process_madvise is refused (it wants CAP_SYS_NICE), one injected
 * madvise per edge. */
static void split_edges_injected(struct applier *r, struct tcb *t, const uint64_t *edges, int n,
				 struct place_cost *cost)
{
	for (int i = 0; i < n; i++) {
		long args[6] = { (long)edges[i], PLACE_PAGE_SIZE, MADV_COLD };

		cost->madvise_calls++;
		if (inject_syscall(r->s->tr, t, SYS_madvise, args) < 0)
			return;
	}
}

/* mbind's MPOL_MF_MOVE migrates a transparent huge page whole, the part
 * of it outside the range too: a pool's neighbour lost 493 of its pages
 * to the next pool's node that way (t9026).  MADV_COLD on a page of a
 * huge page splits it (and marks that one page as the first to reclaim
 * under memory pressure, nothing else): done on the page inside each
 * range edge a huge page may straddle, before the mbind calls, with
 * process_madvise from here, a batch at a time. */
static void split_edges(struct applier *r, struct tcb *t, struct rule_counts *proc,
			const struct place_plan *plan, uint64_t addr, struct place_cost *cost)
{
	enum { BATCH = 512 };
	uint64_t *edges = xcalloc(2 * (size_t)plan->n + 1, sizeof(*edges));
	int n = place_plan_thp_edges(plan, addr, edges);
	struct iovec iov[BATCH];

	if (n && proc->pidfd == PIDFD_NONE) {
		proc->pidfd = (int)syscall(SYS_pidfd_open, proc->pid, 0);
		proc->pidfd = proc->pidfd < 0 ? PIDFD_REFUSED : proc->pidfd;
	}
	for (int done = 0, m; proc->pidfd >= 0 && done < n; done += m) {
		m = n - done < BATCH ? n - done : BATCH;
		for (int i = 0; i < m; i++)
			iov[i] = (struct iovec){ (void *)edges[done + i], PLACE_PAGE_SIZE };
		cost->madvise_calls++;
		if (syscall(SYS_process_madvise, proc->pidfd, iov, (size_t)m, MADV_COLD, 0) >= 0)
			continue;
		debug("process_madvise(%d, %d range edges): %s", proc->pid, m, strerror(errno));
		if (errno == EPERM || errno == ENOSYS || errno == EINVAL) {
			close(proc->pidfd);
			proc->pidfd = PIDFD_REFUSED;
		}
	}
	if (n && proc->pidfd == PIDFD_REFUSED)
		split_edges_injected(r, t, edges, n, cost);
	free(edges);
}

static void apply_plan(struct applier *r, struct tcb *t, const struct nm_object *obj,
		       struct place_plan *plan)
{
	struct place_cost cost = { 0 };
	uint64_t start = now_ns();
	int failed;

	split_edges(r, t, proc_counts(r, t->proc->pid), plan, obj->addr, &cost);
	failed = apply_ranges(r, t, obj, plan, &cost);
	cost.ns = now_ns() - start;
	verifier_add(r->ver, obj, plan, failed, &cost);
	place_plan_free(plan);
}

static struct waiting_block *waiting_at(struct applier *r, pid_t pid, uint64_t addr)
{
	for (size_t i = 0; i < r->nwaiting; i++)
		if (r->waiting[i].obj.pid == pid && r->waiting[i].obj.addr == addr)
			return &r->waiting[i];
	return NULL;
}

static void drop_waiting(struct applier *r, struct waiting_block *w)
{
	place_plan_free(&w->plan);
	*w = r->waiting[--r->nwaiting];
}

/* A block recorded with no thread stopped: placed at its thread's stop.
 * A block at the same address before it (its stop never came: the
 * agent turned off) is dropped. */
static void wait_for_stop(struct applier *r, const struct nm_object *obj, struct place_plan *plan)
{
	struct waiting_block *w = waiting_at(r, obj->pid, obj->addr);

	if (w)
		drop_waiting(r, w);
	if (r->nwaiting == r->capwaiting) {
		r->capwaiting = r->capwaiting ? 2 * r->capwaiting : 16;
		r->waiting = xrealloc(r->waiting, r->capwaiting * sizeof(*r->waiting));
	}
	r->waiting[r->nwaiting++] = (struct waiting_block){ *obj, *plan };
}

/* t stopped after its call that made the block at addr. */
static void place_waiting(struct applier *r, struct tcb *t, uint64_t addr)
{
	struct waiting_block *w = waiting_at(r, t->proc->pid, addr);
	struct waiting_block block;

	if (!w)
		return;         /* placed already, or nothing to place in it */
	block = *w;
	*w = r->waiting[--r->nwaiting];
	apply_plan(r, t, &block.obj, &block.plan);
	tracer_stop_at_release(r->s->tr, t, addr);
}

static void forget_waiting(struct applier *r, pid_t pid)
{
	for (size_t i = r->nwaiting; i-- > 0;)
		if (r->waiting[i].obj.pid == pid)
			drop_waiting(r, &r->waiting[i]);
}

/* A block the agent placed itself, as this plan says (its rule whole:
 * learn_rule()), its edges split and its pages counted at its free:
 * counted and checked as one placed here is.  Its mbind moved no page
 * (no MPOL_MF_MOVE): those the heap had populated are moved from here
 * (the program runs on meanwhile: the pages it touched since are where
 * the policy put them), unless the agent saw none there. */
static void adopt_placement(struct applier *r, const struct nm_object *obj, struct place_plan *plan,
			    int placed)
{
	uint64_t *edges = xcalloc(2 * (size_t)plan->n + 1, sizeof(*edges));
	struct place_cost cost = { .madvise_calls = (uint64_t)place_plan_thp_edges(plan, obj->addr,
										     edges) };
	uint64_t start = now_ns();
	bool failed = placed & AE_PLACE_FAILED;

	free(edges);
	/* (On one node, no page can be off its node.) */
	if (!failed && !(placed & AE_PLACED_FRESH) && r->s->topo.nr_nodes > 1)
		move_left_behind(obj->pid, obj->addr, plan->ranges, plan->n, &cost);
	cost.ns = now_ns() - start;
	verifier_add(r->ver, obj, plan, failed ? plan->n : 0, &cost);
	place_plan_free(plan);
}

/* Plans obj and places it: now with its thread t stopped, else (the
 * agent's record, t NULL) at that thread's stop, unless the agent placed
 * it (placed: the event's).  recorded: by the agent (its release is then
 * a stop only if asked: tracer_stop_at_release()). */
static void place_object(struct applier *r, struct tcb *t, const struct nm_object *obj,
			 const struct nm_frame *frames, int nframes, bool recorded, int placed)
{
	struct rule_counts *proc = proc_counts(r, obj->pid);
	struct place_plan plan = { 0 };
	int narrowed, n;

	if (!policy_plan_object(r->pol, obj, frames, nframes, proc->matched, r->page_size, &plan))
		return;
	n = binding_restrict_ranges(binding(r, obj->pid), plan.ranges, plan.n, &narrowed);
	r->narrowed += (uint64_t)narrowed;
	r->dropped += (uint64_t)(plan.n - n);
	plan.n = n;
	if (!plan.n) {
		place_plan_free(&plan);
	} else if (placed) {
		adopt_placement(r, obj, &plan, placed);
	} else if (!t) {
		wait_for_stop(r, obj, &plan);
	} else {
		apply_plan(r, t, obj, &plan);
		if (recorded)
			tracer_stop_at_release(r->s->tr, t, obj->addr);
	}
}

/* The thread stopped for its block while its records are read
 * (tracer_placing()), when it is tid's. */
static struct tcb *stopped_for(struct applier *r, pid_t tid)
{
	struct tcb *t = tracer_placing(r->s->tr);

	return t && t->tid == tid ? t : NULL;
}

/* What the blocks made where t's stop was for get from now on (the same
 * rule: its kind and its stack choose it), or every block of its kind
 * where no rule names a stack of that kind: nothing (no more stops), or
 * the same whole placement, made by the agent without a stop, or a plan
 * each (stops go on).  Only where the program's binding keeps the whole
 * placement as it is: one narrowed is counted at each block's stop. */
static void learn_rule(struct applier *r, struct tcb *t, enum obj_kind kind,
		       const struct nm_frame *frames, int nframes)
{
	struct place_range whole, kept;
	enum stack_placement what = policy_kind_placement(r->pol, kind, &whole);
	bool every = what != STACK_PLANS;
	int narrowed;

	if (!every && nframes)
		what = policy_stack_placement(r->pol, kind, frames, nframes, &whole);
	switch (what) {
	case STACK_LEAVES:
		tracer_decide_blocks(r->s->tr, t, every, 0, 0);
		break;
	case STACK_WHOLE:
		kept = whole;
		if (binding_restrict_ranges(binding(r, t->proc->pid), &kept, 1, &narrowed) == 1 &&
		    !narrowed && kept.nodemask == whole.nodemask)
			tracer_decide_blocks(r->s->tr, t, every, whole.mode, whole.nodemask);
		break;
	case STACK_PLANS:
		break;
	}
}

/* The first module seen is the executable: a policy for another binary
 * is refused or disabled before anything is placed. */
static void check_binary(struct applier *r, struct tcb *t)
{
	const struct loaded_module *exe = NULL;
	char link[64], path[4096];
	ssize_t len;

	if (r->checked_binary)
		return;
	r->checked_binary = true;
	snprintf(link, sizeof(link), "/proc/%d/exe", t->proc->pid);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 0)
		return;
	path[len] = 0;
	for (size_t i = 0; i < t->proc->mods.n && !exe; i++)
		if (!strcmp(t->proc->mods.v[i].path, path))
			exe = &t->proc->mods.v[i];
	if (exe && policy_check_binary(r->pol, elfmod_identity(exe->elf)) < 0) {
		kill(t->proc->pid, SIGKILL);
		die("run: refusing to run with a policy made for another binary (--strict)");
	}
}

struct static_walk {
	struct applier *r;
	struct tcb *t;
};

static int place_static(void *arg, const struct nm_object *obj)
{
	struct static_walk *w = arg;
	const struct loaded_module *m;
	struct nm_frame f = { 0 };

	if (obj->kind != OBJ_STATIC || verifier_has(w->r->ver, obj->id))
		return 0;
	m = modmap_find(&w->t->proc->mods, obj->addr);
	if (m) {
		f.module = elfmod_identity(m->elf);
		f.path = m->path;
	}
	place_object(w->r, w->t, obj, &f, m ? 1 : 0, false, 0);
	verifier_seen(w->r->ver, obj->id);
	return 0;
}

/* Statics of newly loaded modules: placed before main runs, since
 * modules are hooked at exec and at the loader's _dl_debug_state. */
static void place_statics(struct applier *r, struct tcb *t)
{
	struct static_walk w = { r, t };

	check_binary(r, t);
	objtrack_foreach_live(r->s->objs, t->proc->pid, place_static, &w);
}

/* Pins inside the binding: a cpu outside it becomes an allowed cpu of
 * its node, else any allowed one.  who: "rank N" or "child N".  Returns
 * the cpu, or -1 when none is allowed. */
static int pin(struct applier *r, pid_t pid, pid_t tid, const char *who, int cpu)
{
	int want = cpu;
	cpu_set_t set;

	cpu = binding_pick_cpu(binding(r, pid), &r->s->topo, want, r->moved);
	if (cpu < 0) {
		r->unpinned++;
		return -1;
	}
	if (cpu != want) {
		debug("run: thread %d (%s): cpu %d is outside the allowed cpus: cpu %d", tid, who, want,
		      cpu);
		r->moved++;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set) < 0) {
		warning("run: cannot pin thread %d (%s) to cpu %d: %s", tid, who, cpu, strerror(errno));
		return -1;
	}
	return cpu;
}

static int pin_rank(struct applier *r, struct tcb *t, pid_t tid, int rank, int cpu)
{
	char who[32];

	snprintf(who, sizeof(who), "rank %d", rank);
	return pin(r, t->proc->pid, tid, who, cpu);
}

/* The K-th process the first one forks is pinned as pin-child K says,
 * at its creation, before it runs: whatever it starts inherits its cpu. */
static void pin_child(struct applier *r, pid_t pid, pid_t ppid)
{
	char who[32];
	int cpu;

	if (!r->pin || ppid != r->first_pid)
		return;
	cpu = policy_child_cpu(r->pol, ++r->forks);
	if (cpu < 0) {
		/* No planned worker: it runs with the cpus the program was
		 * given, not on the node its main thread is kept on (a shell
		 * script's child, a program that sizes its own pool). */
		if (proc_counts(r, ppid)->main_kept)
			sched_setaffinity(pid, sizeof(cpu_set_t), &proc_counts(r, ppid)->start_mask);
		return;
	}
	snprintf(who, sizeof(who), "child %d", r->forks);
	pin(r, pid, pid, who, cpu);
	proc_counts(r, pid)->pinned_child = true;
}

static struct pinned_thread *pinned_thread(struct applier *r, pid_t tid)
{
	for (size_t i = 0; i < r->npinned; i++)
		if (r->pinned[i].tid == tid)
			return &r->pinned[i];
	return NULL;
}

static struct pinned_thread *add_pinned(struct applier *r, pid_t tid, int cpu)
{
	if (r->npinned == r->cappinned) {
		r->cappinned = r->cappinned ? 2 * r->cappinned : 16;
		r->pinned = xrealloc(r->pinned, r->cappinned * sizeof(*r->pinned));
	}
	r->pinned[r->npinned] = (struct pinned_thread){ tid, topology_node_of_cpu(&r->s->topo, cpu),
							0, 0 };
	return &r->pinned[r->npinned++];
}

/* The verifier's ids for a thread's own memory (objects' ids are
 * positive; verify.h sums ids below 0 apart): its copy of the
 * thread-local variables, its stack. */
static int64_t thread_locals_id(pid_t tid)
{
	return -2 - (int64_t)tid;
}

static int64_t thread_stack_id(pid_t tid)
{
	return INT64_MIN / 2 - (int64_t)tid;
}

/* The present pages of obj, memory of a pinned thread's own that it
 * touched (or had touched) before its pin, moved to the thread's node by
 * numamma itself (move_pages: no stop, and no policy left on them: what
 * the thread touches later goes where it runs, by first touch), then
 * checked with the placed objects. */
static void move_own_memory(struct applier *r, const struct nm_object *obj, int node,
			    const char *rule)
{
	struct place_range range = { 0, obj->size, MPOL_BIND, 1ULL << node };
	struct place_plan plan = { 1, &range, rule };
	struct place_cost cost = { 0 };
	uint64_t start = now_ns();

	if (node < 0 || node >= POLICY_MAX_NODES || !obj->size)
		return;
	move_left_behind(obj->pid, obj->addr, &range, 1, &cost);
	cost.ns = now_ns() - start;
	verifier_add(r->ver, obj, &plan, 0, &cost);
}

/* The stack of thread tid, pinned to node after it ran: the pages it
 * used are where it ran (an attached thread's, a launched program's main
 * thread's until its first thread).  The whole mapping as it is now
 * (from the top address known at the thread's first stop: the main
 * stack grew down since). */
static void move_stack(struct applier *r, pid_t pid, pid_t tid, uint64_t top, int node)
{
	char name[40];
	struct nm_object obj = { .id = thread_stack_id(tid), .pid = pid, .tid = tid,
				 .kind = OBJ_STACK, .name = name };
	struct map_entry m;

	if (!top || procmaps_lookup(pid, top - 1, &m, NULL) < 0)
		return;
	obj.addr = m.start;
	obj.size = m.end - m.start;
	free(m.path);
	snprintf(name, sizeof(name), "[stack:%d]", (int)tid);
	move_own_memory(r, &obj, node, "stack to its thread's node");
}

/* Pages [lo, hi) of thread tid's copy of the thread-local variables. */
static void move_thread_locals(struct applier *r, pid_t pid, pid_t tid, uint64_t lo, uint64_t hi,
			       int node)
{
	char name[40];

	snprintf(name, sizeof(name), "[thread-locals:%d]", (int)tid);
	move_own_memory(r, &(struct nm_object){ .id = thread_locals_id(tid), .pid = pid, .tid = tid,
						.kind = OBJ_TLS, .addr = lo, .size = hi - lo,
						.name = name },
			node, "thread-locals to their thread's node");
}

/* A launched program's main thread, pinned at its first thread's start
 * (a stop of that thread's: the main thread runs on meanwhile), has its
 * stack and its thread-locals, touched where it ran until then, moved to
 * its node. */
static void pin_main(struct applier *r, struct tcb *t, int cpu)
{
	pid_t pid = t->proc->pid;
	const struct tcb *main_tcb = tcb_find(r->s->tr, pid);
	struct rule_counts *rc = proc_counts(r, pid);
	struct pinned_thread *pt;

	if ((cpu = pin_rank(r, t, pid, 0, cpu)) < 0 || pinned_thread(r, pid))
		return;
	pt = add_pinned(r, pid, cpu);
	if (main_tcb)
		move_stack(r, pid, pid, main_tcb->stack[1], pt->node);
	if (rc->main_tls_lo < rc->main_tls_hi) {
		pt->moved_lo = rc->main_tls_lo;
		pt->moved_hi = rc->main_tls_hi;
		move_thread_locals(r, pid, pid, pt->moved_lo, pt->moved_hi, pt->node);
	}
}

/* A plan of the main thread alone (a single-threaded program's profile:
 * it pins rank 0 and nothing else) is kept from its exec: the program
 * never starts the thread at which the main thread is pinned, and the
 * data the plan binds to its node would be remote wherever else the
 * scheduler put it.  Narrowed to that node's cpus, not to one, so that a
 * program that starts threads after all sizes its pool from the node;
 * the threads and processes it starts that the plan does not pin get
 * back the cpus the program was given (pin_thread(), pin_child()). */
static void main_on_its_node(struct applier *r, struct tcb *t)
{
	pid_t pid = t->proc->pid;
	struct rule_counts *rc = proc_counts(r, pid);
	int cpu = policy_thread_cpu(r->pol, 0), node;
	cpu_set_t set;

	if (!policy_main_thread_only(r->pol) || pid != r->first_pid || rc->main_kept || cpu < 0 ||
	    (cpu = binding_pick_cpu(binding(r, pid), &r->s->topo, cpu, r->moved)) < 0 ||
	    (node = topology_node_of_cpu(&r->s->topo, cpu)) < 0 ||
	    sched_getaffinity(pid, sizeof(rc->start_mask), &rc->start_mask) < 0)
		return;
	CPU_ZERO(&set);
	for (int c = 0; c < r->s->topo.nr_cpus && c < CPU_SETSIZE; c++)
		if (r->s->topo.cpu_node[c] == node && CPU_ISSET(c, &rc->start_mask))
			CPU_SET(c, &set);
	if (!CPU_COUNT(&set) || sched_setaffinity(pid, sizeof(set), &set) < 0)
		return;
	rc->main_kept = true;
	add_pinned(r, pid, cpu);
	debug("run: the plan pins the main thread alone: thread %d kept on node %d's %d cpus from its "
	      "start", pid, node, CPU_COUNT(&set));
}

/* A launched program's main thread is pinned when it creates its first
 * thread, not at exec: until then programs size their thread pools from
 * the affinity mask (OpenMP, TBB, nproc), and pinning it earlier would
 * leave them one cpu's worth of threads.  An attached thread's stack is
 * moved to its node as it is pinned; a new thread's is touched there. */
static void pin_thread(struct applier *r, struct tcb *t)
{
	bool own_cpu = r->pin && !proc_counts(r, t->proc->pid)->pinned_child;
	int cpu = own_cpu ? policy_thread_cpu(r->pol, t->rank) : -1;
	int main_cpu = own_cpu && t->rank == 1 && !r->attached ? policy_thread_cpu(r->pol, 0) : -1;
	struct pinned_thread *pt;

	if (!r->first_pid)
		r->first_pid = t->proc->pid;
	if (own_cpu && t->rank == 0 && !r->attached)
		main_on_its_node(r, t);
	if (main_cpu >= 0)
		pin_main(r, t, main_cpu);
	if (cpu < 0 && t->rank > 0 && proc_counts(r, t->proc->pid)->main_kept)
		sched_setaffinity(t->tid, sizeof(cpu_set_t), &proc_counts(r, t->proc->pid)->start_mask);
	if (cpu < 0 || !(t->rank > 0 || r->attached) ||
	    (cpu = pin_rank(r, t, t->tid, t->rank, cpu)) < 0)
		return;
	pt = add_pinned(r, t->tid, cpu);
	if (r->attached)
		move_stack(r, t->proc->pid, t->tid, t->stack[1], pt->node);
}

/* Of pages [*lo, *hi) of a module's block, those pt's earlier blocks did
 * not move (false: none); pt's moved pages then span them too.  The
 * blocks of a thread's static TLS are side by side: the span has no hole
 * but padding. */
static bool not_moved_yet(struct pinned_thread *pt, uint64_t *lo, uint64_t *hi)
{
	if (pt->moved_lo < pt->moved_hi && *lo < pt->moved_hi && *hi > pt->moved_lo) {
		if (*lo >= pt->moved_lo && *hi <= pt->moved_hi)
			return false;
		if (*lo < pt->moved_lo)
			*hi = pt->moved_lo;
		else
			*lo = pt->moved_hi;
	}
	pt->moved_lo = pt->moved_lo < pt->moved_hi && pt->moved_lo < *lo ? pt->moved_lo : *lo;
	pt->moved_hi = pt->moved_hi > *hi ? pt->moved_hi : *hi;
	return true;
}

/* glibc's pthread_create clears the new thread's copy of the program's
 * thread-local variables itself: its pages are on the creating thread's
 * node.  A pinned thread has them moved to its own node, a new thread at
 * its start before it runs (block: the copy), an attached one at once;
 * a launched program's main thread's, touched where it started, are kept
 * for its pin; a block under a page (libc's, 144 bytes) is worth no
 * system call. */
static void place_thread_locals(struct applier *r, struct tcb *t, const struct nm_object *block)
{
	uint64_t page = t->proc->page_size, lo = block->addr & ~(page - 1);
	uint64_t hi = (block->addr + block->size + page - 1) & ~(page - 1);
	struct pinned_thread *pt = pinned_thread(r, t->tid);
	struct rule_counts *rc;

	if (block->size < page)
		return;
	if (!pt && t->tid == t->proc->pid && !r->attached) {
		rc = proc_counts(r, t->proc->pid);
		rc->main_tls_lo = rc->main_tls_lo < rc->main_tls_hi && rc->main_tls_lo < lo ?
					  rc->main_tls_lo : lo;
		rc->main_tls_hi = rc->main_tls_hi > hi ? rc->main_tls_hi : hi;
		return;
	}
	if (pt && not_moved_yet(pt, &lo, &hi))
		move_thread_locals(r, t->proc->pid, t->tid, lo, hi, pt->node);
}

/* Placed pages are checked when the program calls exit() (or returns
 * from main), its memory all there; else at the last thread's exit event
 * (_exit, a fatal signal, the last thread of a pthread_exit'd main); a
 * freed object at its free. */
static void on_event(void *ext, const struct nm_event *ev)
{
	struct applier *r = ext;
	struct pinned_thread *pt;

	switch (ev->kind) {
	case EV_OBJECT:
		place_object(r, ev->t ? ev->t : stopped_for(r, ev->tid), ev->object, ev->frames,
			     ev->nframes, !ev->t, ev->placed);
		break;
	case EV_PLACE_STOP:
		place_waiting(r, ev->t, ev->addr);
		/* Its stack's frames are known from the stop's drain on (its
		 * record comes first). */
		learn_rule(r, ev->t, ev->object->kind, ev->frames, ev->nframes);
		break;
	case EV_MODULES_HOOKED:
		place_statics(r, ev->t);
		break;
	case EV_THREAD_START:
		pin_thread(r, ev->t);
		break;
	case EV_TLS:
		place_thread_locals(r, ev->t, ev->object);
		break;
	case EV_FORK:
		pin_child(r, ev->pid, ev->ppid);
		break;
	case EV_RELEASE:
		verifier_check(r->ver, ev->pid, ev->object_id);
		break;
	case EV_PAGES_CHECKED:
		verifier_checked(r->ver, ev->pid, ev->addr, ev->check);
		break;
	case EV_EXIT_CALL:
		verifier_check_all(r->ver, ev->pid);
		break;
	case EV_THREAD_END:
		/* Its stack, kept by glibc, may be the next thread's. */
		verifier_check(r->ver, ev->pid, thread_locals_id(ev->tid));
		verifier_check(r->ver, ev->pid, thread_stack_id(ev->tid));
		if ((pt = pinned_thread(r, ev->tid)))
			*pt = r->pinned[--r->npinned];
		if (ev->t->proc->running == 0) {   /* its last thread to exit */
			verifier_check_all(r->ver, ev->pid);
			forget_counts(r, ev->pid);
			forget_waiting(r, ev->pid);
		}
		break;
	default:
		break;
	}
}

void applier_report(struct applier *r, bool quiet)
{
	char who[32] = "";

	if (quiet || (!r->narrowed && !r->moved && !r->unpinned))
		return;
	if (r->s->launcher.rank >= 0)
		snprintf(who, sizeof(who), "rank %d: ", r->s->launcher.rank);
	if (r->narrowed)
		fprintf(stderr, "numamma: run: %s%llu placement ranges named nodes outside the allowed "
			"nodes (%s): kept to those, %llu of them left where first touched\n", who,
			(unsigned long long)r->narrowed, r->mems_allowed ? r->mems_allowed : "?",
			(unsigned long long)r->dropped);
	if (r->moved || r->unpinned)
		fprintf(stderr, "numamma: run: %s%d threads pinned to an allowed cpu (%s) instead of "
			"the policy's, %d left unpinned\n", who, r->moved,
			r->cpus_allowed ? r->cpus_allowed : "?", r->unpinned);
}

struct applier *applier_new(struct session *s, struct policy *pol, struct verifier *ver,
			    bool pin, bool attached)
{
	struct applier *r = xcalloc(1, sizeof(*r));

	*r = (struct applier){ .s = s, .pol = pol, .ver = ver, .pin = pin, .attached = attached,
			       .page_size = (uint64_t)sysconf(_SC_PAGESIZE) };
	s->ext = r;
	s->ext_event = on_event;
	return r;
}
