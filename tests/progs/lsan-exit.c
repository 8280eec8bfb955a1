/* An AddressSanitizer program, whose LeakSanitizer check runs at each
 * process's exit: threads allocate, a fork child exits with a status of
 * its own, and with an argument the program leaks one 4,096-byte block.
 * Prints the calls its threads made (counted-calls.h's format is not
 * needed: they are a constant). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3
#define ROUNDS 2000

static void *volatile sink;

static void *work(void *arg)
{
	for (int i = 0; i < ROUNDS; i++)
		free(malloc(64 + i % 512));
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[WORKERS];
	int status;
	pid_t child;

	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		sink = malloc(100);
		free(sink);
		exit(5);
	}
	waitpid(child, &status, 0);
	printf("workers made %d calls; child exited %d\n", 2 * WORKERS * ROUNDS,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (argc > 1) {
		sink = malloc(4096);
		sink = NULL;
	}
	return 3;
}
