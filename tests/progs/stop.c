/* stop SIG child: raise SIG (SIGSTOP or SIGTSTP), continued by a child
 *   that sends SIGCONT while we are stopped, until we say we resumed.
 * stop SIG self: print our pid, raise SIG and wait for someone else
 *   (the test) to send SIGCONT.
 * Then allocate and print "resumed". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

static int is_stopped(pid_t pid)
{
	char path[64], buf[512], *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	state = strrchr(buf, ')');
	return state && (state[2] == 'T' || state[2] == 't');
}

/* Send SIGCONT whenever the parent is seen stopped, until it writes to the
 * pipe that it resumed. */
static void continue_parent(int resumed_fd)
{
	pid_t parent = getppid();
	struct pollfd pfd = { .fd = resumed_fd, .events = POLLIN };

	for (int tries = 0; tries < 300 && poll(&pfd, 1, 50) == 0; tries++)
		if (is_stopped(parent))
			kill(parent, SIGCONT);
	_exit(0);
}

int main(int argc, char **argv)
{
	int sig, resumed[2];
	pid_t child = -1;

	if (argc != 3)
		return 2;
	sig = atoi(argv[1]);
	if (strcmp(argv[2], "child") == 0) {
		if (pipe(resumed) != 0)
			return 1;
		child = fork();
		if (child == 0)
			continue_parent(resumed[0]);
	} else {
		printf("%d\n", getpid());
		fflush(stdout);
	}
	raise(sig);
	free(malloc(999));
	if (child > 0) {
		if (write(resumed[1], "", 1) != 1 || waitpid(child, NULL, 0) != child)
			return 1;
	}
	printf("resumed after signal %d\n", sig);
	return 0;
}
