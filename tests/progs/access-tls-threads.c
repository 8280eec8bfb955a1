/* Ground truth for thread-local variables: NTHREADS workers and the main
 * thread each sum and write their own copy of tls-library.c's thread-local
 * array for SECONDS (plain C: the compiler's own accesses), after one
 * allocation each, as programs make before their work; built with
 * -DTLS_LIBRARY, the array and its code are a shared library's.
 *
 *   access-tls-threads [NTHREADS [SECONDS [fork]]]    (2 1)
 * Prints "tls TID ADDRESS BYTES" of each thread's copy.  With "fork", a
 * forked child does all that while its parent waits. */
#include "access-common.h"    /* first: it defines _GNU_SOURCE */
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

#ifdef TLS_LIBRARY
uint64_t tls_work(double seconds);
void *tls_copy(size_t *bytes);
#else
#include "tls-library.c"
#endif

static double seconds = 1;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
	void *keep = malloc(64);
	uint64_t sum = tls_work(seconds);
	size_t bytes;
	void *copy = tls_copy(&bytes);

	(void)arg;
	pthread_mutex_lock(&out_lock);
	printf("tls %d %" PRIuPTR " %zu\n", (int)gettid(), (uintptr_t)copy, bytes);
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
