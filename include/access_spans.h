/* Which threads an object's access pattern is judged on, and how their
 * pages meet: the pure part of the report's PATTERN (the rows come from
 * object_page_thread). */
#ifndef NUMAMMA_ACCESS_SPANS_H
#define NUMAMMA_ACCESS_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One thread's samples on one page of an object. */
struct page_samples {
	pid_t tid;
	uint64_t page;
	uint64_t samples;
};

/* A thread with under 1 sample in ACCESS_MINOR_SHARE of the object's is
 * left out of its pattern; so is one whose span (its 5th to 95th
 * percentile page) meets the spans of two threads that keep apart from
 * each other, while two threads or more remain: it sweeps across their
 * blocks, as the serial initialisation of an array that workers then
 * share out does, whose samples would otherwise make disjoint blocks look
 * shared. */
#define ACCESS_MINOR_SHARE 100
/* Left-out threads named (most objects leave out one, the initialising
 * main thread). */
#define ACCESS_OUT_LISTED 8

struct access_spans {
	int workers;                /* threads the pattern is judged on */
	int minor, sweepers;        /* threads left out, and their samples */
	uint64_t minor_samples, sweepers_samples;
	bool spans_overlap;         /* two workers' spans overlap */
	bool page_shared;           /* a page sampled by two workers */
	int nout_listed;
	pid_t out_tids[ACCESS_OUT_LISTED];      /* the first left out */
};

/* Judges the n rows of one object, sorted by tid then page. */
void access_spans_judge(const struct page_samples *rows, size_t n, struct access_spans *out);

/* Are two of tids (a cache line's writers, comma-separated) threads the
 * pattern is judged on?  A left-out thread not among out_tids counts as
 * one, as does every writer when tids is NULL (not recorded). */
bool access_spans_workers_wrote(const struct access_spans *s, const char *tids);

#endif
