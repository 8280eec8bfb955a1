/* Allocates a known number of times and says how many, for checking
 * callsite_totals against the program's own count.
 *
 *   count-storm threads N ITER   N threads, ITER rounds of malloc, calloc,
 *                                realloc and free each (3 blocks a round)
 *   count-storm fork K ITER      K forked children, ITER malloc+free each
 *   count-storm vfork K ITER     the same with vfork (the child allocates
 *                                in its parent's memory, then _exits)
 *   count-storm inherit K ITER   ITER blocks (every 100th of 2 MiB: above
 *                                --min-object-size) and ITER / 50 + 1 mappings,
 *                                then K forked children that each free and
 *                                unmap them all, then the parent
 *   count-storm crowd N ITER     N threads alive at once (small stacks), each
 *                                with ITER blocks allocated, then freed
 *   count-storm until FILE       malloc+free rounds in main until FILE exists
 *   count-storm burst MS ITER    ITER malloc+free rounds in main, then MS
 *                                milliseconds asleep before it exits
 *   count-storm faults ITER      2,000 malloc+free rounds in main, 200 ms
 *                                asleep, then ITER rounds: prints the page
 *                                faults these took (as many natively as
 *                                their blocks need: none)
 *   count-storm signal ITER      ITER malloc+free rounds in main while a
 *                                1 kHz timer's handler maps and unmaps a
 *                                page (mmap is async-signal-safe, malloc
 *                                is not: it would deadlock natively), then
 *                                10 more signals while main allocates nothing
 *
 * Prints what it did; exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static long iterations;
static atomic_long allocs, frees, handled;
static char *volatile sink;

static __attribute__((noinline)) void storm_alloc(unsigned seed)
{
	for (long i = 0; i < iterations; i++) {
		size_t size = 16 + (size_t)((seed = seed * 1103515245 + 12345) >> 8) % 8000;
		char *a = malloc(size), *b = calloc(1, size / 2 + 1);

		a[0] = b[0] = 1;
		a = realloc(a, size * 2);
		sink = a;
		free(a);
		free(b);
	}
	/* Blocks made and released: realloc releases one and makes one. */
	atomic_fetch_add(&allocs, 3 * iterations);
	atomic_fetch_add(&frees, 3 * iterations);
}

static void *worker(void *arg)
{
	storm_alloc((unsigned)(uintptr_t)arg);
	return NULL;
}

static void threads(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));

	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	printf("allocations %ld frees %ld\n", atomic_load(&allocs), atomic_load(&frees));
}

static pthread_barrier_t crowd_barrier;

static __attribute__((noinline)) void *crowd_member(void *arg)
{
	char *blocks[16];
	long n = iterations < 16 ? iterations : 16;

	for (long i = 0; i < n; i++)
		blocks[i] = malloc(32 + i);
	pthread_barrier_wait(&crowd_barrier);
	for (long i = 0; i < n; i++)
		free(blocks[i]);
	return arg;
}

static void crowd(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	pthread_attr_t attr;
	int made = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	pthread_barrier_init(&crowd_barrier, NULL, n + 1);
	for (; made < n && !pthread_create(&t[made], &attr, crowd_member, NULL); made++)
		;
	if (made < n) {
		/* The barrier waits for n: say so and leave at once. */
		printf("only %d threads\n", made);
		exit(1);
	}
	pthread_barrier_wait(&crowd_barrier);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("crowd %d allocations %ld each\n", n, iterations < 16 ? iterations : 16);
}

static __attribute__((noinline)) void child_alloc(void)
{
	for (long i = 0; i < iterations; i++) {
		sink = malloc(100 + i % 1000);
		free(sink);
	}
}

static void children(int k, int use_vfork)
{
	for (int i = 0; i < k; i++) {
		pid_t pid = use_vfork ? vfork() : fork();
		int status;

		if (pid == 0) {
			child_alloc();
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			printf("child %d failed\n", i);
	}
	printf("%s children %d allocations %ld each\n", use_vfork ? "vfork" : "fork", k, iterations);
}

static __attribute__((noinline)) void *inherit_alloc(long i)
{
	return malloc(i % 100 ? 16 + (size_t)i % 1000 : 2 << 20);
}

static __attribute__((noinline)) void *inherit_map(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void free_all(void **v, void **maps)
{
	for (long i = 0; i < iterations; i++)
		free(v[i]);
	for (long i = 0; i < iterations / 50 + 1; i++)
		munmap(maps[i], 4096);
}

static void inherit(int k)
{
	void **v = calloc(iterations, sizeof(*v)), **maps = calloc(iterations / 50 + 1, sizeof(*v));

	if (!v || !maps)
		exit(1);
	for (long i = 0; i < iterations; i++)
		v[i] = inherit_alloc(i);
	for (long i = 0; i < iterations / 50 + 1; i++)
		maps[i] = inherit_map();
	for (int i = 0; i < k; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			free_all(v, maps);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			printf("child %d failed\n", i);
	}
	free_all(v, maps);
	free(v);
	free(maps);
	printf("inherit children %d allocations %ld frees %ld maps %ld each\n", k, iterations,
	       iterations, iterations / 50 + 1);
}

static __attribute__((noinline)) void handler_alloc(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
}

static void on_alarm(int sig)
{
	handler_alloc();
	atomic_fetch_add(&handled, 1);
}

static __attribute__((noinline)) void main_alloc(void)
{
	for (long i = 0; i < iterations; i++) {
		sink = malloc(200 + i % 5000);
		free(sink);
	}
}

static void until(const char *path)
{
	long rounds = 0;

	iterations = 1000;
	while (access(path, F_OK)) {
		main_alloc();
		rounds += iterations;
	}
	printf("until: %ld rounds\n", rounds);
}

static void burst(int ms)
{
	main_alloc();
	usleep((useconds_t)ms * 1000);
	printf("burst: %ld rounds, then %d ms asleep\n", iterations, ms);
}

static long minor_faults(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_minflt;
}

static void faults_after_pause(void)
{
	long rounds = iterations, before;

	iterations = 2000;
	main_alloc();
	usleep(200 * 1000);
	iterations = rounds;
	before = minor_faults();
	main_alloc();
	printf("faults: %ld in %ld rounds\n", minor_faults() - before, rounds);
}

static void with_signals(void)
{
	struct itimerval every = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	long before;

	setitimer(ITIMER_REAL, &every, NULL);
	main_alloc();
	while (atomic_load(&handled) < 20)
		main_alloc();
	/* Then 10 signals that find main outside any allocator call. */
	for (before = atomic_load(&handled); atomic_load(&handled) < before + 10;)
		;
	setitimer(ITIMER_REAL, &off, NULL);
	/* The handler's count varies: it goes to stderr, the rest must match. */
	fprintf(stderr, "handled %ld\n", atomic_load(&handled));
	printf("main done\n");
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	iterations = atol(argv[argc - 1]);
	if (!strcmp(argv[1], "threads") && argc == 4)
		threads(atoi(argv[2]));
	else if ((!strcmp(argv[1], "fork") || !strcmp(argv[1], "vfork")) && argc == 4)
		children(atoi(argv[2]), argv[1][0] == 'v');
	else if (!strcmp(argv[1], "inherit") && argc == 4)
		inherit(atoi(argv[2]));
	else if (!strcmp(argv[1], "crowd") && argc == 4)
		crowd(atoi(argv[2]));
	else if (!strcmp(argv[1], "until") && argc == 3)
		until(argv[2]);
	else if (!strcmp(argv[1], "burst") && argc == 4)
		burst(atoi(argv[2]));
	else if (!strcmp(argv[1], "faults") && argc == 3)
		faults_after_pause();
	else if (!strcmp(argv[1], "signal"))
		with_signals();
	else
		return 2;
	return 0;
}
