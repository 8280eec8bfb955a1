/* Wait-status classification against statuses made by the kernel's own
 * encoding (the W* macros' inverse), event by event. */
#include <signal.h>
#include <sys/ptrace.h>

#include "unit.h"
#include "waitstatus.h"

static int stopped(int sig, int event)
{
	return (event << 16) | (sig << 8) | 0x7f;
}

static void check(int status, enum trace_event want)
{
	enum trace_event got = classify_wait_status(status);

	if (got != want) {
		unit_failures++;
		fprintf(stderr, "status %#x: %s, want %s\n", status, trace_event_name(got),
			trace_event_name(want));
	}
}

int main(void)
{
	check(42 << 8, TE_EXITED);                        /* exit(42) */
	check(SIGKILL, TE_KILLED);
	check(SIGSEGV | 0x80, TE_KILLED);                 /* with core */
	check(stopped(SIGUSR1, 0), TE_SIGNAL);
	check(stopped(SIGTRAP, 0), TE_SIGNAL);            /* a breakpoint */
	check(stopped(SIGTRAP | 0x80, 0), TE_SYSCALL_STOP);
	check(stopped(SIGTRAP, PTRACE_EVENT_CLONE), TE_CLONE);
	check(stopped(SIGTRAP, PTRACE_EVENT_FORK), TE_FORK);
	check(stopped(SIGTRAP, PTRACE_EVENT_VFORK), TE_VFORK);
	check(stopped(SIGTRAP, PTRACE_EVENT_EXEC), TE_EXEC);
	check(stopped(SIGTRAP, PTRACE_EVENT_EXIT), TE_EXIT_EVENT);
	check(stopped(SIGSTOP, PTRACE_EVENT_STOP), TE_GROUP_STOP);
	check(stopped(SIGTSTP, PTRACE_EVENT_STOP), TE_GROUP_STOP);
	check(stopped(SIGTTIN, PTRACE_EVENT_STOP), TE_GROUP_STOP);
	check(stopped(SIGTTOU, PTRACE_EVENT_STOP), TE_GROUP_STOP);
	check(stopped(SIGTRAP, PTRACE_EVENT_STOP), TE_INTERRUPT_STOP);
	check(stopped(SIGTRAP, 0x7e), TE_UNKNOWN);
	check(0xffff, TE_UNKNOWN);                        /* continued */
	CHECK_STR(trace_event_name(TE_GROUP_STOP), "group-stop");
	/* SIGTRAPs: a watchpoint's, with its cause in DR6 or without (the
	 * byte before: the last of a store); the program's own. */
	CHECK(sigtrap_from_watchpoint(TRAP_HWBKPT, 0x03, 0x48));
	CHECK(sigtrap_from_watchpoint(TRAP_BRKPT, 0x03, 0x48));
	CHECK(sigtrap_from_watchpoint(TRAP_BRKPT, -1, -1));
	CHECK(!sigtrap_from_watchpoint(TRAP_BRKPT, 0xf1, 0x48));    /* icebp, a trap */
	CHECK(!sigtrap_from_watchpoint(TRAP_BRKPT, 0x90, 0xf1));    /* icebp, a fault */
	CHECK(!sigtrap_from_watchpoint(SI_KERNEL, 0xcc, 0x48));     /* int3 */
	CHECK(!sigtrap_from_watchpoint(SI_USER, 0x05, 0x48));       /* kill */
	CHECK(!sigtrap_from_watchpoint(SI_TKILL, 0x05, 0x48));      /* raise */
	CHECK(!sigtrap_from_watchpoint(TRAP_TRACE, 0x90, 0x48));    /* its own TF */
	CHECK_STR(trace_event_name((enum trace_event)99), "unknown");
	return unit_done();
}
