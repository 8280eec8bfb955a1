/* Leaving a process exactly as it was: every thread stopped, every trap
 * of ours undone (breakpoint bytes, hijacked return addresses, threads
 * inside an out-of-line slot or just trapped), signals handed back, then
 * detach.
 *
 * The scratch pages stay mapped: a signal frame saved while a thread ran
 * an out-of-line copy may still point into them, and unmapping them would
 * turn that rare case into a crash. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "breakpoint.h"
#include "error.h"
#include "launch.h"
#include "tracer_int.h"
#include "waitstatus.h"

/* Where a thread stands with respect to our traps. */
static bool at_trampoline(const struct proc *p, uint64_t rip)
{
	uint64_t tramp = p->scratch + SCRATCH_TRAMPOLINE;

	return p->scratch && (rip == tramp || rip == tramp + 1);
}

/* A breakpoint's, the trampoline's, or one of the agent's stops (for
 * the loader's events, a fork child's region, a call to let go at: no
 * move needed, the thread goes on after the int3). */
static bool after_our_int3(const struct proc *p, uint64_t rip)
{
	return bp_find(p->bps, rip - 1) || (p->scratch && rip - 1 == p->scratch + SCRATCH_TRAMPOLINE) ||
	       agent_loader_trap_at(p, rip - 1) || agent_region_trap_at(p, rip - 1) ||
	       agent_call_trap_at(p, rip - 1);
}

/* Is si the SIGTRAP of one of our int3s (the thread's ip just after it)
 * or of a watchpoint? */
static bool our_sigtrap(struct tracer *tr, struct tcb *t, const siginfo_t *si)
{
	struct user_regs_struct regs;

	if (si->si_signo != SIGTRAP)
		return false;
	if (si->si_code == SI_KERNEL)
		return tracee_getregs(t->tid, &regs) == 0 && after_our_int3(t->proc, regs.rip);
	return tracer_watch_trap(tr, t, si);
}

/* A SIGTRAP of ours, raised but not reported yet: the interrupt-stop was
 * reported first.  Left pending, it would kill the thread once detached. */
static bool our_trap_queued(struct tracer *tr, struct tcb *t)
{
	struct __ptrace_peeksiginfo_args arg = { .off = 0, .flags = 0, .nr = 8 };
	siginfo_t si[8];

	for (long n = ptrace(PTRACE_PEEKSIGINFO, t->tid, &arg, si); n > 0; n--)
		if (our_sigtrap(tr, t, &si[n - 1]))
			return true;
	return false;
}

static bool our_trap_stop(struct tracer *tr, struct tcb *t)
{
	siginfo_t si;

	return ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && our_sigtrap(tr, t, &si);
}

/* A signal to hand back at detach.  One is kept per thread; should one be
 * stashed already (by an injected syscall), it is queued again to the
 * thread so that it is not lost. */
static void keep_signal(struct tcb *t, int sig)
{
	if (t->stashed_sig)
		syscall(SYS_tgkill, t->proc->pid, t->tid, t->stashed_sig);
	t->stashed_sig = sig;
}

/* A fork during the detach: the child is a copy of the parent, traps
 * included; it gets the original bytes and return addresses back and goes. */
static void release_fork_child(struct tcb *parent, pid_t child)
{
	struct proc copy = *parent->proc;
	char path[64];
	int status;

	snprintf(path, sizeof(path), "/proc/%d/mem", child);
	copy.pid = child;
	copy.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	copy.bps = bp_table_copy(parent->proc->bps);
	if (waitpid(child, &status, __WALL) == child && WIFSTOPPED(status)) {
		for (int i = 0; i < parent->npending; i++)
			tracee_write(&copy, parent->pending[i].sp, &parent->pending[i].ret_addr, 8);
		bp_remove_all(&copy);
		agent_unhook(&copy, parent->proc);
		ptrace(PTRACE_DETACH, child, 0, 0);
	}
	bp_table_free(copy.bps);
	if (copy.mem_fd >= 0)
		close(copy.mem_fd);
}

static bool is_early(const struct tracer *tr, pid_t tid)
{
	for (int i = 0; i < tr->nearly; i++)
		if (tr->early[i] == tid)
			return true;
	return false;
}

/* An event reported while we stop the thread: the new thread or process
 * must not stay traced; an exec'd image has none of our traps. */
static void settle_event(struct tracer *tr, struct tcb *t, enum trace_event e)
{
	unsigned long msg;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0)
		return;
	if (tcb_find(tr, msg) || is_early(tr, msg))
		return;                 /* already known: detached with the others */
	switch (e) {
	case TE_CLONE:
		/* A thread: detached with the others.  Without CLONE_THREAD
		 * it is a process, as after fork. */
		if (tracee_tgid(msg) == t->proc->pid)
			tcb_new(tr, msg, t->proc);
		else
			release_fork_child(t, msg);
		break;
	case TE_FORK:
	case TE_VFORK:
		release_fork_child(t, msg);
		break;
	case TE_EXEC:
		agent_forget(t->proc);
		bp_table_free(t->proc->bps);
		t->proc->bps = bp_table_new();
		t->proc->scratch = 0;
		pending_clear(t);
		break;
	default:
		break;
	}
}

/* The state letter of /proc/TID/stat ('t': a ptrace stop), 0 if gone. */
static char thread_state(pid_t tid)
{
	char buf[512], state = 0;
	const char *fields = tracee_stat_fields(tid, buf, sizeof(buf));

	if (!fields || sscanf(fields, " %c", &state) != 1)
		return 0;
	return state;
}

/* A vfork parent's thread waits in the kernel (state D) until its child
 * execs or exits, and no interrupt stops it before: with the child held
 * stopped with the others, the wait for it took all of DETACH_WAIT_MS
 * and left it traced, numamma then waiting for a program it would never
 * resume (t0141 once, the disk full between a vfork and its exec).  It is
 * stopped once its child is let go. */
static bool waits_for_vfork(struct tracer *tr, const struct tcb *t)
{
	for (int i = 0; i < TCB_HASH; i++)
		for (const struct tcb *c = tr->tcb_hash[i]; c; c = c->next)
			if (c->proc->vfork_child && c->proc->ppid == t->proc->pid &&
			    !(c->flags & TCB_DETACHED))
				return thread_state(t->tid) == 'D';
	return false;
}

#define QUIET_STOP_MS 100       /* no report for this long: a stop taken before? */
#define DETACH_WAIT_MS 2000

#define REPORT_LATER 2

/* The next report of t: 1 with *status; 0 when t sits in a ptrace stop
 * already reported (its report was taken earlier, a detach must not wait
 * for another); REPORT_LATER when it waits for its vfork child, which
 * numamma holds, or has gone to (resumed from its vfork event just before
 * the detach: t0141 in CI); -1 when it is gone, or reports nothing in
 * DETACH_WAIT_MS (detach gives up on it rather than hang: the kernel
 * detaches it when numamma exits). */
static int wait_report(struct tracer *tr, const struct tcb *t, int *status)
{
	pid_t tid = t->tid;

	/* Polled every 100 µs: a report usually comes within a few. */
	for (int tick = 0; tick < DETACH_WAIT_MS * 10; tick++) {
		pid_t got = waitpid(tid, status, __WALL | WNOHANG);

		if (got == tid)
			return 1;
		if (got < 0)
			return -1;
		if (tick >= QUIET_STOP_MS * 10 && thread_state(tid) == 't')
			return 0;
		if (tick % 10 == 9 && waits_for_vfork(tr, t))
			return REPORT_LATER;
		usleep(100);
	}
	warning("thread %d did not stop to be detached in %d ms: left to the kernel", tid,
		DETACH_WAIT_MS);
	return -1;
}

/* Brings a thread to a stop we can detach from, taking the signal it may
 * be about to receive.  Returns 1 when it is in one, 0 when it is gone,
 * REPORT_LATER when it waits for its vfork child (its interrupt stays
 * pending: it stops once the child is let go). */
static int stop_for_detach(struct tracer *tr, struct tcb *t)
{
	int status;

	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno == ESRCH)
		return 0;
	for (;;) {
		enum trace_event e;
		int got = wait_report(tr, t, &status);

		if (got == REPORT_LATER)
			return got;
		if (got <= 0)
			return got == 0;
		e = classify_wait_status(status);
		switch (e) {
		case TE_EXITED:
		case TE_KILLED:
			/* Reaped here: the launched program's status is what
			 * numamma ends with (it was lost, and numamma exited 0). */
			if (t->tid == tr->main_pid) {
				tr->main_status = status;
				tr->main_exited = true;
			}
			return 0;
		case TE_SIGNAL:
			/* Our SIGTRAP is dropped: the thread will run the
			 * original instruction instead (or, after a
			 * watchpoint's, go on). */
			if (WSTOPSIG(status) != SIGTRAP || !our_trap_stop(tr, t))
				keep_signal(t, WSTOPSIG(status));
			return 1;
		case TE_GROUP_STOP:
			return 1;       /* detached, it stays stopped */
		case TE_INTERRUPT_STOP:
			if (!our_trap_queued(tr, t))
				return 1;
			/* Let it take the SIGTRAP (synchronous signals are
			 * dequeued first) and come back with it. */
			ptrace(PTRACE_CONT, t->tid, 0, 0);
			continue;
		default:
			/* An event stop: settle it; the interrupt is still to come. */
			settle_event(tr, t, e);
			/* But a vfork parent resumed waits in the kernel for
			 * its child, which numamma may hold stopped (its first
			 * stop came before this event: detached last), and no
			 * interrupt stops it before (t0141 in CI: 2 s, then the
			 * program lost): it is detached from this stop. */
			if (e == TE_VFORK)
				return 1;
			ptrace(PTRACE_CONT, t->tid, 0, 0);
			continue;
		}
	}
}

/* The pending call whose return address slot a returning thread popped. */
static const struct pending_call *popped_call(const struct tcb *t, uint64_t rsp)
{
	for (int i = t->npending - 1; i >= 0; i--)
		if (t->pending[i].sp == rsp - 8)
			return &t->pending[i];
	return NULL;
}

/* Puts every hijacked return address back and moves a thread that is at
 * the trampoline, in an out-of-line slot, or just trapped, to the
 * equivalent place of the original code.  bps_stay: the breakpoints stay
 * (a vfork or CLONE_VM child let go alone, its memory its parent's): a
 * thread just trapped steps over its breakpoint instead, or it would trap
 * again. */
static void undo_thread(struct tcb *t, bool bps_stay)
{
	struct proc *p = t->proc;
	struct user_regs_struct regs;
	const struct pending_call *pc;
	const struct bp *b;

	for (int i = t->npending - 1; i >= 0; i--)
		tracee_write(p, t->pending[i].sp, &t->pending[i].ret_addr, 8);
	if (tracee_getregs(t->tid, &regs))
		return;
	if (at_trampoline(p, regs.rip)) {
		pc = popped_call(t, regs.rsp);
		if (pc)
			regs.rip = pc->ret_addr;
		else
			warning("thread %d is at numamma's trampoline with no call pending", t->tid);
	} else if (bps_stay) {
		/* One in an out-of-line slot goes on there: the slot stays. */
		if ((b = bp_find(p->bps, regs.rip - 1))) {
			regs.rip = b->addr;
			bp_step_over(p, b, &regs);
		}
	} else if (!bp_leave_xol(p->bps, (uint64_t *)&regs.rip) &&
		   (b = bp_find(p->bps, regs.rip - 1))) {
		regs.rip = b->addr;     /* trapped: run the original instead */
	}
	tracee_setregs(t->tid, &regs);
	pending_clear(t);
}

/* The tcbs now, of one process or all (only NULL), as an array:
 * stopping threads adds tcbs (clone events). */
static struct tcb **tcb_list(struct tracer *tr, const struct proc *only, int *n)
{
	struct tcb **v = xcalloc(tr->nr_tcbs + 1, sizeof(*v));

	*n = 0;
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *t = tr->tcb_hash[i]; t; t = t->next)
			if (!only || t->proc == only)
				v[(*n)++] = t;
	return v;
}

static bool in_list(struct tcb *const *v, int n, const struct tcb *t)
{
	for (int i = 0; i < n; i++)
		if (v[i] == t)
			return true;
	return false;
}

/* Stops every thread (of only, or of all processes), and the threads
 * they create meanwhile; held is in a stop of numamma's already.
 * Returns the list of threads stopped (gone ones marked TCB_DETACHED). */
static struct tcb **stop_all(struct tracer *tr, const struct proc *only, const struct tcb *held,
			     int *nstopped)
{
	struct tcb **stopped = NULL;
	int n = 0, nnow, got;

	for (;;) {
		struct tcb **now = tcb_list(tr, only, &nnow);
		int before = n;

		stopped = xrealloc(stopped, (n + nnow) * sizeof(*stopped));
		for (int i = 0; i < nnow; i++) {
			if (in_list(stopped, before, now[i]))
				continue;
			if (now[i] == held)
				;       /* its report taken: no interrupt comes */
			else if ((got = stop_for_detach(tr, now[i])) == REPORT_LATER)
				now[i]->flags |= TCB_STOP_LATER;
			else if (!got)
				now[i]->flags |= TCB_DETACHED;
			stopped[n++] = now[i];
		}
		free(now);
		if (n == before)
			break;
	}
	*nstopped = n;
	return stopped;
}

void tracer_detach_threads(struct tracer *tr, struct proc *only, const struct tcb *held)
{
	int n;
	struct tcb **v = stop_all(tr, only, held, &n);
	/* Only a process whose memory is another's (a vfork or CLONE_VM
	 * child): the breakpoints there stay for that one. */
	bool bps_stay = only && (only->vfork_child || only->clone_vm);

	for (int i = 0; i < n; i++)
		if (!(v[i]->flags & (TCB_DETACHED | TCB_STOP_LATER)))
			undo_thread(v[i], bps_stay);
	/* A vfork parent runs no code of the program meanwhile: it is in
	 * the kernel. */
	for (struct proc *p = tr->procs; p; p = p->next) {
		if (only && p != only)
			continue;
		agent_detach(tr, p);
		if (!p->vfork_child && !bps_stay)
			bp_remove_all(p);
	}
	for (int i = 0; i < n; i++) {
		if (!(v[i]->flags & (TCB_DETACHED | TCB_STOP_LATER)))
			ptrace(PTRACE_DETACH, v[i]->tid, 0, (long)v[i]->stashed_sig);
		if (!(v[i]->flags & TCB_STOP_LATER))
			v[i]->flags |= TCB_DETACHED;
	}
	/* Their children gone on to exec or exit, the vfork parents stop. */
	for (int i = 0; i < n; i++) {
		if (!(v[i]->flags & TCB_STOP_LATER))
			continue;
		v[i]->flags &= ~TCB_STOP_LATER;
		if (stop_for_detach(tr, v[i]) == 1) {
			undo_thread(v[i], bps_stay);
			ptrace(PTRACE_DETACH, v[i]->tid, 0, (long)v[i]->stashed_sig);
		}
		v[i]->flags |= TCB_DETACHED;
	}
	free(v);
}

void tracer_detach_all(struct tracer *tr)
{
	tracer_detach_threads(tr, NULL, NULL);
	/* Threads held at their first stop, their creator's event unseen. */
	for (int i = 0; i < tr->nearly; i++)
		ptrace(PTRACE_DETACH, tr->early[i], 0, 0);
	tr->nearly = 0;
}
