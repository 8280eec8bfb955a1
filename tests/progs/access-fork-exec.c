/* Ground truth for samples across fork and exec: the parent writes its
 * array of 3 MiB; a forked child writes its own array of 5 MiB, then
 * execs PROGRAM ARGS (access-blocks, whose array is of another size).
 * Each array is written by one process only, so a sample on it belongs to
 * that process, and after the exec, to the new program's code.
 *
 *   access-fork-exec SECONDS PROGRAM [ARGS...]
 * Prints "child exited N" after PROGRAM's own output. */
#include "access-common.h"    /* first: it defines _GNU_SOURCE */
#include <string.h>
#include <sys/wait.h>

#define PARENT_BYTES (3 << 20)
#define CHILD_BYTES (5 << 20)

/* Writes a fresh array of bytes for seconds. */
static void write_array(size_t bytes, double seconds)
{
	struct block b = { .words = malloc(bytes), .bytes = bytes, .seconds = seconds };

	memset(b.words, 0, bytes);
	block_writer(&b);
	free(b.words);
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[1]) : 0;
	int status;
	pid_t pid;

	if (seconds <= 0) {
		fprintf(stderr, "usage: %s SECONDS PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		write_array(CHILD_BYTES, seconds);
		execv(argv[2], argv + 2);
		_exit(127);
	}
	write_array(PARENT_BYTES, seconds);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("child");
		return 1;
	}
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
