/* Ground truth for the samplers: two threads write neighbouring words of
 * one cache line (a 64-byte aligned malloc'd object), for SECONDS.
 * Thread 1 (rank 1) writes word 0, thread 2 (rank 2) word 1.
 *
 *   access-false-sharing [SECONDS]    (1)
 * Prints "ok" when each word holds its thread's count. */
#include "access-common.h"

struct line {
	volatile uint64_t word[8];
};

struct writer {
	struct line *line;
	int index;
	double seconds;
	uint64_t count;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	uint64_t end = now_ns() + w->seconds * 1000000000.0;

	do {
		w->line->word[w->index]++;
		w->count++;
	} while ((w->count & 1023) || now_ns() < end);
	return NULL;
}

int main(int argc, char **argv)
{
	struct line *line = aligned_alloc(64, sizeof(*line));
	struct writer w[2];
	pthread_t t[2];
	int i, ok = 1;

	for (i = 0; i < 2; i++) {
		line->word[i] = 0;
		w[i] = (struct writer){ line, i, argc > 1 ? atof(argv[1]) : 1, 0 };
		pthread_create(&t[i], NULL, writer, &w[i]);
		/* Creation order is the rank order the tests rely on. */
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ok &= line->word[i] == w[i].count;
	}
	puts(ok ? "ok" : "mismatch");
	free(line);
	return !ok;
}
