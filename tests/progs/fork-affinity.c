/* Forks three children one after another, each reporting the cpus it may
 * run on (what numamma run's pin-child lines set): the first also from a
 * thread it starts, the second from a grandchild it forks, the third
 * alone.  Exits with status 4 when every child did.
 *
 *   child 1: CPUS / child 1 thread: CPUS / child 2: CPUS /
 *   grandchild: CPUS / child 3: CPUS */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* "0-1", "1", "0,2": the calling thread's cpus as a list. */
static void print_cpus(const char *who)
{
	cpu_set_t set;
	int first = -1, any = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		perror("sched_getaffinity");
		exit(1);
	}
	printf("%s: ", who);
	for (int c = 0; c <= CPU_SETSIZE; c++) {
		int in = c < CPU_SETSIZE && CPU_ISSET(c, &set);

		if (in && first < 0)
			first = c;
		if (!in && first >= 0) {
			printf(first == c - 1 ? "%s%d" : "%s%d-%d", any ? "," : "", first, c - 1);
			any = 1;
			first = -1;
		}
	}
	printf("\n");
	fflush(stdout);
}

static void *thread_main(void *arg)
{
	print_cpus(arg);
	return NULL;
}

static int wait_for(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void child(int k)
{
	pthread_t th;
	pid_t pid;

	print_cpus(k == 1 ? "child 1" : k == 2 ? "child 2" : "child 3");
	if (k == 1 && (pthread_create(&th, NULL, thread_main, "child 1 thread") ||
		       pthread_join(th, NULL)))
		_exit(1);
	if (k == 2) {
		pid = fork();
		if (pid == 0) {
			print_cpus("grandchild");
			_exit(0);
		}
		_exit(pid < 0 || !wait_for(pid));
	}
	_exit(0);
}

int main(void)
{
	int ok = 1;

	for (int k = 1; k <= 3; k++) {
		pid_t pid = fork();

		if (pid == 0)
			child(k);
		ok &= pid > 0 && wait_for(pid);
	}
	return ok ? 4 : 1;
}
