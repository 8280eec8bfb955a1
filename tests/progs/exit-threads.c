/* exit-threads: touches a 4 MiB heap block, starts a thread that never
 * returns, and calls exit(0) while it runs: every thread ends at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *forever(void *arg)
{
	for (;;)
		pause();
	return arg;
}

int main(void)
{
	char *volatile block = malloc(4 << 20);
	pthread_t t;

	memset(block, 1, 4 << 20);
	printf("%d\n", block[12345]);
	pthread_create(&t, NULL, forever, NULL);
	usleep(50000);
	exit(0);
}
