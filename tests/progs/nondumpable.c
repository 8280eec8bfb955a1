/* nondumpable [exec|pause]: a program that makes itself non-dumpable
 * (prctl(PR_SET_DUMPABLE, 0), as ssh-agent or gpg-agent do), then forks.
 * Its memory is then out of reach of a tracer without CAP_SYS_PTRACE,
 * its fork child's too.
 *
 * Blocks, each size made by one part only: 2 MiB by the main process
 * before the prctl; 3 MiB four times by the main process while the child
 * lives (the child waits for them on a pipe); 1 MiB three times by the
 * child (or, with "exec", 1 MiB by the child exec'd as "nondumpable
 * child", dumpable again); 5 MiB by the main process once the child is
 * gone.  Each block is freed but the first and last.  With "pause", it
 * says "non-dumpable" once it is, then waits for a signal, forking
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)

static void blocks(int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		char *p = malloc(size);

		p[0] = (char)i;
		free(p);
	}
}

int main(int argc, char **argv)
{
	int ready[2], status;
	char *first, *last, c = 0;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		blocks(1, MIB);
		printf("exec'd child: made its block\n");
		return 0;
	}
	first = malloc(2 * MIB);
	first[0] = 1;
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		perror("prctl");
	if (argc > 1 && !strcmp(argv[1], "pause")) {
		printf("non-dumpable\n");
		fflush(stdout);
		return pause();
	}
	fflush(stdout);
	if (pipe(ready) || (pid = fork()) < 0)
		return 2;
	if (pid == 0) {
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			_exit(3);
		if (argc > 1 && !strcmp(argv[1], "exec")) {
			execl("/proc/self/exe", argv[0], "child", (char *)NULL);
			_exit(4);
		}
		blocks(3, MIB);
		_exit(7);
	}
	close(ready[0]);
	blocks(4, 3 * MIB);
	if (write(ready[1], &c, 1) != 1)
		return 5;
	waitpid(pid, &status, 0);
	last = malloc(5 * MIB);
	last[0] = 1;
	printf("child status %d; dumpable %d\n", WEXITSTATUS(status), prctl(PR_GET_DUMPABLE));
	return first[0] + last[0];
}
