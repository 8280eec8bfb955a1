/* A parent that spends its time waiting in vfork: N times, it vforks a
 * child that sleeps (a raw nanosleep, no libc state touched) before
 * _exit.  Touches FILE once it runs, prints "vforks N" at the end, exits
 * 0 when every child exited 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, bad = 0;
	struct timespec nap = { 0, 200 * 1000 * 1000 };

	if (argc > 2)
		fclose(fopen(argv[2], "w"));
	for (int i = 0; i < n; i++) {
		int status;
		pid_t pid = vfork();

		if (pid == 0) {
			syscall(SYS_nanosleep, &nap, NULL);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad++;
	}
	printf("vforks %d\n", n - bad);
	return bad != 0;
}
