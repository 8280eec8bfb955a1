/* die exit N: exit with status N.  die signal N: kill itself with signal N
 * (abort() for SIGABRT), from a second thread when a third argument is
 * given, after allocating. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile kept;

static void *kill_self(void *arg)
{
	int sig = (int)(long)arg;

	kept = malloc(64);
	if (sig == SIGABRT)
		abort();
	kill(getpid(), sig);
	pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int n;

	if (argc < 3)
		return 2;
	n = atoi(argv[2]);
	if (strcmp(argv[1], "exit") == 0) {
		kept = malloc(32);
		exit(n);
	}
	if (argc > 3) {
		pthread_create(&th, NULL, kill_self, (void *)(long)n);
		pthread_join(th, NULL);
	}
	kill_self((void *)(long)n);
	return 1;
}
