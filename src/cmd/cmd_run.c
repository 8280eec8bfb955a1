/* numamma run: run a program with a placement policy applied as its
 * objects are allocated (mbind injected into the tracee), its threads
 * pinned by creation rank, and where the pages landed verified. */
#include <getopt.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "elfsyms.h"
#include "error.h"
#include "objtrack.h"
#include "options.h"
#include "placement.h"
#include "session.h"
#include "topology.h"
#include "tracer_int.h"
#include "verify.h"

const char run_usage[] =
"usage: numamma run [OPTIONS] --policy FILE [--] PROGRAM [ARGS...]\n"
"       numamma run [OPTIONS] --interleave NODES|--bind NODE [--] PROGRAM [ARGS...]\n"
"       numamma run [OPTIONS] --policy FILE -p PID\n"
"\n"
"  -P, --policy FILE      a profile (advised in memory) or a policy file\n"
"      --interleave NODES interleave every object over NODES ('all', '0-3')\n"
"      --bind NODE        bind every object to NODE\n"
"  -p, --pid PID          attach: migrate matching objects of a running\n"
"                         process and place its new ones until it exits\n"
"  -d, --duration SECS    with --pid: detach after SECS seconds\n"
"  -o, --output FILE      also record the run and its placement in FILE\n"
"      --verify           print every placed object, not only the summary\n"
"      --strict           refuse a policy made for another binary\n"
"      --no-pin           do not pin threads\n"
"      --no-follow        do not follow forked children\n"
"  -q, --quiet            no summary on stderr\n"
"  -v, --verbose          debugging output\n"
"  -h, --help             show this help\n";

enum { OPT_INTERLEAVE = 256, OPT_BIND, OPT_VERIFY, OPT_STRICT, OPT_NO_PIN, OPT_NO_FOLLOW };

static const struct option run_options[] = {
	{ "policy", required_argument, NULL, 'P' },
	{ "interleave", required_argument, NULL, OPT_INTERLEAVE },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "no-pin", no_argument, NULL, OPT_NO_PIN },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Per process: how many objects each rule matched so far. */
struct rule_counts {
	pid_t pid;
	uint64_t *matched;
};

struct run {
	struct session *s;
	struct policy *pol;
	bool pin, checked_binary;
	bool attached;             /* -p: the program sized its pools long ago */
	struct verifier *ver;
	int nprocs;
	struct rule_counts *procs;
};

static uint64_t *rule_counts(struct run *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return r->procs[i].matched;
	r->procs = xrealloc(r->procs, (r->nprocs + 1) * sizeof(*r->procs));
	r->procs[r->nprocs] = (struct rule_counts){ pid, xcalloc(r->pol->nrules + 1, sizeof(uint64_t)) };
	return r->procs[r->nprocs++].matched;
}

/* A process gone: its pid may come back as another one. */
static void forget_counts(struct run *r, pid_t pid)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid) {
			free(r->procs[i].matched);
			r->procs[i] = r->procs[--r->nprocs];
			return;
		}
}

/* One injected mbind per range: the nodemask lives in the scratch page. */
static int apply_range(struct run *r, struct tcb *t, const struct nm_object *obj,
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

static void place_object(struct run *r, struct tcb *t, const struct nm_object *obj,
			 const struct nm_frame *frames, int nframes)
{
	struct place_plan plan = { 0 };
	int failed = 0;

	if (!policy_plan_object(r->pol, obj, frames, nframes, rule_counts(r, t->proc->pid),
				t->proc->page_size, &plan))
		return;
	for (int i = 0; i < plan.n; i++)
		if (apply_range(r, t, obj, &plan.ranges[i]) < 0)
			failed++;
	verifier_add(r->ver, obj, &plan, failed);
	place_plan_free(&plan);
}

/* The first module seen is the executable: a policy for another binary
 * is refused or disabled before anything is placed. */
static void check_binary(struct run *r, struct tcb *t)
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
	struct run *r;
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
	struct run *r = ext;
	struct static_walk w = { r, t };

	check_binary(r, t);
	objtrack_foreach_live(tracer_objtrack(r->s->tr), t->proc->pid, place_static, &w);
}

static void pin(pid_t tid, int rank, int cpu)
{
	cpu_set_t set;

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
	struct run *r = ext;
	int cpu = r->pin ? policy_thread_cpu(r->pol, t->rank) : -1;
	int main_cpu = r->pin && t->rank == 1 && !r->attached ? policy_thread_cpu(r->pol, 0) : -1;

	if (main_cpu >= 0)
		pin(t->proc->pid, 0, main_cpu);
	if (cpu >= 0 && (t->rank > 0 || r->attached))
		pin(t->tid, t->rank, cpu);
}

static void on_release(void *ext, struct tcb *t, int64_t id)
{
	struct run *r = ext;

	verifier_check(r->ver, t->proc->pid, id);
}

/* Placed pages are checked when the program calls exit() (or returns
 * from main), its memory all there; else at the last thread's exit event
 * (_exit, a fatal signal, the last thread of a pthread_exit'd main). */
static void on_exit_call(void *ext, struct tcb *t)
{
	struct run *r = ext;

	verifier_check_all(r->ver, t->proc->pid);
}

static void on_thread_exit(void *ext, struct tcb *t)
{
	struct run *r = ext;

	if (t->proc->refs == 1) {
		verifier_check_all(r->ver, t->proc->pid);
		forget_counts(r, t->proc->pid);
	}
}

static struct policy *load_policy(const char *policy, const char *mode, const char *nodes,
				  const struct nm_topology *topo, int strict)
{
	if (policy && mode)
		die("run: give either --policy or --%s, not both", mode);
	if (mode)
		return policy_global(mode, nodes, topo);
	if (!policy)
		die("run: no placement given: --policy, --interleave or --bind");
	return policy_load(policy, topo, strict);
}

int cmd_run(int argc, char **argv)
{
	struct session s;
	struct run r = { .s = &s, .pin = true };
	const char *policy = NULL, *mode = NULL, *nodes = NULL;
	int c, strict = 0, list_all = 0, status;
	pid_t pid = 0;

	session_init(&s, "run");
	opterr = 0;
	s.sopts.name = "none";
	while ((c = getopt_long(argc, argv, "+:P:p:d:o:qvh", run_options, NULL)) != -1) {
		switch (c) {
		case 'P': policy = s.inputs[0] = optarg; break;
		case OPT_INTERLEAVE:
		case OPT_BIND:
			if (mode)
				return usage_error("run", "--interleave and --bind: give one of them");
			mode = c == OPT_BIND ? "bind" : "interleave";
			nodes = optarg;
			break;
		case 'p': pid = opt_pid("run", optarg); r.attached = true; break;
		case 'd': s.duration = opt_seconds("run", "duration", optarg); break;
		case 'o': s.output = optarg; break;
		case OPT_VERIFY: list_all = 1; break;
		case OPT_STRICT: strict = 1; break;
		case OPT_NO_PIN: r.pin = false; break;
		case OPT_NO_FOLLOW: s.follow = false; break;
		case 'q': s.quiet = true; break;
		case 'v': verbose++; break;
		case 'h': fputs(run_usage, stdout); return 0;
		default: return option_error("run", c, argv);
		}
	}
	if (!pid && optind >= argc) {
		return usage_error("run", "no program to run");
	}
	if (!pid && s.duration)
		return usage_error("run", "--duration is for -p PID (a launched program runs to its end)");
	if (topology_read(&s.topo, NULL) < 0)
		die("run: cannot read the NUMA topology");
	/* A bad policy stops everything before the program starts. */
	r.pol = load_policy(policy, mode, nodes, &s.topo, strict);
	if (!r.pol)
		exit(NM_EXIT_FAILURE);
	if (s.topo.nr_nodes == 1 && !s.quiet)
		fprintf(stderr, "numamma: run: this machine has one NUMA node: placement is moot "
			"(applied anyway)\n");
	r.ver = verifier_new(&s, list_all);
	s.ext = &r;
	s.ext_object = on_object;
	s.ext_modules = on_modules;
	s.ext_thread_start = on_thread_start;
	s.ext_thread_exit = on_thread_exit;
	s.ext_release = on_release;
	s.ext_exit_call = on_exit_call;
	status = session_run(&s, argv + optind, pid);
	verifier_report(r.ver, s.quiet);
	exit_like(status);
}
