/* Leaving a process exactly as it was: every thread stopped, every trap
 * of ours undone (breakpoint bytes, hijacked return addresses, threads
 * inside an out-of-line slot), pending signals handed back, then detach. */
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "breakpoint.h"
#include "error.h"
#include "tracer_int.h"
#include "waitstatus.h"

static bool our_trap_pending(struct tcb *t)
{
	struct user_regs_struct regs;
	siginfo_t si;
	uint64_t at;

	if (tracee_getregs(t->tid, &regs) || ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) ||
	    si.si_code != SI_KERNEL)
		return false;
	at = regs.rip - 1;
	return bp_find(t->proc->bps, at) ||
	       (t->proc->scratch && at == t->proc->scratch + SCRATCH_TRAMPOLINE);
}

/* Brings a thread to a stop we can detach from.  Returns false when it
 * died meanwhile (its status is handled by the caller's loop). */
static bool stop_for_detach(struct tracer *tr, struct tcb *t)
{
	int status;

	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno == ESRCH)
		return false;
	for (;;) {
		if (waitpid(t->tid, &status, __WALL) < 0)
			return false;
		switch (classify_wait_status(status)) {
		case TE_EXITED: case TE_KILLED:
			return false;
		case TE_SIGNAL:
			/* Hand the signal back at detach; a SIGTRAP of our own
			 * breakpoint or trampoline is re-executed instead. */
			if (WSTOPSIG(status) != SIGTRAP || !our_trap_pending(t))
				t->stashed_sig = WSTOPSIG(status);
			return true;
		case TE_GROUP_STOP:
			t->stashed_sig = 0;
			return true;
		default:
			return true;
		}
	}
}

/* Puts every hijacked return address back and moves a thread that is in
 * an out-of-line slot, or just trapped, to the original code. */
static void undo_thread(struct tcb *t)
{
	struct proc *p = t->proc;
	struct user_regs_struct regs;

	for (int i = t->npending - 1; i >= 0; i--)
		tracee_write(p, t->pending[i].sp, &t->pending[i].ret_addr, 8);
	if (tracee_getregs(t->tid, &regs))
		return;
	if (p->scratch && regs.rip == p->scratch + SCRATCH_TRAMPOLINE + 1 && t->npending) {
		regs.rip = t->pending[0].ret_addr;
	} else if (!bp_leave_xol(p->bps, (uint64_t *)&regs.rip)) {
		const struct bp *b = bp_find(p->bps, regs.rip - 1);
		if (b)
			regs.rip = b->addr;     /* trapped: run the original instead */
	}
	tracee_setregs(t->tid, &regs);
	pending_clear(t);
}

void tracer_detach_all(struct tracer *tr)
{
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *t = tr->tcb_hash[i]; t; t = t->next)
			if (!stop_for_detach(tr, t))
				t->flags |= TCB_EXITING;
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *t = tr->tcb_hash[i]; t; t = t->next)
			if (!(t->flags & TCB_EXITING))
				undo_thread(t);
	for (struct proc *p = tr->procs; p; p = p->next)
		if (!p->vfork_child)
			bp_remove_all(p);
	for (int i = 0; i < TCB_HASH; i++)
		for (struct tcb *t = tr->tcb_hash[i]; t; t = t->next)
			ptrace(PTRACE_DETACH, t->tid, 0, (long)t->stashed_sig);
}
