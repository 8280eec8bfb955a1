/* A long-running multi-threaded program that checks its own data all the
 * time, for attaching to and detaching from while it runs.
 *
 *   attach-worker [-t THREADS] [-s SECONDS] [-f STOPFILE] [-r READYFILE] [-c] [-a USEC]
 *
 * Each worker allocates blocks of varied sizes with every allocator, fills
 * them with a pattern, moves them with realloc and checks them before
 * freeing them.  Every thread also checks a static table and a heap block
 * allocated before the workers start (objects that exist before an
 * attach).  -c adds a thread that creates and joins short-lived threads
 * all the time.  SIGUSR1 is counted by a handler.  -a raises SIGALRM every
 * USEC microseconds, whose handler makes a system call (signals that land
 * while numamma injects one).
 *
 * It runs until SECONDS have passed or STOPFILE exists, writes READYFILE
 * (with the early block's address) once every thread runs, then prints "threads N signals S errors E" and
 * exits 0 iff no check failed and every worker made progress. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define TABLE_WORDS 4096
#define EARLY_WORDS (1 << 17)          /* a 1 MiB block from before the attach */

static uint64_t table[TABLE_WORDS];
static uint64_t *early_block;
static atomic_int signals, errors, stop, churned, alarms;
static atomic_long progress[MAX_THREADS];

static uint64_t pattern(uint64_t seed, size_t i)
{
	return (seed + i) * 0x9e3779b97f4a7c15ULL;
}

static void fill(uint64_t *w, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		w[i] = pattern(seed, i);
}

static int check(const uint64_t *w, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] != pattern(seed, i))
			return -1;
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "attach-worker: check failed: %s\n", what);
	atomic_fetch_add(&errors, 1);
}

static void check_shared(void)
{
	if (check(table, TABLE_WORDS, 1))
		fail("static table");
	if (check(early_block, EARLY_WORDS, 2))
		fail("early heap block");
}

/* One round of every allocator on one block of n words. */
static void one_round(unsigned *rng, uint64_t seed)
{
	size_t n = 2 + rand_r(rng) % (rand_r(rng) % 8 ? 512 : 40000);
	uint64_t *w = malloc(n * sizeof(*w)), *z;
	void *a;

	fill(w, n, seed);
	w = realloc(w, 2 * n * sizeof(*w));
	if (!w || check(w, n, seed))
		fail("realloc kept the data");
	fill(w + n, n, seed + n);
	z = calloc(n, sizeof(*z));
	for (size_t i = 0; z && i < n; i++)
		if (z[i])
			fail("calloc zeroed");
	if (posix_memalign(&a, 64, n * sizeof(uint64_t)) || ((uintptr_t)a & 63))
		fail("posix_memalign");
	memcpy(a, w, n * sizeof(*w));
	if (check(a, n, seed) || check(w + n, n, seed + n))
		fail("block contents");
	free(a);
	free(z);
	free(w);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	unsigned rng = (unsigned)id * 7919;

	while (!atomic_load(&stop)) {
		one_round(&rng, (uint64_t)id << 32 | progress[id]);
		if (progress[id] % 64 == 0)
			check_shared();
		atomic_fetch_add(&progress[id], 1);
	}
	return NULL;
}

static void *short_lived(void *arg)
{
	unsigned rng = (unsigned)(long)arg;

	one_round(&rng, (uint64_t)(long)arg);
	return NULL;
}

/* Threads that are born and die while numamma attaches and detaches. */
static void *churner(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t th;

		if (pthread_create(&th, NULL, short_lived, (void *)(long)atomic_load(&churned))) {
			fail("pthread_create");
			break;
		}
		pthread_join(th, NULL);
		atomic_fetch_add(&churned, 1);
	}
	return NULL;
}

static void on_usr1(int sig)
{
	atomic_fetch_add(&signals, 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* READYFILE holds the early block's address, for the tests to find it in
 * a profile; it appears whole (rename) once every thread runs. */
static void write_ready(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%lu\n", (unsigned long)(uintptr_t)early_block) < 0 ||
	    fclose(f) || rename(tmp, path))
		fail("ready file");
}

static void on_alarm(int sig)
{
	(void)sig;
	getppid();
	atomic_fetch_add(&alarms, 1);
}

static void start_alarms(long usec)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval every = { { 0, usec }, { 0, usec } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	const char *stopfile = NULL, *readyfile = NULL;
	pthread_t th[MAX_THREADS], churn;
	double seconds = 5, end;
	int nthreads = 4, with_churn = 0, c;
	long alarm_usec = 0;

	while ((c = getopt(argc, argv, "t:s:f:r:ca:")) != -1) {
		switch (c) {
		case 't': nthreads = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'f': stopfile = optarg; break;
		case 'r': readyfile = optarg; break;
		case 'c': with_churn = 1; break;
		case 'a': alarm_usec = atol(optarg); break;
		default: return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		return 2;
	sigaction(SIGUSR1, &sa, NULL);
	fill(table, TABLE_WORDS, 1);
	early_block = malloc(EARLY_WORDS * sizeof(uint64_t));
	fill(early_block, EARLY_WORDS, 2);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	if (with_churn)
		pthread_create(&churn, NULL, churner, NULL);
	if (alarm_usec > 0)
		start_alarms(alarm_usec);
	if (readyfile)
		write_ready(readyfile);
	end = now() + seconds;
	while (now() < end && !(stopfile && access(stopfile, F_OK) == 0)) {
		usleep(10000);         /* interrupted by SIGUSR1: fine */
		check_shared();
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		if (progress[i] == 0)
			fail("a worker made no progress");
	}
	if (with_churn)
		pthread_join(churn, NULL);
	free(early_block);
	printf("threads %d signals %d errors %d\n", nthreads, atomic_load(&signals),
	       atomic_load(&errors));
	fprintf(stderr, "attach-worker: %ld rounds in worker 0, %d short-lived threads, %d alarms\n",
		(long)progress[0], atomic_load(&churned), atomic_load(&alarms));
	return atomic_load(&errors) ? 1 : 0;
}
