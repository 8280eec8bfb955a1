/* affinity: prints how many cpus the main thread may run on before it
 * starts a thread (what OpenMP sizes its pool from), then, for the main
 * thread and the new one, how many each may run on. */
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

	printf("start %d ", allowed());
	pthread_create(&t, NULL, thread, &worker);
	pthread_join(t, NULL);
	printf("main %d worker %d\n", allowed(), worker);
	return 0;
}
