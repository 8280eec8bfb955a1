/* The tracer's event loop: `while (dispatch_event(next_event()))` over
 * every thread of every traced process, strace's shape. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_abi.h"
#include "breakpoint.h"
#include "db.h"
#include "elfsyms.h"
#include "error.h"
#include "exec_privilege.h"
#include "ownlimits.h"
#include "procmaps.h"
#include "tracer_int.h"
#include "unwind.h"
#include "waitstatus.h"
#include "watchdog.h"
#include "launch.h"

/* ---- threads and processes ---- */

struct tcb *tcb_find(struct tracer *tr, pid_t tid)
{
	struct tcb *t = tr->tcb_hash[tid % TCB_HASH];

	while (t && t->tid != tid)
		t = t->next;
	return t;
}

static struct proc *proc_by_pid(struct tracer *tr, pid_t pid)
{
	struct proc *p = tr->procs;

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

/* The process whose agent records p's calls: its own, or for a vfork
 * child its parent's (they share memory); NULL when calls are trapped. */
static struct proc *agent_owner(struct tracer *tr, struct proc *p)
{
	if (p->agent)
		return p;
	return p->vfork_child && p->agent_parent ? proc_by_pid(tr, p->agent_parent) : NULL;
}

struct tcb *tcb_new(struct tracer *tr, pid_t tid, struct proc *p)
{
	struct tcb *t = xcalloc(1, sizeof(*t));

	t->tid = tid;
	t->proc = p;
	t->flags = TCB_EXIT_STOP;       /* TRACE_OPTIONS, until exit_stops() */
	p->refs++;
	p->running++;
	t->next = tr->tcb_hash[tid % TCB_HASH];
	tr->tcb_hash[tid % TCB_HASH] = t;
	tr->nr_tcbs++;
	return t;
}

int proc_open_mem(struct proc *p)
{
	char path[64];

	if (p->mem_fd >= 0)
		close(p->mem_fd);
	snprintf(path, sizeof(path), "/proc/%d/mem", p->mm_tid);
	p->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	return p->mem_fd;
}

struct proc *proc_new(struct tracer *tr, pid_t pid, pid_t ppid)
{
	struct proc *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->ppid = ppid;
	p->mm_tid = pid;
	p->mem_fd = -1;
	p->next_rank = 1;
	p->page_size = sysconf(_SC_PAGESIZE);
	p->maps_seen_ns = now_ns();     /* attached: what is mapped is older */
	p->bps = bp_table_new();
	modmap_init(&p->mods);
	proc_open_mem(p);
	p->next = tr->procs;
	tr->procs = p;
	return p;
}

void tracer_emit(struct tracer *tr, struct nm_event *ev)
{
	ev->ns = now_ns();
	if (tr->cfg.on_event)
		tr->cfg.on_event(tr->cfg.ctx, ev);
}

/* A process whose data we keep (not a --no-follow child), and the file it
 * runs: exe, or read (a fork child runs its parent's until it execs; an
 * attached process, what it runs). */
void proc_record(struct tracer *tr, struct proc *p, const char *exe)
{
	char path[PATH_MAX];

	if (!tr->db || p->recorded)
		return;
	if (!exe) {
		process_exe(p->pid, path, sizeof(path));
		exe = path[0] ? path : NULL;
	}
	tracer_emit(tr, &(struct nm_event){ .kind = EV_PROCESS_START, .pid = p->pid,
					    .ppid = p->ppid, .exe = exe });
	p->recorded = true;
}

/* fork: the child is a copy of the parent's address space, breakpoints,
 * scratch pages and objects included. */
static struct proc *proc_fork(struct tracer *tr, struct proc *parent, pid_t pid, bool vfork)
{
	struct proc *p = proc_new(tr, pid, parent->pid);

	bp_table_free(p->bps);
	p->bps = bp_table_copy(parent->bps);
	if (!vfork)
		watchdog_note_fork(parent->pid, pid);
	modmap_copy(&p->mods, &parent->mods);
	p->mods_hooked = parent->mods_hooked;
	p->mods_statics = parent->mods_statics;
	p->mods_read_ns = parent->mods_read_ns;
	p->statics_since_ns = parent->statics_since_ns;
	p->known_due = parent->known_due;
	p->maps_seen_ns = parent->maps_seen_ns;
	p->r_debug = parent->r_debug;
	/* Its static thread-local storage lies as its parent's, below the
	 * thread pointer it inherits: not laid out again from its loader's
	 * list (a dozen reads of its memory and a readlink, each fork). */
	p->tls_state = parent->tls_state;
	p->ntls_mods = parent->ntls_mods;
	memcpy(p->tls_mods, parent->tls_mods, (size_t)parent->ntls_mods * sizeof(p->tls_mods[0]));
	p->hooks_ready = parent->hooks_ready;
	p->scratch = parent->scratch;
	p->syscall_insn = parent->syscall_insn;
	p->nr_xol = parent->nr_xol;
	memcpy(p->xol, parent->xol, sizeof(p->xol));
	p->nr_wrappers = parent->nr_wrappers;
	memcpy(p->wrappers, parent->wrappers, sizeof(p->wrappers));
	if (parent->nmapreg) {
		p->mapreg = xmalloc(parent->nmapreg * sizeof(*p->mapreg));
		memcpy(p->mapreg, parent->mapreg, parent->nmapreg * sizeof(*p->mapreg));
		p->nmapreg = p->capmapreg = parent->nmapreg;
	}
	p->vfork_child = vfork;
	p->clone_vm = !vfork && tracee_shares_memory(parent->pid, pid) == 1;
	p->ignored = parent->ignored || !tr->cfg.follow_forks;
	if (!p->ignored) {
		proc_record(tr, p, NULL);
		tracer_emit(tr, &(struct nm_event){ .kind = EV_FORK, .pid = pid, .ppid = parent->pid });
	}
	return p;
}

/* p's address space ends (exit, exec).  One that ran another's agent
 * region lets it record again once none does; one whose region others
 * still run hands it to one of them, the heir, whose count of the calls
 * not recorded goes on to its end (it never records: the heir's own
 * share is never given back). */
static void end_sharing(struct tracer *tr, struct proc *p)
{
	struct proc *heir = NULL;

	if (p->agent_shares) {
		struct proc *holder = proc_by_pid(tr, p->agent_shares);

		p->agent_shares = 0;
		if (holder)
			agent_unshared(holder);
	}
	for (struct proc *q = tr->procs; p->agent && q; q = q->next) {
		if (q->agent_shares != p->pid)
			continue;
		if (!heir) {
			heir = q;
			q->agent = p->agent;
			q->agent_shares = 0;
		} else {
			q->agent_shares = heir->pid;
		}
	}
	if (heir)
		p->agent = NULL;
}

/* A fork or vfork child of a process that shares another's region runs
 * that region too. */
static void share_further(struct tracer *tr, struct proc *child, pid_t holder_pid)
{
	struct proc *holder = proc_by_pid(tr, holder_pid);

	if (!holder || !holder->agent)
		return;
	child->agent_shares = holder_pid;
	agent_share(holder, child->pid, false);
}

static void proc_free(struct tracer *tr, struct proc *p)
{
	struct proc **pp = &tr->procs;

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	/* Its agent's rules, for processes still to come: none once it was
	 * the last. */
	if (tr->procs)
		agent_learn(tr, p);
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	bp_table_free(p->bps);
	end_sharing(tr, p);
	agent_forget(p);
	modmap_free(&p->mods);
	free(p->mapreg);
	free(p);
}

static void tcb_free(struct tracer *tr, struct tcb *t)
{
	struct tcb **tp = &tr->tcb_hash[t->tid % TCB_HASH];

	while (*tp != t)
		tp = &(*tp)->next;
	*tp = t->next;
	tr->nr_tcbs--;
	pending_clear(t);
	if (t->unwind)
		unwind_thread_free(t->unwind);
	if (!(t->flags & TCB_EXITING))
		t->proc->running--;
	if (--t->proc->refs == 0)
		proc_free(tr, t->proc);
	free(t);
}

/* ---- restarting: ESRCH is the race of a thread that died meanwhile ---- */

static int ptrace_restart(int op, struct tcb *t, int sig)
{
	if (ptrace(op, t->tid, 0, (long)sig) == 0 || errno == ESRCH)
		return 0;
	return error_errno("ptrace(%s, %d)", op == PTRACE_CONT ? "CONT" :
			   op == PTRACE_LISTEN ? "LISTEN" : "DETACH", t->tid);
}

static void resume(struct tcb *t, int sig)
{
	watchdog_note_returns(t);
	ptrace_restart(PTRACE_CONT, t, sig);
}

/* ---- thread life ---- */

/* How far below its top a process's main stack may grow: its stack
 * limit, which the kernel left free of mappings below the stack when it
 * laid out the address space at the exec (mmap_base()); an unlimited
 * one, the legacy layout's mappings far below.  0: not known. */
static uint64_t stack_growth(pid_t pid)
{
	struct rlimit rl;

	if (prlimit(pid, RLIMIT_STACK, NULL, &rl) < 0)
		return 0;
	return rl.rlim_cur == RLIM_INFINITY ? 8ULL << 30 : rl.rlim_cur;
}

/* The mapping t's stack pointer is in, stack[0] to stack[1] (both 0 when
 * not found), and what a walk of t's may read, reach: the mapping, or for
 * the main stack, down to its limit. */
static void tcb_stack(struct tcb *t, uint64_t stack[2], uint64_t reach[2])
{
	struct user_regs_struct regs;
	struct map_entry m;
	uint64_t growth, below;

	stack[0] = stack[1] = reach[0] = reach[1] = 0;
	if (tracee_getregs(t->tid, &regs) ||
	    procmaps_lookup(t->proc->mm_tid, regs.rsp, &m, &below) < 0)
		return;
	stack[0] = reach[0] = m.start;
	stack[1] = reach[1] = m.end;
	/* A walk deep in a recursion of main's is on its stack: as far as
	 * its limit, and no further than the mapping below (a limit raised
	 * since the exec lets the stack grow past where mmap() put things). */
	if (m.path && !strcmp(m.path, "[stack]") && (growth = stack_growth(t->proc->pid)) &&
	    growth < m.end && m.end - growth < m.start)
		reach[0] = m.end - growth > below ? m.end - growth : below;
	free(m.path);
}

/* t's stack recorded as an object: stack, its mapping (tcb_stack()). */
static void record_stack(struct tracer *tr, struct tcb *t, const uint64_t stack[2])
{
	struct proc *p = t->proc;
	char name[48];
	struct nm_object obj = { .pid = p->pid, .tid = t->tid, .kind = OBJ_STACK, .name = name };
	struct user_regs_struct regs;

	if (p->ignored || !stack[1] || tracee_getregs(t->tid, &regs))
		return;
	obj.addr = stack[0];
	obj.size = stack[1] - stack[0];
	obj.alloc_ns = now_ns();
	snprintf(name, sizeof(name), "[stack:%d]", t->tid);
	tracer_emit(tr, &(struct nm_event){ .kind = EV_REGION, .t = t, .pid = p->pid,
					    .tid = t->tid, .object = &obj, .sp = regs.rsp });
}

/* A fork or vfork child's thread, at its first stop, on the stack of the
 * thread that forked (its bounds handed down by handle_new_child()), not
 * on one given to clone: its bounds are those, without a read of its
 * maps (0.08 ms of each fork in a VM). */
static bool on_forking_stack(struct tcb *t)
{
	struct user_regs_struct regs;

	return t->stack[1] && tracee_getregs(t->tid, &regs) == 0 && regs.rsp >= t->stack[0] &&
	       regs.rsp < t->stack[1];
}

/* A thread's exit stop (PTRACE_O_TRACEEXIT) is needed where another
 * thread of its process may take its TCB next (its entry in the agent
 * freed before its memory is), in run mode (the pages checked before
 * they go) and attached (as found).  A profiled process's one thread
 * ends at its death instead: a stop fewer per process (0.15-0.3 ms).
 * Options are each thread's, inherited by the threads and processes it
 * makes: set here as its process needs them now. */
static void exit_stops(struct tracer *tr, struct tcb *t)
{
	bool want = tr->cfg.exit_calls || tr->cfg.attach || t->proc->refs > 1;
	long opts = want ? TRACE_OPTIONS : TRACE_OPTIONS & ~PTRACE_O_TRACEEXIT;

	if (want == !!(t->flags & TCB_EXIT_STOP) || ptrace(PTRACE_SETOPTIONS, t->tid, 0, opts) < 0)
		return;
	t->flags ^= TCB_EXIT_STOP;
}

/* The first stop of a thread: it has not run yet, so setting up its
 * sampler here misses none of its accesses. */
static void thread_start(struct tracer *tr, struct tcb *t)
{
	struct proc *owner;

	t->flags |= TCB_STARTED;
	exit_stops(tr, t);
	if (t->proc->ignored)
		return;
	if (t->proc->agent_parent && !t->proc->vfork_child) {
		struct proc *parent = proc_by_pid(tr, t->proc->agent_parent);

		if (parent)
			agent_fork_child(tr, t, parent);
		t->proc->agent_parent = 0;
	}
	if (!on_forking_stack(t))
		tcb_stack(t, t->stack, t->reach);
	if ((owner = agent_owner(tr, t->proc))) {
		agent_name_thread(owner, t->tid, tcb_address(t), t->reach);
		agent_check_calls(owner, t);
	}
	if (!t->unwind)
		t->unwind = unwind_thread_new(t->tid);
	record_stack(tr, t, t->stack);
	tracer_emit(tr, &(struct nm_event){ .kind = EV_THREAD_START, .t = t, .pid = t->proc->pid,
					    .tid = t->tid, .rank = t->rank });
	hooks_record_tls(tr, t);
}

uint64_t tcb_address(struct tcb *t)
{
	struct user_regs_struct regs;

	if (tracee_getregs(t->tid, &regs) == 0 && regs.fs_base)
		return regs.fs_base;
	return t->vfork_tcb;
}

/* The stack of the thread that vforked t, as the entry they share must
 * name it again (NULL when that thread is gone). */
static const uint64_t *vfork_parent_reach(struct tracer *tr, const struct tcb *t)
{
	const struct tcb *parent = tcb_find(tr, t->vfork_parent_tid);

	return parent && parent->reach[1] ? parent->reach : NULL;
}

/* Records of t's calls are read before it goes; a thread that reuses its
 * TCB is another thread.  last: no thread of t's process is left to write. */
static void agent_thread_gone(struct tracer *tr, struct tcb *t, bool last)
{
	struct proc *owner = agent_owner(tr, t->proc);

	if (!owner)
		return;
	/* A process's last thread: its region goes with it, no entry to free
	 * (a scan of its 8,192 entries faulted in 256 KiB per process). */
	if (last && owner == t->proc) {
		agent_drain_final(tr, owner);
		return;
	}
	agent_drain(tr, owner);
	/* A vfork child done with its parent's memory gives the TCB's entry
	 * back to the thread that vforked, with that thread's stack: a
	 * posix_spawn child ran on a stack of its own, and left its bounds
	 * there, every later walk of the parent's was off its stack (make's
	 * $(shell)s: 168,000 pages asked of the kernel, 4.7x native). */
	if (t->vfork_parent_tid && owner != t->proc)
		agent_name_thread(owner, t->vfork_parent_tid, tcb_address(t),
				  vfork_parent_reach(tr, t));
	else
		agent_forget_tid(owner, t->tid, tcb_address(t));
}

static void thread_exiting(struct tracer *tr, struct tcb *t)
{
	if (t->flags & TCB_EXITING)
		return;
	t->flags |= TCB_EXITING;
	/* The last thread to exit, not the last reaped: a thread that
	 * exited first may still wait to be reaped (a zombie, refs counts
	 * it), and taken as not the last, none made the final drain: the
	 * calls it lost went unsaid (t0124's crowd, 1 run in 3 under load). */
	agent_thread_gone(tr, t, --t->proc->running == 0);
	if (t->proc->ignored || !(t->flags & TCB_STARTED))
		return;
	tracer_emit(tr, &(struct nm_event){ .kind = EV_THREAD_END, .t = t, .pid = t->proc->pid,
					    .tid = t->tid, .rank = t->rank });
}

static void process_ended(struct tracer *tr, struct proc *p, int status)
{
	tracer_emit(tr, &(struct nm_event){
		.kind = EV_PROCESS_END, .pid = p->pid, .ppid = p->ppid,
		.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0 });
}

/* The launched program's end, traced or let go. */
static void main_ended(struct tracer *tr, int status)
{
	tr->main_status = status;
	tr->main_exited = true;
	if (tr->main_let_go)
		tracer_emit(tr, &(struct nm_event){
			.kind = EV_PROCESS_END, .pid = tr->main_pid, .ppid = getpid(),
			.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0 });
}

static void handle_death(struct tracer *tr, struct tcb *t, int status)
{
	thread_exiting(tr, t);
	if (t->tid == t->proc->pid)
		process_ended(tr, t->proc, status);
	if (t->tid == tr->main_pid) {
		main_ended(tr, status);
		/* Its child could not say it: it shared numamma's memory. */
		if (t->proc->before_exec && launch_exec_errno())
			error("cannot run '%s': %s", tr->main_name, strerror(launch_exec_errno()));
		if (t->proc->before_exec && WIFSIGNALED(status))
			warning("the program was killed by %s before it ran: the kernel could not "
				"load it (a truncated or damaged executable?)", strsignal(WTERMSIG(status)));
	}
	tcb_free(tr, t);
}

/* ---- creation events ---- */

/* Was tid's stop held (and is it no longer)? */
static bool forget_early(struct tracer *tr, pid_t tid)
{
	for (int i = 0; i < tr->nearly; i++)
		if (tr->early[i] == tid) {
			tr->early[i] = tr->early[--tr->nearly];
			return true;
		}
	return false;
}

static void take_early_stop(struct tracer *tr, struct tcb *child)
{
	if (!forget_early(tr, child->tid))
		return;
	thread_start(tr, child);
	/* A --no-follow fork child is let go by our caller instead; one that
	 * shares its parent's memory stays. */
	if (!child->proc->ignored || child->proc->vfork_child || child->proc->clone_vm)
		resume(child, 0);
}

/* Can numamma write p's memory?  A byte of its own (the scratch page's)
 * read and written back; not where p is non-dumpable and numamma lacks
 * CAP_SYS_PTRACE.  Nothing of numamma's in it: nothing to write. */
static bool memory_writable(struct proc *p)
{
	uint8_t byte;

	if (!p->scratch)
		return true;
	return !tracee_read(p, p->scratch, &byte, 1) && !tracee_write(p, p->scratch, &byte, 1);
}

static void detach_ignored_fork(struct tracer *tr, struct tcb *t)
{
	struct proc *parent = t->proc->agent_parent ? proc_by_pid(tr, t->proc->agent_parent) : NULL;

	/* A fork child has its own copy of memory: put the original bytes
	 * back before letting it run untraced.  A vfork or CLONE_VM child
	 * shares its parent's memory and stays traced until it execs or
	 * exits; so does one whose memory numamma may not write (its traps
	 * or the parent's hooks left in, it would die or write into the
	 * parent's ring), ignored. */
	if (t->proc->vfork_child || t->proc->clone_vm)
		return;
	if (!memory_writable(t->proc)) {
		if (parent && parent->agent) {
			t->proc->agent_shares = parent->pid;
			agent_share(parent, t->proc->pid, false);
		}
		return;
	}
	for (int i = 0; i < t->npending; i++)
		tracee_write(t->proc, t->pending[i].sp, &t->pending[i].ret_addr, 8);
	pending_clear(t);
	bp_remove_all(t->proc);
	if (parent)
		agent_unhook(t->proc, parent);
	ptrace_restart(PTRACE_DETACH, t, 0);
	t->flags |= TCB_DETACHED;
}

/* A fork from inside an allocator call (a signal handler's fork) leaves
 * the trampoline on the child's copy of the stack too. */
static void inherit_pending(struct tcb *child, const struct tcb *parent)
{
	child->npending = parent->npending;
	for (int i = 0; i < parent->npending; i++) {
		child->pending[i] = parent->pending[i];
		child->pending[i].frames = NULL;
		child->pending[i].nframes = 0;
	}
}

static bool is_early(const struct tracer *tr, pid_t tid)
{
	for (int i = 0; i < tr->nearly; i++)
		if (tr->early[i] == tid)
			return true;
	return false;
}

static void hold_early(struct tracer *tr, pid_t tid);

/* A stop of a thread numamma has not heard of: its first, held until
 * its creator's event names it, or its exit's.  The creator killed
 * between its clone and the event (a thread of the process called
 * exit_group while another made a thread: Go's runtime at its end, any
 * pthread_create under way), the event never comes, and the thread,
 * killed too, stops once more at its exit: held, it never went on, nor
 * could its process be reaped, and numamma waited for it for ever (a
 * Go program's end, one run in two).  Nothing is left to record of it. */
static void unknown_thread_stopped(struct tracer *tr, pid_t tid, int status)
{
	if (classify_wait_status(status) != TE_EXIT_EVENT) {
		hold_early(tr, tid);
		return;
	}
	forget_early(tr, tid);
	if (ptrace(PTRACE_CONT, tid, 0, 0) < 0 && errno != ESRCH)
		debug("thread %d: cannot let it exit: %s", tid, strerror(errno));
}

/* The child of a process with an agent.  A vfork child shares the
 * parent's memory, agent included: its calls are recorded under its own
 * tid, the parent's TCB's entry naming it until it is done.  A fork child
 * shares the parent's agent region (MAP_SHARED survives fork): it gets
 * its own, made ready now or mapped at its first stop, waited for now,
 * while the parent is stopped at this event and its region can be
 * copied. */
static void agent_child(struct tracer *tr, struct tcb *parent, struct tcb *child)
{
	int status;

	/* No region of its own can be mapped in memory its parent uses. */
	if (child->proc->clone_vm) {
		child->proc->agent_shares = parent->proc->pid;
		agent_share(parent->proc, child->proc->pid, true);
		return;
	}
	if (child->proc->vfork_child) {
		child->proc->agent_parent = parent->proc->pid;
		child->vfork_tcb = tcb_address(parent);
		child->vfork_parent_tid = parent->tid;
		agent_lend_thread(parent->proc, child->tid, child->vfork_tcb, parent->tid);
		return;
	}
	/* A fork child: its region made ready now (its agent maps it), else
	 * mapped at its first stop.  That stop is waited for either way, so
	 * that the child runs before its parent goes on: a parent that
	 * stopped numamma right after its fork left the child stopped. */
	if (child->proc->ignored || !agent_fork_ahead(tr, parent, child->proc))
		child->proc->agent_parent = parent->proc->pid;
	if (is_early(tr, child->tid) || waitpid(child->tid, &status, __WALL) != child->tid)
		return;
	if (WIFSTOPPED(status))
		hold_early(tr, child->tid);
	else
		tracer_defer_status(tr, child->tid, status);
}

static void handle_new_child(struct tracer *tr, struct tcb *parent, int event)
{
	unsigned long msg;
	struct tcb *child;
	struct proc *p;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, 0, &msg) < 0 || tcb_find(tr, msg))
		return;
	/* A static program's main thread has its thread pointer from its
	 * libc, after the exec's stop: this may be its first stop since. */
	hooks_record_tls(tr, parent);
	if (event == PTRACE_EVENT_CLONE && tracee_tgid(msg) == parent->proc->pid) {
		child = tcb_new(tr, msg, parent->proc);
		child->rank = parent->proc->next_rank++;
		child->flags = parent->flags & TCB_EXIT_STOP;   /* inherited */
		exit_stops(tr, parent);         /* two threads now */
	} else {
		/* The parent's calls made before the fork are its child's
		 * too: read before the fork is told (the recorder copies the
		 * parent's mappings there).  A vfork child's records go to its
		 * parent's ring, each with its writer's tid: no drain while
		 * both wait here (gcc's driver: the drain of its first stacks
		 * held its vfork for a millisecond). */
		if (event != PTRACE_EVENT_VFORK && parent->proc->agent)
			agent_drain(tr, parent->proc);
		p = proc_fork(tr, parent->proc, msg, event == PTRACE_EVENT_VFORK);
		child = tcb_new(tr, msg, p);
		child->flags = parent->flags & TCB_EXIT_STOP;   /* inherited */
		memcpy(child->stack, parent->stack, sizeof(child->stack));
		memcpy(child->reach, parent->reach, sizeof(child->reach));
		inherit_pending(child, parent);
		if (parent->proc->agent)
			agent_child(tr, parent, child);
		else if (parent->proc->agent_shares)
			share_further(tr, p, parent->proc->agent_shares);
	}
	take_early_stop(tr, child);
	if ((child->flags & TCB_STARTED) && child->proc->ignored && !child->proc->vfork_child &&
	    !child->proc->clone_vm) {
		detach_ignored_fork(tr, child);
		if (child->flags & TCB_DETACHED)
			tcb_free(tr, child);
		else
			resume(child, 0);       /* kept: it runs its parent's agent */
	}
}

/* A thread stopped for the first time before its creator's event: keep it
 * stopped until we know which process it belongs to. */
static void hold_early(struct tracer *tr, pid_t tid)
{
	if (tr->nearly == tr->capearly) {
		tr->capearly = tr->capearly ? 2 * tr->capearly : 64;
		tr->early = xrealloc(tr->early, tr->capearly * sizeof(*tr->early));
	}
	tr->early[tr->nearly++] = tid;
}

/* ---- exec ---- */

/* exec: nothing of the old address space is left, ours included. */
static void reset_address_space(struct proc *p)
{
	bp_table_free(p->bps);
	p->bps = bp_table_new();
	modmap_free(&p->mods);
	modmap_init(&p->mods);
	p->mods_hooked = p->mods_statics = 0;
	agent_forget(p);
	p->agent_refused = false;
	p->agent_parent = 0;
	p->refused[0] = 0;
	p->no_scratch = false;
	p->scratch = p->syscall_insn = 0;
	p->nr_xol = 0;
	p->nr_wrappers = 0;
	p->nmapreg = 0;
	p->vfork_child = false;
	p->clone_vm = false;
	p->hooks_ready = false;
	p->tls_state = 0;
	p->next_rank = 1;
	proc_open_mem(p);
}

static void handle_exec(struct tracer *tr, struct tcb *t)
{
	struct proc *p = t->proc;
	char exe[PATH_MAX];
	unsigned long former;

	/* A non-leader thread that execs takes the leader's tid, and its
	 * TCB: the leader's exit, seen as the exec killed it, was not this
	 * thread's (left marked, the image's own exit drained nothing and its
	 * last calls were lost). */
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former) == 0 && (pid_t)former != t->tid) {
		struct tcb *old = tcb_find(tr, former);
		if (old && old != t)
			tcb_free(tr, old);
		if (t->flags & TCB_EXITING)
			p->running++;
		t->flags &= ~TCB_EXITING;
	}
	if (p->ignored) {
		/* --no-follow vfork child: fresh memory, nothing of ours in it. */
		end_sharing(tr, p);
		ptrace_restart(PTRACE_DETACH, t, 0);
		t->flags |= TCB_DETACHED;
		return;
	}
	/* exec leaves one thread: the others died, perhaps in mid-record. */
	agent_thread_gone(tr, t, true);
	agent_learn(tr, p);
	end_sharing(tr, p);
	t->vfork_tcb = 0;
	t->vfork_parent_tid = 0;
	t->flags &= ~TCB_TLS_KNOWN;
	watchdog_forget_process(p->pid);
	reset_address_space(p);
	t->rank = 0;
	pending_clear(t);
	if (t->unwind)
		unwind_thread_free(t->unwind);
	t->unwind = unwind_thread_new(t->tid);
	unwind_flush_caches();
	/* The launched program starts at its exec: before it, it was a copy
	 * of numamma.  The session creates its database now. */
	p->before_exec = false;
	process_exe(p->pid, exe, sizeof(exe));
	warn_privilege_lost(p->pid, exe);
	tracer_emit(tr, &(struct nm_event){ .kind = EV_EXEC, .t = t, .pid = p->pid,
					    .tid = t->tid, .exe = exe[0] ? exe : NULL });
	/* The new image's statics and mappings exist from here. */
	p->mods_read_ns = p->maps_seen_ns = now_ns();
	proc_record(tr, p, exe[0] ? exe : NULL);
	if (!(t->flags & TCB_STARTED)) {
		thread_start(tr, t);
	} else {
		tcb_stack(t, t->stack, t->reach);
		record_stack(tr, t, t->stack);
	}
	/* The first injection runs over the image's first code, execve's
	 * exit with it (scratch_ensure()); none needed, none waited for. */
	t->flags |= TCB_AT_EXEC;
	hooks_install(tr, t);
	t->flags &= ~TCB_AT_EXEC;
}

/* ---- breakpoints ---- */

static bool is_our_trap(struct tcb *t)
{
	siginfo_t si;

	return ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code == SI_KERNEL;
}

/* While the watch sampler runs, a debug exception in the program is one
 * of its watchpoints': the program cannot set debug registers (ptrace
 * does, and we are its tracer), and its own perf events would say
 * TRAP_PERF.  The kernel sent one once as a watchpoint fired while being
 * moved (TRAP_HWBKPT), and, in a VM, one whose DR6 gave no cause
 * (TRAP_BRKPT, at the ip after a store to a watched word): passed on,
 * either killed the program.  Only an icebp of the program's own is told
 * apart, by its opcode before the ip or at it. */
bool tracer_watch_trap(struct tracer *tr, struct tcb *t, const siginfo_t *si)
{
	int byte_before = -1, byte_at = -1;
	long word;

	if (!tr->watchpoints || si->si_signo != SIGTRAP)
		return false;
	if (si->si_code == TRAP_BRKPT) {
		errno = 0;
		word = ptrace(PTRACE_PEEKTEXT, t->tid, (uintptr_t)si->si_addr - 1, 0);
		if (errno == 0) {
			byte_before = word & 0xff;
			byte_at = (word >> 8) & 0xff;
		}
	}
	return sigtrap_from_watchpoint(si->si_code, byte_before, byte_at);
}

static bool stray_watch_trap(struct tracer *tr, struct tcb *t)
{
	siginfo_t si;

	if (!tr->watchpoints || ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) || !tracer_watch_trap(tr, t, &si))
		return false;
	debug("thread %d: a watchpoint's trap (code %d), not passed on", t->tid, si.si_code);
	resume(t, 0);
	return true;
}

/* Lets process p go, as a detach does: its threads end there, and what
 * it does after is not profiled.  The launched program's end still comes
 * to numamma, its parent (dispatch()); another process (an attached one
 * too) ends at the let-go, its status unknown.  held: p's thread in a
 * stop of numamma's (freed by dispatch(), last), or NULL. */
static void let_go(struct tracer *tr, struct proc *p, struct tcb *held)
{
	struct tcb **v;
	int n = 0;

	tracer_detach_threads(tr, p, held);
	watchdog_forget_process(p->pid);
	/* Counted now: the detach adds the threads it saw created. */
	v = xcalloc(tr->nr_tcbs + 1, sizeof(*v));
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *u = tr->tcb_hash[i]; u; u = u->next)
			if (u->proc == p)
				v[n++] = u;
	for (int i = 0; i < n; i++)
		thread_exiting(tr, v[i]);
	if (p->pid == tr->main_pid && !tr->cfg.attach)
		tr->main_let_go = true;
	else
		tracer_emit(tr, &(struct nm_event){ .kind = EV_PROCESS_END, .pid = p->pid,
						    .ppid = p->ppid, .exit_status = -1 });
	/* The process goes with its last thread. */
	for (int i = 0; i < n; i++)
		if (v[i] != held)
			tcb_free(tr, v[i]);
	if (held)
		held->flags |= TCB_DETACHED;
	free(v);
}

/* LeakSanitizer's check (an ASan or LSan program's, at its exit or
 * asked for) stops the program's threads with ptrace, which fails on
 * threads numamma traces: the program said "LeakSanitizer has
 * encountered a fatal error" and exited 1.  numamma lets the process go
 * as the check starts. */
static void let_go_for_leak_check(struct tracer *tr, struct tcb *t)
{
	if (!tr->told_leak_check)
		warning("process %d starts LeakSanitizer's check, which needs ptrace: numamma lets "
			"it go there (what it does after is not profiled)", t->proc->pid);
	else
		debug("process %d: let go for LeakSanitizer's check", t->proc->pid);
	tr->told_leak_check = true;
	let_go(tr, t->proc, t);
}

/* A process asks to be traced (ptrace(PTRACE_TRACEME): a debugger's
 * inferior, strace's child, a check for a debugger), or to trace one
 * numamma traces (PTRACE_ATTACH, PTRACE_SEIZE: a debugger attaching,
 * strace, numamma itself): under numamma's tracing the call would fail
 * (a thread has one tracer).  numamma lets the process to be traced go
 * first, and the call does what it does alone.  t is stopped at the call
 * (by the agent or a breakpoint); true when its own process went. */
static bool let_go_for_ptrace(struct tracer *tr, struct tcb *t, long request, pid_t pid)
{
	struct tcb *target = request == PTRACE_TRACEME ? t : tcb_find(tr, pid);

	if ((request != PTRACE_TRACEME && request != PTRACE_ATTACH && request != PTRACE_SEIZE) ||
	    !target || target->proc->ignored || (request != PTRACE_TRACEME && target->proc == t->proc))
		return false;
	if (tr->told_ptrace)
		debug("process %d: let go for ptrace(%ld) by process %d", target->proc->pid, request,
		      t->proc->pid);
	else if (request == PTRACE_TRACEME)
		warning("process %d asks to be traced (a debugger's program?): numamma lets it go "
			"there (what it does after is not profiled)", t->proc->pid);
	else
		warning("process %d is about to trace process %d: numamma lets that one go there "
			"(what it does after is not profiled)", t->proc->pid, target->proc->pid);
	tr->told_ptrace = true;
	let_go(tr, target->proc, target->proc == t->proc ? t : NULL);
	return target->proc == t->proc;
}

/* The program at path in p's view: its root and its working directory
 * (p's, not numamma's), through /proc. */
static void path_seen_by(const struct proc *p, const char *path, char *out, size_t size)
{
	snprintf(out, size, "/proc/%d/%s%s", p->pid, path[0] == '/' ? "root" : "cwd/", path);
}

/* The program exec call e of p runs: as p sees it (seen: through /proc,
 * its root, working directory or descriptor) and as a message names it
 * (exe: a descriptor's file by its path).  false where its path cannot
 * be read. */
static bool exec_program(struct proc *p, const struct exec_call *e, char *exe, size_t size,
			 char *seen, size_t seen_size)
{
	char path[PATH_MAX] = "", fd[64], dir[PATH_MAX];
	ssize_t n;

	if (e->path && tracee_read_string(p, e->path, path, sizeof(path)) < 0)
		return false;
	if (path[0] == '/' || (path[0] && e->dirfd == EXEC_AT_FDCWD)) {
		snprintf(exe, size, "%s", path);
		path_seen_by(p, path, seen, seen_size);
		return true;
	}
	if (!path[0] && !(e->flags & EXEC_AT_EMPTY_PATH))
		return false;
	snprintf(fd, sizeof(fd), "/proc/%d/fd/%d", p->pid, e->dirfd);
	n = readlink(fd, dir, sizeof(dir) - 1);
	dir[n > 0 ? n : 0] = 0;
	snprintf(seen, seen_size, "%s%s%s", fd, path[0] ? "/" : "", path);
	snprintf(exe, size, "%s%s%s", n > 0 ? dir : fd, path[0] ? "/" : "", path);
	return true;
}

/* A process about to exec a program the kernel would run without its
 * set-user-ID or set-group-ID bit or its file capabilities under
 * numamma's tracing (numamma not root: sudo, ping, passwd, a program of
 * another user's): numamma lets it go first, and the program runs with
 * its privilege, as alone.  t is stopped at the call (e: the program it
 * names, in the tracee); true when its process went. */
static bool let_go_for_exec(struct tracer *tr, struct tcb *t, const struct exec_call *e)
{
	char exe[PATH_MAX + 64], seen[PATH_MAX + 64];
	const char *what;

	if (!exec_program(t->proc, e, exe, sizeof(exe), seen, sizeof(seen)))
		return false;
	if (!(what = privilege_lost_traced(seen))) {
		debug("process %d: stopped at its exec of %s, which loses nothing traced", t->proc->pid,
		      exe);
		return false;
	}
	if (tr->told_privileged_exec)
		debug("process %d: let go to run %s, which %s", t->proc->pid, exe, what);
	else
		warning("process %d is about to run %s, which %s: numamma lets it go there, so that "
			"it runs with that privilege (what it does after is not profiled)", t->proc->pid,
			exe, what);
	tr->told_privileged_exec = true;
	let_go(tr, t->proc, t);
	return true;
}

/* A call the agent stopped the thread at, for numamma to let a process
 * go there: FN_PTRACE (a0, a1: its request and pid), FN_EXECVEAT (an exec
 * call, exec_call_word() and its path).  true when t's own process went. */
static bool at_let_go_call(struct tracer *tr, struct tcb *t, int fn, uint64_t a0, uint64_t a1)
{
	struct exec_call e;

	if (t->proc->ignored)
		return false;
	if (fn == FN_PTRACE)
		return let_go_for_ptrace(tr, t, (long)a0, (pid_t)a1);
	if (fn != FN_EXECVEAT)
		return false;
	e = exec_call_at_stop(a0, a1);
	return let_go_for_exec(tr, t, &e);
}

/* The same at a breakpoint of the trap path, from the call's own
 * arguments. */
static bool at_let_go_breakpoint(struct tracer *tr, struct tcb *t, int fn,
				 const struct user_regs_struct *regs)
{
	const uint64_t args[6] = { regs->rdi, regs->rsi, regs->rdx, regs->rcx, regs->r8, regs->r9 };
	struct exec_call e;

	if (t->proc->ignored)
		return false;
	if (exec_call_of(fn, args, &e))
		return let_go_for_exec(tr, t, &e);
	return at_let_go_call(tr, t, fn, regs->rdi, regs->rsi);
}

/* The process whose region a call of p's agent runs on: p's, for a
 * vfork child its parent's, for one that shares another's region (a
 * clone(CLONE_VM) child, a non-dumpable process's fork child) that
 * one's. */
static struct proc *region_owner(struct tracer *tr, struct proc *p)
{
	struct proc *owner = agent_owner(tr, p);

	if (!owner && p->agent_shares)
		owner = proc_by_pid(tr, p->agent_shares);
	return owner ? owner : p;
}

void tracer_stop_at_release(struct tracer *tr, struct tcb *t, uint64_t addr)
{
	agent_stop_at_release(region_owner(tr, t->proc), addr);
}

void tracer_decide_blocks(struct tracer *tr, struct tcb *t, bool every, int mode,
			  uint64_t nodemask)
{
	const struct agent_placement how = { (uint64_t)mode, nodemask };

	if (tr->placing != t)
		return;
	if (every)
		agent_decide_kind(tr, region_owner(tr, t->proc), &how);
	else
		agent_decide_stack(tr, region_owner(tr, t->proc), &how);
}

/* Returns true when the SIGTRAP was one of ours and was handled. */
static bool handle_trap(struct tracer *tr, struct tcb *t)
{
	struct user_regs_struct regs;
	struct proc *p = t->proc, *owner;
	const struct bp *b;
	uint64_t at;

	if (tracee_getregs(t->tid, &regs))
		return false;
	at = regs.rip - 1;
	owner = region_owner(tr, p);
	if (agent_region_trap_at(owner, at)) {
		/* A fork child's first call, its region not mapped by its
		 * agent (agent_fork_ahead()): past the int3, the agent finds
		 * it mapped. */
		if (!is_our_trap(t))
			return stray_watch_trap(tr, t);
		agent_own_region(tr, t, owner);
		resume(t, 0);
		return true;
	}
	if (agent_call_trap_at(owner, at)) {
		if (!is_our_trap(t))
			return stray_watch_trap(tr, t);
		if (!alloc_fn_controls((int)regs.rdi))
			agent_block_stop(tr, t, owner, &regs);
		else if (at_let_go_call(tr, t, (int)regs.rdi, regs.rsi, regs.rdx))
			return true;
		resume(t, 0);
		return true;
	}
	if (agent_loader_trap_at(p, at)) {
		/* In the agent, past its int3: resumed as it is. */
		if (!is_our_trap(t))
			return stray_watch_trap(tr, t);
		hooks_on_entry(tr, t, FN_DL_DEBUG_STATE, &regs);
		resume(t, 0);
		return true;
	}
	if (p->scratch && at == p->scratch + SCRATCH_TRAMPOLINE) {
		if (!is_our_trap(t))
			return stray_watch_trap(tr, t);
		hooks_on_return(tr, t, &regs);
	} else if ((b = bp_find(p->bps, at))) {
		if (!is_our_trap(t))
			return stray_watch_trap(tr, t);
		if (b->fn == FN_LEAK_CHECK && !p->ignored) {
			let_go_for_leak_check(tr, t);
			return true;
		}
		if (at_let_go_breakpoint(tr, t, b->fn, &regs))
			return true;
		regs.rip = at;
		if (!p->ignored)
			hooks_on_entry(tr, t, b->fn, &regs);
		b = bp_find(p->bps, at);   /* hooks may have grown the table */
		if (!b || bp_step_over(p, b, &regs))
			return false;
	} else {
		/* Not at a trap of ours: asked only then, so that our own
		 * traps, which come by the thousand, cost no extra syscall. */
		return stray_watch_trap(tr, t);
	}
	tracee_setregs(t->tid, &regs);
	resume(t, 0);
	return true;
}

static bool sig_is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* -v: where a thread faulted, before the fault reaches the program. */
static void debug_fault(struct tcb *t, int sig)
{
	struct user_regs_struct regs;
	siginfo_t si = { 0 };

	struct map_list maps = { 0 };
	const struct map_entry *m;

	ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si);
	if (tracee_getregs(t->tid, &regs))
		return;
	procmaps_read(t->proc->pid, &maps);
	m = procmaps_find(&maps, regs.rip);
	debug("thread %d: %s (code %d) at %p, rip %#llx rsp %#llx, in %s %s", t->tid,
	      strsignal(sig), si.si_code, si.si_addr, regs.rip, regs.rsp,
	      m ? m->perms : "no mapping", m ? m->path : "");
	procmaps_free(&maps);
}

/* ---- dispatch ---- */

static void handle_stop_event(struct tracer *tr, struct tcb *t, int status)
{
	switch (classify_wait_status(status)) {
	case TE_CLONE:
	case TE_FORK:
	case TE_VFORK:
		handle_new_child(tr, t, status >> 16);
		resume(t, 0);
		break;
	case TE_EXEC:
		handle_exec(tr, t);
		if (!(t->flags & TCB_DETACHED))
			resume(t, 0);
		break;
	case TE_EXIT_EVENT:
		thread_exiting(tr, t);
		resume(t, 0);
		break;
	case TE_GROUP_STOP:
		/* Stay stopped, but hear of SIGCONT (PTRACE_SEIZE semantics). */
		ptrace_restart(PTRACE_LISTEN, t, 0);
		break;
	case TE_INTERRUPT_STOP:
	case TE_SYSCALL_STOP:
		resume(t, 0);
		break;
	case TE_SIGNAL:
		if (WSTOPSIG(status) == SIGTRAP && handle_trap(tr, t))
			break;
		/* Signals are delivered untouched. */
		if (verbose > 0 && sig_is_fault(WSTOPSIG(status)))
			debug_fault(t, WSTOPSIG(status));
		resume(t, WSTOPSIG(status));
		break;
	default:
		debug("thread %d: %s stop, resumed", t->tid,
		      trace_event_name(classify_wait_status(status)));
		resume(t, 0);
		break;
	}
}

/* The launched program, let go, asked to be traced again
 * (PTRACE_TRACEME: a check for a debugger): its parent, numamma, is
 * its tracer now.  Its first stop lets it go for good, the signal that
 * stopped it delivered. */
static void traced_again(pid_t pid, int status)
{
	int sig = WSTOPSIG(status);

	debug("process %d: traced again (stopped by %s), let go", pid, strsignal(sig));
	ptrace(PTRACE_DETACH, pid, 0, (long)(status >> 16 ? 0 : sig));
}

static void dispatch(struct tracer *tr, pid_t tid, int status)
{
	struct tcb *t = tcb_find(tr, tid);

	if (!t && tid == tr->main_pid && tr->main_let_go) {
		if (WIFSTOPPED(status))
			traced_again(tid, status);
		else
			main_ended(tr, status);
		return;
	}
	if (!t) {
		if (WIFSTOPPED(status))
			unknown_thread_stopped(tr, tid, status);
		return;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		handle_death(tr, t, status);
		return;
	}
	if (!(t->flags & TCB_STARTED) && !t->proc->before_exec) {
		thread_start(tr, t);
		if (t->proc->attached && !t->proc->hooks_ready)
			hooks_install(tr, t);
		if (t->proc->ignored && !t->proc->vfork_child) {
			detach_ignored_fork(tr, t);
			if (t->flags & TCB_DETACHED) {
				tcb_free(tr, t);
				return;
			}
		}
	}
	handle_stop_event(tr, t, status);
	if (t->flags & TCB_DETACHED)
		tcb_free(tr, t);
}

void tracer_defer_status(struct tracer *tr, pid_t tid, int status)
{
	if (tr->ndeferred == tr->capdeferred) {
		tr->capdeferred = tr->capdeferred ? 2 * tr->capdeferred : 64;
		tr->deferred = xrealloc(tr->deferred, tr->capdeferred * sizeof(*tr->deferred));
	}
	tr->deferred[tr->ndeferred].tid = tid;
	tr->deferred[tr->ndeferred].status = status;
	tr->ndeferred++;
}

/* ---- the loop ---- */

static void heard_signal(struct tracer *tr, const struct signalfd_siginfo *si)
{
	if (si->ssi_signo == AGENT_DOORBELL_SIGNAL) {
		agent_heard_doorbell(tr, (pid_t)si->ssi_pid);
		return;
	}
	if (si->ssi_signo == SIGCHLD)
		return;
	if (tr->cfg.attach) {
		tr->stopping = true;      /* SIGINT/TERM/HUP: detach */
	} else if (si->ssi_signo != SIGINT && tr->main_pid > 0) {
		/* Launched program: it decides (Ctrl-C reaches it through
		 * the terminal; TERM and HUP are passed on). */
		kill(tr->main_pid, si->ssi_signo);
	}
}

/* Did epoll wake the loop for a sampler's ring (data.ptr: its), not only
 * for the signalfd (NULL)? */
static bool samples_ready(const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++)
		if (evs[i].data.ptr)
			return true;
	return false;
}

/* A read returns every signal pending, up to the buffer's room: one that
 * is not full leaves none behind, and a read more to hear EAGAIN would be
 * a system call per stop of the program (each stop is a SIGCHLD). */
static void drain_signalfd(struct tracer *tr)
{
	struct signalfd_siginfo si[16];
	ssize_t n;

	do {
		n = read(tr->signal_fd, si, sizeof(si));
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(si[0]); i++)
			heard_signal(tr, &si[i]);
	} while (n == (ssize_t)sizeof(si));
}

/* Of two epoll timeouts in ms (-1: none), the one to wait. */
static int earlier_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Waits for the next wait status, serving samplers and ticks meanwhile.
 * Returns false when no tracee is left. */
static bool next_event(struct tracer *tr, pid_t *tid, int *status)
{
	for (;;) {
		struct epoll_event evs[16];
		int n, timeout = -1;

		if (tr->deferred_head < tr->ndeferred) {
			*tid = tr->deferred[tr->deferred_head].tid;
			*status = tr->deferred[tr->deferred_head].status;
			if (++tr->deferred_head == tr->ndeferred)
				tr->deferred_head = tr->ndeferred = 0;
			return true;
		}
		if (tr->nr_tcbs == 0 && !tr->nearly)
			return false;
		/* The program is done when its first process is, as for its
		 * shell: children still running (daemons, `cmd &`) are let go
		 * untouched rather than waited for. */
		if (tr->main_exited && !tr->cfg.attach) {
			tr->stopping = true;
			return false;
		}
		*tid = waitpid(-1, status, __WALL | WNOHANG);
		if (*tid > 0)
			return true;
		if (*tid < 0 && errno == ECHILD)
			return false;
		if (tr->stopping)
			return false;
		/* The agent's records first: the tick reads the samplers'
		 * rings, whose samples are matched to the objects known by
		 * then (a thread's first samples of a block its process had
		 * just allocated found no object). */
		timeout = agent_drain_all(tr);
		if (agent_idle(tr))
			continue;
		if (tr->cfg.on_tick)
			timeout = earlier_timeout(timeout, tr->cfg.on_tick(tr->cfg.ctx, now_ns()));
		if (tr->deadline_ns) {
			int64_t left = ((int64_t)tr->deadline_ns - (int64_t)now_ns()) / 1000000;
			if (left <= 0) {
				tr->stopping = true;
				return false;
			}
			if (timeout < 0 || left < timeout)
				timeout = (int)left + 1;
		}
		n = epoll_wait(tr->epoll_fd, evs, 16, timeout);
		/* Samples are matched to objects: the agent's objects first.
		 * Not for the signalfd alone: a stop (SIGCHLD) is taken at
		 * the loop's top before any drain (a vfork's parent and child
		 * waited 2.5 ms there for the drain of the parent's records,
		 * the symbolizer's start among them), and a doorbell is
		 * answered by the drain that comes before the next sleep. */
		if (n > 0 && samples_ready(evs, n))
			agent_drain_all(tr);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				drain_signalfd(tr);
			else if (tr->cfg.on_ready)
				tr->cfg.on_ready(tr->cfg.ctx, evs[i].data.ptr);
		}
	}
}

/* A launched program let go runs on as our child: wait for its end,
 * passing on the signals its shell would have given it. */
static void wait_untraced(struct tracer *tr)
{
	struct epoll_event evs[16];
	int status;

	for (;;) {
		pid_t pid = waitpid(tr->main_pid, &status, WNOHANG);

		if (pid == tr->main_pid && WIFSTOPPED(status)) {
			traced_again(pid, status);
			continue;
		}
		if (pid == tr->main_pid) {
			main_ended(tr, status);
			return;
		}
		if (pid < 0 && errno != EINTR)
			return;
		int n = epoll_wait(tr->epoll_fd, evs, 16, 100);
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr == NULL)
				drain_signalfd(tr);
	}
}

int tracer_loop(struct tracer *tr)
{
	pid_t tid;
	int status;

	while (next_event(tr, &tid, &status)) {
		dispatch(tr, tid, status);
		if (tr->statics_due)
			hooks_record_statics(tr);
	}
	if (tr->statics_due)            /* hooked at an attach, no event since */
		hooks_record_statics(tr);
	own_priority_boost(false);      /* what is left is numamma's own work */
	agent_regions_end();
	if (tr->stopping)
		tracer_detach_all(tr);
	/* Let go (numamma's profile failed, or LeakSanitizer's check): it
	 * runs on as numamma's child. */
	if (!tr->cfg.attach && !tr->main_exited)
		wait_untraced(tr);
	return tr->main_status;
}

void tracer_let_go(struct tracer *tr)
{
	tr->stopping = true;
}

/* ---- setup ---- */

void tracer_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

/* The loop's: the stop requests and SIGCHLD, and the agents' doorbell. */
static void loop_signals(sigset_t *mask)
{
	_Static_assert(AGENT_DOORBELL_SIGNAL == SIGURG, "the agent signals SIGURG");
	tracer_signals(mask);
	sigaddset(mask, AGENT_DOORBELL_SIGNAL);
}

int tracer_open_signalfd(struct tracer *tr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	sigset_t mask;

	loop_signals(&mask);
	if (tr->signal_fd >= 0) {
		epoll_ctl(tr->epoll_fd, EPOLL_CTL_DEL, tr->signal_fd, NULL);
		close(tr->signal_fd);
	}
	tr->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (tr->signal_fd < 0 || epoll_ctl(tr->epoll_fd, EPOLL_CTL_ADD, tr->signal_fd, &ev) < 0)
		return error_errno("cannot set up the tracer's event loop");
	return 0;
}

struct tracer *tracer_new(const struct tracer_config *cfg)
{
	struct tracer *tr = xcalloc(1, sizeof(*tr));
	sigset_t mask;

	tr->cfg = *cfg;
	if (tr->cfg.call_depth <= 0)
		tr->cfg.call_depth = 16;
	/* SIGCHLD and the stop requests come through a signalfd, so one
	 * epoll_wait serves ptrace events, ring buffers and ticks. */
	loop_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, &tr->program_mask);
	tr->signal_fd = -1;
	tr->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (tr->epoll_fd < 0 || tracer_open_signalfd(tr) < 0)
		exit(NM_EXIT_FAILURE);
	if (tr->cfg.duration > 0)
		tr->deadline_ns = now_ns() + (uint64_t)(tr->cfg.duration * 1e9);
	agent_clock_start();
	return tr;
}

int tracer_epoll_fd(struct tracer *tr)
{
	return tr->epoll_fd;
}

void tracer_set_db(struct tracer *tr, struct nm_db *db)
{
	tr->db = db;
}

struct proc *tracer_procs(struct tracer *tr)
{
	return tr->procs;
}

struct tcb *tracer_placing(struct tracer *tr)
{
	return tr->placing;
}

bool tracer_agent_used(struct tracer *tr)
{
	return tr->agent_used;
}

uint64_t tracer_calls_lost(struct tracer *tr)
{
	return tr->calls_lost;
}

void tracer_set_watchpoints(struct tracer *tr, bool on)
{
	tr->watchpoints = on;
}

void tracer_record_process(struct tracer *tr, struct proc *p)
{
	if (!p->ignored)
		proc_record(tr, p, NULL);
}

/* The calls its agent recorded are drained first: a block mapped before
 * the read is then known as the program's when its region is seen (a
 * fork test's 4 MiB mmap got a second row, a mapping nothing explained). */
void tracer_refresh_mappings(struct tracer *tr, struct proc *p)
{
	if (p->agent)
		agent_drain(tr, p);
	if (modmap_refresh(&p->mods, p->mm_tid) == 0)
		hooks_record_mappings(tr, p);
}

static struct tracer *the_tracer;
static pid_t tracer_tid;        /* the one thread whose ptrace calls count */
/* Held for release_tracees(): a die() of descriptors run out (ulimit -n)
 * left the detach unable to read a thread's state in /proc, the program
 * stopped, and numamma waiting for it to end. */
static int spare_fd = -1;

/* die() in the tracer: numamma's failure is not the program's.  Every
 * thread is let go as at a detach, and a launched program runs on to
 * its own end before numamma exits.  A die() in another of numamma's
 * threads (the symboliser's, out of memory) cannot detach anything: the
 * process exits, and the watchdog puts our traps back. */
static void release_tracees(void)
{
	struct tracer *tr = the_tracer;

	if (!tr || gettid() != tracer_tid)
		return;
	if (spare_fd >= 0)
		close(spare_fd);
	spare_fd = -1;
	tracer_detach_all(tr);
	watchdog_finished();
	if (!tr->cfg.attach && !tr->main_exited)
		wait_untraced(tr);
}

void tracer_install_die_routine(struct tracer *tr)
{
	the_tracer = tr;
	tracer_tid = gettid();
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	set_die_routine(release_tracees);
}

static void seize_launched(struct tracer *tr, pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, (long)TRACE_OPTIONS) < 0) {
		int err = errno;

		if (err == ESRCH)
			die("cannot start the program: it exited before it could be traced");
		error("cannot trace the program: %s", strerror(err));
		ptrace_permission_hint(err, pid);       /* before it is gone */
		kill(pid, SIGKILL);
		watchdog_finished();    /* the program never ran: nothing to repair */
		exit(NM_EXIT_FAILURE);
	}
	launch_go();
}

pid_t tracer_launch(struct tracer *tr, char **argv)
{
	const char *path = resolve_program(argv[0]);
	struct proc *p;
	pid_t pid;

	check_program_or_die(argv[0], path);
	/* From here on, this process is the tracer child of a watchdog. */
	if (watchdog_start_launch() < 0 || tracer_open_signalfd(tr) < 0)
		exit(NM_EXIT_FAILURE);
	fflush(NULL);
	pid = launch_held(path, argv, &tr->program_mask);
	if (pid < 0)
		die_errno("cannot fork");
	tracer_install_die_routine(tr);
	own_limits_raise();       /* the program has forked: its limits are its own */
	tr->main_pid = pid;
	tr->main_name = argv[0];
	watchdog_note_main(pid);
	seize_launched(tr, pid);
	p = proc_new(tr, pid, getpid());
	p->before_exec = true;
	tcb_new(tr, pid, p);
	return pid;
}

_Noreturn void exit_like(int status)
{
	watchdog_finished();
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = { 0, 0 };
		sigset_t mask;

		/* Die of the same signal, without a core file of our own. */
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&mask);
		sigaddset(&mask, sig);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		fflush(NULL);
		raise(sig);
		exit(128 + sig);
	}
	/* Nothing of numamma's runs at exit; what its libraries did there
	 * (destructors; libnuma's numa_fini() while it was linked) only
	 * freed memory: 0.25 ms at the end of each of numamma's two
	 * processes. */
	fflush(NULL);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : NM_EXIT_FAILURE);
}
