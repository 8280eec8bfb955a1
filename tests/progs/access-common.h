/* What the access-*.c ground-truth programs share: arguments, threads
 * with one page-aligned block each, a clock, a checksum. */
#ifndef ACCESS_COMMON_H
#define ACCESS_COMMON_H

#define _GNU_SOURCE                 /* RUSAGE_THREAD */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

struct block {
	uint64_t *words;
	size_t bytes;
	double seconds;
	uint64_t rounds;
	const uint64_t *shared;    /* access-shared's table */
	size_t shared_words;
	uint64_t result;
	long first_round_faults;    /* page faults the thread took in its first round */
};

struct blocks {
	int nthreads;
	size_t page, bytes;
	double seconds;
	struct block b[MAX_THREADS];
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* [NTHREADS [BLOCK_PAGES [SECONDS]]] */
static inline void blocks_parse(struct blocks *bs, int argc, char **argv)
{
	*bs = (struct blocks){ 0 };
	bs->nthreads = argc > 1 ? atoi(argv[1]) : 4;
	bs->page = sysconf(_SC_PAGESIZE);
	bs->bytes = (argc > 2 ? atoi(argv[2]) : 256) * bs->page;
	bs->seconds = argc > 3 ? atof(argv[3]) : 1;
	if (bs->nthreads < 1 || bs->nthreads > MAX_THREADS || !bs->bytes) {
		fprintf(stderr, "usage: %s [NTHREADS [BLOCK_PAGES [SECONDS]]]\n", argv[0]);
		exit(2);
	}
}

/* Block i of array: from its first page boundary, i * bytes on. */
static inline uint64_t *block_of(const struct blocks *bs, char *array, int i)
{
	uintptr_t base = ((uintptr_t)array + bs->page - 1) & ~(uintptr_t)(bs->page - 1);

	return (uint64_t *)(base + i * bs->bytes);
}

/* Runs fn on nthreads threads, thread i (rank i + 1) with bs->b[i]. */
static inline void blocks_run_on(struct blocks *bs, void *(*fn)(void *))
{
	pthread_t t[MAX_THREADS];
	int i;

	for (i = 0; i < bs->nthreads; i++)
		bs->b[i].seconds = bs->seconds;
	for (i = 0; i < bs->nthreads; i++)
		pthread_create(&t[i], NULL, fn, &bs->b[i]);
	for (i = 0; i < bs->nthreads; i++)
		pthread_join(t[i], NULL);
}

/* Runs fn on nthreads threads, thread i (rank i + 1) on block i. */
static inline void blocks_run(struct blocks *bs, char *array, void *(*fn)(void *))
{
	int i;

	for (i = 0; i < bs->nthreads; i++) {
		bs->b[i].words = block_of(bs, array, i);
		bs->b[i].bytes = bs->bytes;
	}
	blocks_run_on(bs, fn);
}

/* The calling thread's minor page faults so far. */
static inline long thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* A worker that writes every word of its block, round after round, for
 * its seconds: the whole block is touched, by this thread only.  The
 * faults of its first round are the kernel's count of the pages it
 * first-touched (one a page unless the kernel maps several at once). */
static inline void *block_writer(void *arg)
{
	struct block *b = arg;
	uint64_t end = now_ns() + b->seconds * 1000000000.0, *w = b->words;
	size_t i, n = b->bytes / 8;
	long faults = thread_faults();

	do {
		for (i = 0; i < n; i++)
			w[i] += i;
		if (!b->rounds++)
			b->first_round_faults = thread_faults() - faults;
	} while (now_ns() < end);
	return NULL;
}

/* Independent of how many rounds each thread made: the first word of
 * each block after one round is 0, the last one (n - 1) * rounds. */
static inline uint64_t blocks_sum(const struct blocks *bs)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < bs->nthreads; i++)
		sum += bs->b[i].words[bs->b[i].bytes / 8 - 1] / (bs->b[i].rounds ? bs->b[i].rounds : 1);
	return sum;
}

#endif
