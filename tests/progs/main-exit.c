/* main-exit: the main thread calls pthread_exit; a worker allocates every
 * 50 ms for 3 s, then prints "worker done" and exits 0.  Its main thread
 * is a zombie while the process lives. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *run(void *arg)
{
	for (int i = 0; i < 60; i++) {
		void *volatile p = malloc(100 + i);

		free(p);
		usleep(50000);
	}
	printf("worker done\n");
	exit(0);
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, run, NULL);
	pthread_exit(NULL);
}
