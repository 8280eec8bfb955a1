/* A main thread that waits in ppoll() with a temporary signal mask (SIGUSR2
 * blocked only while it waits) and checks, after each wait, that its own
 * mask is back to what it was: a tracer that changes a thread's mask while
 * it is inside such a call must not leave the temporary one behind.
 *
 *   ppoll-mask SECONDS READYFILE
 *
 * Prints "waits N mask errors E"; exits 0 iff E is 0. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec wait = { 0, 20 * 1000 * 1000 };
	sigset_t during, after;
	long waits = 0, errors = 0;
	double end;
	FILE *f;

	if (argc != 3)
		return 2;
	end = now() + atof(argv[1]);
	sigemptyset(&during);
	sigaddset(&during, SIGUSR2);
	f = fopen(argv[2], "w");
	if (!f || fclose(f))
		return 2;
	while (now() < end) {
		ppoll(NULL, 0, &wait, &during);
		waits++;
		sigprocmask(SIG_SETMASK, NULL, &after);
		if (sigismember(&after, SIGUSR2))
			errors++;
	}
	printf("waits %s mask errors %ld\n", waits > 10 ? "many" : "few", errors);
	return errors ? 1 : 0;
}
