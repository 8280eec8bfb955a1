/* run mode's applier: each object the program allocates (and each static
 * of each module it loads) is placed as the policy says, by one mbind
 * injected per range while the allocating thread is stopped at the
 * allocator's return; threads are pinned by creation rank; placed pages
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
#include <sys/syscall.h>
#include <unistd.h>

#include "allowed.h"
#include "apply.h"
#include "binding.h"
#include "elfsyms.h"
#include "error.h"
#include "objtrack.h"
#include "placement.h"
#include "session.h"
#include "tracer_int.h"
#include "verify.h"

/* Per process: how many objects each rule matched so far. */
struct rule_counts {
	pid_t pid;
	uint64_t *matched;
};

struct applier {
	struct session *s;
	struct policy *pol;
	bool pin, checked_binary;
	bool attached;             /* -p: the program sized its pools long ago */
	struct verifier *ver;
	int nprocs;
	struct rule_counts *procs;
	/* The program's binding, read from its first process. */
	struct binding binding;
	char *cpus_allowed, *mems_allowed;
	bool have_binding;
	uint64_t narrowed, dropped;    /* ranges kept off nodes outside it */
	int moved, unpinned;           /* pins outside it */
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

static uint64_t *rule_counts(struct applier *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return r->procs[i].matched;
	r->procs = xrealloc(r->procs, (r->nprocs + 1) * sizeof(*r->procs));
	r->procs[r->nprocs] = (struct rule_counts){ pid, xcalloc(r->pol->nrules + 1, sizeof(uint64_t)) };
	return r->procs[r->nprocs++].matched;
}

/* A process gone: its pid may come back as another one. */
static void forget_counts(struct applier *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid) {
			free(r->procs[i].matched);
			r->procs[i] = r->procs[--r->nprocs];
			return;
		}
}

/* One injected mbind per range: the nodemask lives in the scratch page. */
static int apply_range(struct applier *r, struct tcb *t, const struct nm_object *obj,
		       const struct place_range *pr)
{
	struct proc *p = t->proc;
	uint64_t mask_addr = p->scratch + SCRATCH_DATA;
	long args[6] = { (long)(obj->addr + pr->offset), (long)pr->length, pr->mode,
			 (long)mask_addr, POLICY_MAX_NODES + 1, MPOL_MF_MOVE };
	long ret;

	if (!p->scratch || tracee_write(p, mask_addr, &pr->nodemask, sizeof(pr->nodemask)))
		return -1;
	ret = inject_syscall(r->s->tr, t, SYS_mbind, args);
	if (ret < 0)
		debug("mbind(%#lx, %lu) in %d: %ld", (unsigned long)args[0], (unsigned long)args[1],
		      t->tid, ret);
	return ret < 0 ? (int)ret : 0;
}

static void place_object(struct applier *r, struct tcb *t, const struct nm_object *obj,
			 const struct nm_frame *frames, int nframes)
{
	struct place_plan plan = { 0 };
	uint64_t start;
	int failed = 0, narrowed, n;

	if (!policy_plan_object(r->pol, obj, frames, nframes, rule_counts(r, t->proc->pid),
				t->proc->page_size, &plan))
		return;
	n = binding_restrict_ranges(binding(r, t->proc->pid), plan.ranges, plan.n, &narrowed);
	r->narrowed += (uint64_t)narrowed;
	r->dropped += (uint64_t)(plan.n - n);
	plan.n = n;
	if (!plan.n) {
		place_plan_free(&plan);
		return;
	}
	start = now_ns();
	for (int i = 0; i < plan.n; i++)
		if (apply_range(r, t, obj, &plan.ranges[i]) < 0)
			failed++;
	verifier_add(r->ver, obj, &plan, failed, now_ns() - start);
	place_plan_free(&plan);
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

static void on_object(void *ext, struct tcb *t, const struct nm_object *obj,
		      const struct nm_frame *frames, int nframes)
{
	place_object(ext, t, obj, frames, nframes);
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
	place_object(w->r, w->t, obj, &f, m ? 1 : 0);
	verifier_seen(w->r->ver, obj->id);
	return 0;
}

/* Statics of newly loaded modules: placed before main runs, since
 * modules are hooked at exec and at the loader's _dl_debug_state. */
static void on_modules(void *ext, struct tcb *t)
{
	struct applier *r = ext;
	struct static_walk w = { r, t };

	check_binary(r, t);
	objtrack_foreach_live(tracer_objtrack(r->s->tr), t->proc->pid, place_static, &w);
}

/* Pins inside the binding: a cpu outside it becomes an allowed cpu of
 * its node, else any allowed one. */
static void pin(struct applier *r, struct tcb *t, pid_t tid, int rank, int cpu)
{
	int want = cpu;
	cpu_set_t set;

	cpu = binding_pick_cpu(binding(r, t->proc->pid), &r->s->topo, want, r->moved);
	if (cpu < 0) {
		r->unpinned++;
		return;
	}
	if (cpu != want) {
		debug("run: thread %d (rank %d): cpu %d is outside the allowed cpus: cpu %d", tid, rank,
		      want, cpu);
		r->moved++;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set) < 0)
		warning("run: cannot pin thread %d (rank %d) to cpu %d: %s", tid, rank, cpu,
			strerror(errno));
}

/* A launched program's main thread is pinned when it creates its first
 * thread, not at exec: until then programs size their thread pools from
 * the affinity mask (OpenMP, TBB, nproc), and pinning it earlier would
 * leave them one cpu's worth of threads. */
static void on_thread_start(void *ext, struct tcb *t)
{
	struct applier *r = ext;
	int cpu = r->pin ? policy_thread_cpu(r->pol, t->rank) : -1;
	int main_cpu = r->pin && t->rank == 1 && !r->attached ? policy_thread_cpu(r->pol, 0) : -1;

	if (main_cpu >= 0)
		pin(r, t, t->proc->pid, 0, main_cpu);
	if (cpu >= 0 && (t->rank > 0 || r->attached))
		pin(r, t, t->tid, t->rank, cpu);
}

static void on_release(void *ext, struct tcb *t, int64_t id)
{
	struct applier *r = ext;

	verifier_check(r->ver, t->proc->pid, id);
}

/* Placed pages are checked when the program calls exit() (or returns
 * from main), its memory all there; else at the last thread's exit event
 * (_exit, a fatal signal, the last thread of a pthread_exit'd main). */
static void on_exit_call(void *ext, struct tcb *t)
{
	struct applier *r = ext;

	verifier_check_all(r->ver, t->proc->pid);
}

static void on_thread_exit(void *ext, struct tcb *t)
{
	struct applier *r = ext;

	if (t->proc->refs == 1) {
		verifier_check_all(r->ver, t->proc->pid);
		forget_counts(r, t->proc->pid);
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

	*r = (struct applier){ .s = s, .pol = pol, .ver = ver, .pin = pin, .attached = attached };
	s->ext = r;
	s->ext_object = on_object;
	s->ext_modules = on_modules;
	s->ext_thread_start = on_thread_start;
	s->ext_thread_exit = on_thread_exit;
	s->ext_release = on_release;
	s->ext_exit_call = on_exit_call;
	return r;
}
