/* Threads that come and go while others allocate: 4 allocator threads
 * (ranks 1-4) each make 2000 allocations of 100 + rank bytes while main
 * starts 50 short-lived threads (ranks 5-54), each allocating 50000 + k
 * bytes (k = 0..49) once and exiting at once, half of them detached and
 * half by pthread_exit from a nested call. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NALLOCATORS 4
#define PER_ALLOCATOR 2000
#define NSHORT 50

static __attribute__((noinline)) void *allocate(size_t n) { return malloc(n); }

static void *allocator(void *arg)
{
	size_t n = 100 + (size_t)(long)arg;

	for (int i = 0; i < PER_ALLOCATOR; i++)
		free(allocate(n));
	return NULL;
}

static void leave_now(void) { pthread_exit(NULL); }

static void *short_lived(void *arg)
{
	long k = (long)arg;

	free(allocate(50000 + k));
	if (k % 2)
		leave_now();
	return NULL;
}

int main(void)
{
	pthread_t allocators[NALLOCATORS], th;
	pthread_attr_t detached;

	for (long r = 0; r < NALLOCATORS; r++)
		pthread_create(&allocators[r], NULL, allocator, (void *)(r + 1));
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	for (long k = 0; k < NSHORT; k++) {
		if (k % 2) {
			pthread_create(&th, NULL, short_lived, (void *)k);
			pthread_join(th, NULL);
		} else {
			pthread_create(&th, &detached, short_lived, (void *)k);
		}
	}
	for (int r = 0; r < NALLOCATORS; r++)
		pthread_join(allocators[r], NULL);
	printf("done\n");
	pthread_exit(NULL);	/* detached threads may still run: they finish */
}
