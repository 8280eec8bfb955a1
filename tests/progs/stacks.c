/* The main thread and 3 threads with stacks of known sizes (256K, 512K,
 * 1M), all alive at once.  Prints "rank|address of a local|stack size" per
 * thread (rank = creation order, main 0; size 0 for main: the kernel's). */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 3

static pthread_barrier_t all_alive;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

struct thread_info {
	long rank;
	size_t stack_size;
};

static void show_local(const struct thread_info *info)
{
	volatile int local = 0;

	pthread_mutex_lock(&print_lock);
	printf("%ld|%lu|%zu\n", info->rank, (unsigned long)&local, info->stack_size);
	pthread_mutex_unlock(&print_lock);
}

static void *thread_main(void *arg)
{
	show_local(arg);
	pthread_barrier_wait(&all_alive);
	return NULL;
}

int main(void)
{
	struct thread_info info[NTHREADS + 1] = { { 0, 0 } };
	pthread_t th[NTHREADS];
	pthread_attr_t attr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	show_local(&info[0]);
	pthread_barrier_init(&all_alive, NULL, NTHREADS);
	for (int i = 1; i <= NTHREADS; i++) {
		info[i] = (struct thread_info){ i, (size_t)128 * 1024 << i };
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, info[i].stack_size);
		pthread_create(&th[i - 1], &attr, thread_main, &info[i]);
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
