/* Ground truth for thread-local variables: NTHREADS workers and the main
 * thread each sum and write their own copy of a thread-local array for
 * SECONDS (plain C: the compiler's own fs-relative accesses), after one
 * allocation each, as programs make before their work.
 *
 *   access-tls-threads [NTHREADS [SECONDS [fork]]]    (2 1)
 * Prints "tls TID ADDRESS BYTES" of each thread's copy.  With "fork", a
 * forked child does all that while its parent waits. */
#include "access-common.h"    /* first: it defines _GNU_SOURCE */
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

#define WORDS 32768           /* 256 KiB */

static __thread uint64_t tls_array[WORDS];
static double seconds = 1;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
	uint64_t end = now_ns() + seconds * 1e9, sum = 0;
	void *keep = malloc(64);

	(void)arg;
	do {
		for (size_t i = 0; i < WORDS; i++) {
			sum += tls_array[i];
			tls_array[i] = sum ^ i;
		}
	} while (now_ns() < end);
	pthread_mutex_lock(&out_lock);
	printf("tls %d %" PRIuPTR " %zu\n", (int)gettid(), (uintptr_t)tls_array, sizeof(tls_array));
	pthread_mutex_unlock(&out_lock);
	free(keep);
	return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2;
	pthread_t t[MAX_THREADS];

	seconds = argc > 2 ? atof(argv[2]) : 1;
	if (n < 0 || n > MAX_THREADS) {
		fprintf(stderr, "usage: %s [NTHREADS [SECONDS]]\n", argv[0]);
		return 2;
	}
	if (argc > 3 && !strcmp(argv[3], "fork")) {
		pid_t child = fork();
		int status;

		if (child < 0)
			return 1;
		if (child > 0)
			return waitpid(child, &status, 0) == child && WIFEXITED(status) ?
				WEXITSTATUS(status) : 1;
	}
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, work, NULL);
	work(NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
