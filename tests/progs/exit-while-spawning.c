/* The main thread exits while 3 others make threads without a pause:
 * exit_group kills a thread between its clone and the creation's event.
 *
 *   exit-while-spawning [MILLISECONDS]     (30)
 * Prints "exiting" and exits 0 after MILLISECONDS. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SPAWNERS 3

static void *leaf(void *arg)
{
	return arg;
}

static void *spawner(void *arg)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_t t;

		pthread_create(&t, &attr, leaf, NULL);
	}
	return arg;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 30;
	struct timespec pause = { ms / 1000, ms % 1000 * 1000000L };
	pthread_t t;

	for (int i = 0; i < SPAWNERS; i++)
		pthread_create(&t, NULL, spawner, NULL);
	nanosleep(&pause, NULL);
	printf("exiting\n");
	fflush(stdout);
	exit(0);
}
