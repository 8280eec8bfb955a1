/* affinity: starts a thread and prints, for the main thread and the new
 * one, how many cpus each may run on. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static int allowed(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? -1 : CPU_COUNT(&set);
}

static void *thread(void *arg)
{
	*(int *)arg = allowed();
	return NULL;
}

int main(void)
{
	pthread_t t;
	int worker = 0;

	pthread_create(&t, NULL, thread, &worker);
	pthread_join(t, NULL);
	printf("main %d worker %d\n", allowed(), worker);
	return 0;
}
