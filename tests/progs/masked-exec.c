/* "masked-exec PROGRAM ARGS...": runs PROGRAM with SIGUSR1 and SIGUSR2
 * blocked and SIGHUP ignored, as a daemon's launcher may: both survive
 * exec, and a program started so must find them as they were. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t mask;

	if (argc < 2)
		return 2;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGHUP, SIG_IGN);
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
