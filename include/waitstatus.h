/* Wait statuses of a PTRACE_SEIZE'd tracee, classified (pure). */
#ifndef NUMAMMA_WAITSTATUS_H
#define NUMAMMA_WAITSTATUS_H

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

#endif
