/* clone-vm [exec]: a child made by clone(CLONE_VM | SIGCHLD), which the
 * kernel reports as a fork, shares its parent's memory while both run,
 * as a thread would, but is a process of its own.  It calls no allocator
 * (its TLS is its parent's) and makes raw system calls only: it waits on
 * a pipe for the parent's 3 MiB blocks (100 of them, each freed), then
 * exits with 7, or with "exec" execs this program as "clone-vm child",
 * which makes one 1 MiB block.  Once the child is gone the parent makes a
 * 5 MiB block. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)

static int ready[2];
static char self[4096];
static char *child_argv[] = { self, "child", NULL };

static int child(void *exec)
{
	char c;

	syscall(SYS_read, ready[0], &c, 1);
	if (exec)
		syscall(SYS_execve, self, child_argv, NULL);
	syscall(SYS_exit, 7);
	return 7;
}

int main(int argc, char **argv)
{
	char *stack, *last;
	int status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		char *p = malloc(MIB);

		p[0] = 1;
		printf("exec'd child: made its block\n");
		return 0;
	}
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0 || pipe(ready))
		return 2;
	stack = malloc(MIB);
	pid = clone(child, stack + MIB, CLONE_VM | SIGCHLD,
		    argc > 1 && !strcmp(argv[1], "exec") ? self : NULL);
	if (pid < 0)
		return 3;
	for (int i = 0; i < 100; i++) {
		char *p = malloc(3 * MIB);

		p[0] = (char)i;
		free(p);
	}
	if (write(ready[1], "", 1) != 1 || waitpid(pid, &status, 0) != pid)
		return 4;
	last = malloc(5 * MIB);
	last[0] = 1;
	printf("child status %d\n", WEXITSTATUS(status));
	return last[0] + 1;
}
