/* ticker N: a second thread prints "tick I" every 50 ms, N times, while
 * the main thread waits for it; then "done".  For job-control tests: a
 * stopped job prints nothing, whichever thread the stop signal reached. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *tick(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		printf("tick %ld\n", i);
		fflush(stdout);
		usleep(50000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	pthread_create(&t, NULL, tick, (void *)(argc > 1 ? atol(argv[1]) : 40));
	pthread_join(t, NULL);
	printf("done\n");
	return 0;
}
