/* spawn-calls HOW ROUNDS: ROUNDS times, starts /bin/true with HOW (spawn:
 * posix_spawn, vfork: vfork then exec) and at once, while the child
 * execs, makes 2,000 malloc/free pairs in after_spawn(), then waits for
 * the child.  Prints the calls it made. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *volatile keep;
static unsigned long calls;

static __attribute__((noinline)) void after_spawn(void)
{
	for (int i = 0; i < 2000; i++) {
		keep = malloc(100 + (size_t)(i % 50));
		free(keep);
		calls += 2;
	}
}

static pid_t start(const char *how)
{
	char *argv[] = { "/bin/true", NULL };
	pid_t pid;

	if (!strcmp(how, "spawn"))
		return posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) ? -1 : pid;
	pid = vfork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 10;

	if (argc < 2)
		return 2;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = start(argv[1]);

		after_spawn();
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	printf("calls %lu\n", calls);
	return 0;
}
