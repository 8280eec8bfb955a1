/* Wait statuses of a PTRACE_SEIZE'd tracee, classified (pure). */
#ifndef NUMAMMA_WAITSTATUS_H
#define NUMAMMA_WAITSTATUS_H

#include <stdbool.h>

enum trace_event {
	TE_EXITED,          /* exited normally */
	TE_KILLED,          /* killed by a signal */
	TE_SIGNAL,          /* signal-delivery-stop (SIGTRAP of a breakpoint too) */
	TE_GROUP_STOP,      /* PTRACE_EVENT_STOP with a stop signal */
	TE_INTERRUPT_STOP,  /* PTRACE_EVENT_STOP otherwise: new thread, interrupt */
	TE_SYSCALL_STOP,    /* SIGTRAP | 0x80 */
	TE_CLONE, TE_FORK, TE_VFORK, TE_EXEC, TE_EXIT_EVENT,
	TE_UNKNOWN,
};

enum trace_event classify_wait_status(int status);
const char *trace_event_name(enum trace_event e);

/* Did a watchpoint raise the SIGTRAP of this si_code, the bytes before
 * and at the thread's ip being byte_before and byte_at (-1 when
 * unreadable), rather than the program?  TRAP_HWBKPT says so; TRAP_BRKPT
 * is a debug exception whose cause the kernel did not find in DR6, as it
 * finds none for an icebp (0xf1) and, in some VMs, for a data watchpoint
 * that fired.  An icebp is reported after it, or on it where the
 * hypervisor makes it a fault (KVM on an AMD host). */
bool sigtrap_from_watchpoint(int si_code, int byte_before, int byte_at);

#endif
