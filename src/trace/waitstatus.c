#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "waitstatus.h"

static enum trace_event classify_event_stop(int sig)
{
	switch (sig) {
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return TE_GROUP_STOP;
	default:
		return TE_INTERRUPT_STOP;
	}
}

enum trace_event classify_wait_status(int status)
{
	int sig;

	if (WIFEXITED(status))
		return TE_EXITED;
	if (WIFSIGNALED(status))
		return TE_KILLED;
	if (!WIFSTOPPED(status))
		return TE_UNKNOWN;
	sig = WSTOPSIG(status);
	switch (status >> 16) {
	case 0:
		return sig == (SIGTRAP | 0x80) ? TE_SYSCALL_STOP : TE_SIGNAL;
	case PTRACE_EVENT_CLONE: return TE_CLONE;
	case PTRACE_EVENT_FORK:  return TE_FORK;
	case PTRACE_EVENT_VFORK: return TE_VFORK;
	case PTRACE_EVENT_EXEC:  return TE_EXEC;
	case PTRACE_EVENT_EXIT:  return TE_EXIT_EVENT;
	case PTRACE_EVENT_STOP:  return classify_event_stop(sig);
	default:                 return TE_UNKNOWN;
	}
}

const char *trace_event_name(enum trace_event e)
{
	static const char *const names[] = {
		[TE_EXITED] = "exited", [TE_KILLED] = "killed", [TE_SIGNAL] = "signal",
		[TE_GROUP_STOP] = "group-stop", [TE_INTERRUPT_STOP] = "interrupt-stop",
		[TE_SYSCALL_STOP] = "syscall-stop", [TE_CLONE] = "clone", [TE_FORK] = "fork",
		[TE_VFORK] = "vfork", [TE_EXEC] = "exec", [TE_EXIT_EVENT] = "exit-event",
		[TE_UNKNOWN] = "unknown",
	};
	return e <= TE_UNKNOWN ? names[e] : "unknown";
}

bool sigtrap_from_watchpoint(int si_code, int byte_before, int byte_at)
{
	enum { ICEBP = 0xf1 };

	return si_code == TRAP_HWBKPT ||
	       (si_code == TRAP_BRKPT && byte_before != ICEBP && byte_at != ICEBP);
}
