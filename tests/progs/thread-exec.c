/* A non-main thread calls execve while the main thread allocates: the
 * exec'd image ("thread-exec PID") runs with the same pid, allocates 7777
 * bytes and says whether its pid is the one it was given. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *self;
static void *volatile kept;

static __attribute__((noinline)) void after_exec(void) { kept = malloc(7777); }

static void *exec_from_thread(void *arg)
{
	char pid[32];

	free(malloc(5555));
	snprintf(pid, sizeof(pid), "%d", getpid());
	execl(self, self, pid, (char *)NULL);
	perror("execl");
	exit(1);
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc == 2) {
		after_exec();
		printf("exec'd image, same pid: %s\n",
		       atoi(argv[1]) == getpid() ? "yes" : "no");
		return 0;
	}
	self = argv[0];
	pthread_create(&th, NULL, exec_from_thread, NULL);
	for (;;)
		free(malloc(100));
}
