/* See include/exitstop.h.  The tracee is the main thread alone: the only
 * stops it reports are its exit, its execs where asked, the signals it is
 * sent (restarted with the same signal) and group stops (PTRACE_LISTEN
 * keeps it stopped, as without a tracer, until SIGCONT). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exitstop.h"
#include "waitstatus.h"

int exitstop_seize(pid_t pid, bool execs)
{
	long options = PTRACE_O_TRACEEXIT | (execs ? PTRACE_O_TRACEEXEC : 0);

	return (int)ptrace(PTRACE_SEIZE, pid, NULL, (void *)options);
}

/* Whether numamma runs in the terminal's foreground: job control is then
 * the shell's, which continues the whole group on `fg`. */
static bool in_foreground(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			return tcgetpgrp(fd) == getpgrp();
	return false;
}

/* Ctrl-Z stopped the program: numamma, which ignores the terminal's stop
 * signals (the program must get them first), stops too, so that the shell
 * sees the job stopped and its `fg` resumes both.  Outside job control no
 * one would continue numamma, and the program would wait at its exit. */
static void follow_terminal_stop(int sig)
{
	if ((sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) && in_foreground())
		kill(getpid(), SIGSTOP);
}

/* Restarts the tracee after one stop.  ESRCH is the race of a tracee
 * killed meanwhile (SIGKILL), not an error: its end is reported next. */
static void restart(pid_t pid, int status, const struct exitstop_hooks *h)
{
	long ret;

	switch (classify_wait_status(status)) {
	case TE_EXIT_EVENT:
		h->at_exit(pid, h->arg);
		ret = ptrace(PTRACE_CONT, pid, NULL, NULL);
		break;
	case TE_EXEC:
		if (h->at_exec)
			h->at_exec(pid, h->arg);
		ret = ptrace(PTRACE_CONT, pid, NULL, NULL);
		break;
	case TE_SIGNAL:
		ret = ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(status));
		break;
	case TE_GROUP_STOP:
		ret = ptrace(PTRACE_LISTEN, pid, NULL, NULL);
		follow_terminal_stop(WSTOPSIG(status));
		break;
	default:
		ret = ptrace(PTRACE_CONT, pid, NULL, NULL);
		break;
	}
	if (ret < 0 && errno != ESRCH)
		warning("cannot restart process %d: %s", (int)pid, strerror(errno));
}

int exitstop_wait(pid_t pid, bool seized, const struct exitstop_hooks *h)
{
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, seized ? __WALL : 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die_errno("cannot wait for process %d", (int)pid);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return status;
		restart(pid, status, h);
	}
}
