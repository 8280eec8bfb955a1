/* What each sampler backend provides to the common sampler code
 * (src/sample/sampler.c): availability, and the perf_event_attr(s) to open per
 * thread.  The common code opens, mmaps, drains, decodes, attributes and
 * stores; a backend only says what to open and how to read its records.
 *
 * The common code completes every attr before opening it: size,
 * inherit = 0, use_clockid with CLOCK_MONOTONIC (the tracer's clock),
 * watermark with wakeup_watermark = 1/4 of the ring, exclude_hv = 1 and
 * PERF_SAMPLE_IDENTIFIER (to tell the events of a thread apart: they all
 * write into the first event's ring through PERF_EVENT_IOC_SET_OUTPUT). */
#ifndef NUMAMMA_SAMPLER_BACKEND_H
#define NUMAMMA_SAMPLER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

#include "model.h"
#include "sampler.h"

#define SAMPLER_MAX_EVENTS 5

struct perf_sample_rec;   /* a decoded PERF_RECORD_SAMPLE, perf_ring.h */

/* The per-thread state backends may look at (and, for tick, change). */
struct sampler_thread {
	pid_t pid, tid;
	int nr_events;
	int fds[SAMPLER_MAX_EVENTS];
	const struct perf_event_attr *attrs;     /* as opened, [nr_events] */
	uint64_t hits[SAMPLER_MAX_EVENTS];       /* samples decoded per event */
	uint64_t lost;                           /* records the kernel lost */
	void *priv;                              /* the backend's; free()d at the end */
};

struct sampler_backend {
	const char *name;
	const char *description;
	/* 0 when it works here (a self-test: sampler_self_test); else -1
	 * with why (and fix) filled in.  Run once per process. */
	int (*probe)(char *why, size_t len);
	/* Fills up to SAMPLER_MAX_EVENTS attrs for one thread; returns how
	 * many (-1 + why on failure).  attrs[0] is the group leader when
	 * group_leader is set. */
	int (*attrs)(const struct sampler_opts *opts, struct perf_event_attr *attrs,
		     int *group_leader, char *why, size_t len);
	/* Completes a decoded sample: access kind, level, weight from the
	 * backend's specific fields (data_src, weight, raw IBS).  NULL: none. */
	void (*decode)(const struct perf_sample_rec *rec, int event_index, struct nm_sample *out);

	/* Optional members (0/NULL: not needed). */

	/* Data pages of each thread's ring, a power of two; 0: 64. */
	unsigned ring_pages;
	/* Its events may be opened on every cpu instead of on every thread,
	 * samples then matched to threads by tid: a thread gets as many from
	 * a cpu's event as from its own (cpu-clock counts the cpu time of
	 * whatever runs).  Needs nothing of thread_start before the thread's
	 * first sample, and no tick. */
	bool cpu_wide;
	/* Called every tick_ms for each thread (watch rotates its targets).
	 * A backend with a tick drains its rings itself, in tick, when its
	 * events are quiet: the common code then reads them only when the
	 * thread stops (epoll wakeups are ignored).  Its rings must hold what
	 * a thread produces in tick_ms. */
	unsigned tick_ms;
	void (*tick)(struct sampler_thread *th, const struct sampler_opts *opts);
	/* Sees each batch of decoded samples (consecutive samples of a thread
	 * are adjacent) before they are stored; returns how many to keep,
	 * compacted at the front. */
	size_t (*filter)(struct nm_sample *samples, size_t n);
	/* Sees each sample of thread th as it is decoded (watch follows
	 * where the thread goes). */
	void (*seen)(struct sampler_thread *th, const struct nm_sample *sample);
	/* The thread's events are open and it is still stopped (clock reads
	 * its fs_base). */
	void (*thread_start)(struct sampler_thread *th);
	/* Finds the data address of a sample whose event gives none (clock:
	 * from the sampled registers), after decode.  0, or -1 to drop the
	 * sample: the backend counts why, never guesses. */
	int (*locate)(struct sampler_thread *th, const struct perf_sample_rec *rec,
		      struct nm_sample *out);
	/* The thread stops: give the backend's own counts to sink (NULL: the
	 * profile is not open yet) and let go of what it kept. */
	void (*thread_stop)(const struct sampler_thread *th, const struct sample_sink *sink);
	/* Thread tid is in a ptrace stop; called at every allocation, so
	 * cheap when the backend wants nothing of it. */
	void (*thread_stopped)(pid_t tid);
	/* Process pid exec'd: what the backend cached of its memory and of
	 * the thread that exec'd (th, now tid pid; NULL if not sampled) is
	 * stale. */
	void (*process_exec)(pid_t pid, struct sampler_thread *th);
};

/* A backend's probe proves that its events fire, not only that they open:
 * on some hypervisors hardware breakpoints open fine and never fire, and a
 * sampler chosen on the strength of its open would record nothing,
 * silently.  Opens attrs[0..n) on the calling thread (a group led by
 * attrs[0] when group_leader), runs workload, and checks that the events
 * counted something.  0, or -1 with why filled in: perf_open_why() when an
 * open failed, silent when nothing was counted. */
int sampler_self_test(const struct perf_event_attr *attrs, int n, int group_leader,
		      const char *const *names, void (*workload)(void),
		      const char *silent, char *why, size_t len);
/* Tests make a probe's events see nothing, as a hypervisor that drops
 * debug exceptions would: NUMAMMA_TEST_IDLE_PROBE lists the event names
 * (the first of each backend's set) whose self-test is to see nothing. */
bool sampler_test_idle(const char *event);
/* Loads that miss every cache: the workload of the hardware probes. */
void sampler_load_workload(void);

/* Replaces event index (> 0: not the ring's owner) of th by a fresh one
 * opened from attr, in the group of event leader (-1: none), writing into
 * the same ring.  Drain first: records of the old event still in the ring
 * could not be decoded.  0, or -1 (the event is then closed, fds[index] =
 * -1). */
int sampler_thread_reopen(struct sampler_thread *th, int index, const struct perf_event_attr *attr,
			  int leader);

/* Closes event index (> 0) of th, keeping what decodes its records: the
 * ring may still hold some; drain before reopening the index.  Closing
 * stops the event for good, and costs one call where disabling it first
 * would cost two (each an IPI when the thread runs elsewhere). */
void sampler_thread_close(struct sampler_thread *th, int index);

/* Decodes what the kernel wrote so far into th's ring (for backends that
 * must see every hit before changing their events). */
void sampler_thread_drain(struct sampler_thread *th);

extern const struct sampler_backend sampler_pebs, sampler_ibs, sampler_clock,
	sampler_pagefault, sampler_watch;

#endif
