/* A program that traces, as a debugger does: numamma must let the
 * process to be traced go (tracer.c), or the call fails under it.
 *   ptracer traceme   a fork child asks to be traced (PTRACE_TRACEME, as
 *                     gdb's inferior), then execs /bin/true: stopped at
 *                     the exec (SIGTRAP), continued, exits 0
 *   ptracer syscall   the same through syscall(SYS_ptrace, ...)
 *   ptracer vfork     the same from a vfork child (gdb's way), which
 *                     shares its parent's memory until its exec
 *   ptracer attach    the parent attaches to a running fork child
 *                     (PTRACE_ATTACH), sees it stop, detaches
 *   ptracer seize     the same with PTRACE_SEIZE and PTRACE_INTERRUPT
 *   ptracer self      the program itself asks to be traced (a check for a
 *                     debugger): its parent becomes its tracer
 *   ptracer self-signal  the same, then a signal it handles: alone its
 *                     parent, its tracer now, sees it stop (a shell leaves
 *                     it stopped); numamma, its parent, lets it run on
 * Each step prints what it saw; both sides allocate, so that the profile
 * has the parent's calls. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void churn(int n)
{
	for (int i = 0; i < n; i++)
		free(malloc(64 + i % 512));
}

static const char *status_text(int status)
{
	static char s[64];

	if (WIFEXITED(status))
		snprintf(s, sizeof(s), "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s, sizeof(s), "killed by %s", strsignal(WTERMSIG(status)));
	else if (WIFSTOPPED(status))
		snprintf(s, sizeof(s), "stopped by %s%s", strsignal(WSTOPSIG(status)),
			 status >> 16 == PTRACE_EVENT_STOP ? " (event stop)" : "");
	else
		snprintf(s, sizeof(s), "status %#x", status);
	return s;
}

enum how { BY_FORK, BY_SYSCALL, BY_VFORK };

static int traceme(enum how how)
{
	pid_t child = how == BY_VFORK ? vfork() : fork();
	int status;

	if (child == 0) {
		long r = how == BY_SYSCALL ? syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0)
					   : ptrace(PTRACE_TRACEME, 0, 0, 0);

		if (how != BY_VFORK)
			churn(100);
		if (r < 0)
			_exit(3);
		execl("/bin/true", "true", (char *)NULL);
		_exit(4);
	}
	waitpid(child, &status, 0);
	printf("child at its exec: %s\n", status_text(status));
	if (WIFSTOPPED(status))
		ptrace(PTRACE_CONT, child, 0, 0);
	waitpid(child, &status, 0);
	printf("child then: %s\n", status_text(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int attach(int seize)
{
	int ready[2], go[2], status;
	char byte;
	pid_t child;

	if (pipe(ready) || pipe(go))
		return 2;
	child = fork();
	if (child == 0) {
		churn(100);
		write(ready[1], "r", 1);
		while (read(go[0], &byte, 1) < 0)
			;                       /* a stop's EINTR */
		churn(100);
		_exit(7);
	}
	read(ready[0], &byte, 1);
	if (seize ? ptrace(PTRACE_SEIZE, child, 0, 0) || ptrace(PTRACE_INTERRUPT, child, 0, 0)
		  : ptrace(PTRACE_ATTACH, child, 0, 0)) {
		perror(seize ? "ptrace(PTRACE_SEIZE)" : "ptrace(PTRACE_ATTACH)");
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		return 1;
	}
	waitpid(child, &status, 0);
	printf("child after the %s: %s\n", seize ? "seize" : "attach", status_text(status));
	if (ptrace(PTRACE_DETACH, child, 0, 0))
		perror("ptrace(PTRACE_DETACH)");
	write(go[1], "g", 1);
	waitpid(child, &status, 0);
	printf("child then: %s\n", status_text(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	write(1, "SIGUSR1 handled\n", 16);
}

static int self(int signal_after)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0)) {
		perror("ptrace(PTRACE_TRACEME)");
		return 1;
	}
	printf("traced by its parent\n");
	if (signal_after) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "traceme";
	int r;

	setvbuf(stdout, NULL, _IONBF, 0);
	churn(1000);
	if (!strcmp(mode, "traceme"))
		r = traceme(BY_FORK);
	else if (!strcmp(mode, "syscall"))
		r = traceme(BY_SYSCALL);
	else if (!strcmp(mode, "vfork"))
		r = traceme(BY_VFORK);
	else if (!strcmp(mode, "attach") || !strcmp(mode, "seize"))
		r = attach(!strcmp(mode, "seize"));
	else if (!strcmp(mode, "self") || !strcmp(mode, "self-signal"))
		r = self(!strcmp(mode, "self-signal"));
	else
		return 2;
	churn(1000);
	return r;
}
