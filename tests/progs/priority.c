/* What priority the program, a child of it and its parent run at, read
 * right after a burst of allocations (when numamma's tracer, the parent
 * under numamma, drains a busy ring).
 *
 *   priority ROUNDS
 * Prints "self N", "child N" (a forked child's own) and "parent N" (the
 * nice value in /proc/PPID/stat), one a line. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile kept;     /* not optimised away */

static int parent_nice(void)
{
	char path[64];
	int nice = 99;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
	f = fopen(path, "r");
	/* pid (comm) state, then 15 numbers: the 16th is the nice value;
	 * comm has no space or ')' here (numamma, sh). */
	if (!f || fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
			 &nice) != 1)
		nice = 99;
	if (f)
		fclose(f);
	return nice;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100000, parent;
	pid_t child;

	for (int i = 0; i < rounds; i++) {
		kept = malloc(16 + i % 64);
		free(kept);
	}
	parent = parent_nice();
	printf("self %d\n", getpriority(PRIO_PROCESS, 0));
	fflush(stdout);
	child = fork();
	if (child == 0) {
		printf("child %d\n", getpriority(PRIO_PROCESS, 0));
		return 0;
	}
	waitpid(child, NULL, 0);
	printf("parent %d\n", parent);
	return 0;
}
