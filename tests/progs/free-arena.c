/* Each thread's first allocator call is a free (of a block main made):
 * glibc's free then sets up the thread's arena, mapping a 64 MiB heap
 * itself.  Then each maps 3 MiB itself, from a function called where the
 * free was, and frees a 4 MiB block (which glibc unmaps). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define THREADS 3
#define OWN_MAP (3 << 20)

static void *mapped[THREADS];

__attribute__((noinline)) static void *own_map(void)
{
	return mmap(NULL, OWN_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void *work(void *arg)
{
	void **slot = arg;

	free(*slot);
	*slot = own_map();
	free(malloc(4 << 20));
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++) {
		mapped[i] = malloc(64);
		pthread_create(&t[i], NULL, work, &mapped[i]);
		pthread_join(t[i], NULL);      /* one at a time: each its own first call */
	}
	for (int i = 0; i < THREADS; i++)
		munmap(mapped[i], OWN_MAP);
	printf("%d threads\n", THREADS);
	return 0;
}
