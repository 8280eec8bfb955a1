/* fork-exec HOW: the parent allocates, starts a child with HOW (fork,
 * vfork, spawn = posix_spawn, or fork-true = fork then exec /bin/true) and
 * prints its exit status.  A child made by fork allocates before exec; the
 * program exec'd again ("fork-exec exec'd") allocates and exits 7.
 * Sizes: parent 1111, child before exec 2222, after exec 3333; the
 * parent again once the child is done, 4444 (a posix_spawn child ran on
 * a stack of its own: the parent's walks must find theirs). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *volatile keep;

static __attribute__((noinline)) void parent_alloc(void) { keep = malloc(1111); }
static __attribute__((noinline)) void child_alloc(void) { keep = malloc(2222); }
static __attribute__((noinline)) void after_exec(void) { keep = malloc(3333); }
/* From frames over several pages of the stack, as a walk must cross. */
static __attribute__((noinline)) void parent_after(int depth)
{
	volatile char page[1024];

	page[0] = (char)depth;
	if (depth)
		parent_after(depth - 1);
	else
		keep = malloc(4444);
	page[1] = page[0];
}

static pid_t start_child(const char *how, char *self)
{
	char *again[] = { self, "exec'd", NULL };
	pid_t pid;

	if (strcmp(how, "spawn") == 0) {
		if (posix_spawn(&pid, self, NULL, NULL, again, environ) != 0)
			return -1;
		return pid;
	}
	if (strcmp(how, "vfork") == 0) {
		pid = vfork();
		if (pid == 0) {
			execv(self, again);
			_exit(127);
		}
		return pid;
	}
	pid = fork();
	if (pid == 0) {
		child_alloc();
		if (strcmp(how, "fork-true") == 0)
			execl("/bin/true", "true", (char *)NULL);
		else
			execv(self, again);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "exec'd") == 0) {
		after_exec();
		printf("exec'd child allocated\n");
		return 7;
	}
	parent_alloc();
	pid = start_child(argv[1], argv[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("child");
		return 1;
	}
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	parent_after(12);
	return 0;
}
