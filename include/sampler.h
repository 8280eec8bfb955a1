/* Memory-access samplers: pebs (Intel), ibs (AMD), clock, watch and
 * pagefault (software, work without a PMU).  The tracer owns one sampler
 * per run; it calls sampler_thread_start() for every new thread while
 * that thread is still stopped, so that no access escapes, and drains the
 * ring buffers from its event loop through epoll. */
#ifndef NUMAMMA_SAMPLER_H
#define NUMAMMA_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"

struct nm_sample;
struct objtrack;
struct sampler;

/* Where the samples and the sampler's counts go: the session hands them,
 * as events (include/trace_event.h), to the recorder, which writes their
 * rows. */
struct sample_sink {
	void *ctx;
	void (*sample)(void *ctx, const struct nm_sample *sample);
	void (*count)(void *ctx, pid_t tid, const char *name, uint64_t value);
};

struct sampler_opts {
	const char *name;        /* "auto", "pebs", "ibs", "clock", "watch", "pagefault", "none" */
	uint64_t period;         /* 0: backend default (clock: ns of cpu time) */
	unsigned frequency;      /* clock: samples per second of cpu time; 0: default */
	unsigned ldlat;          /* pebs load latency threshold, cycles */
	int raw;                 /* store raw samples (--no-raw clears) */
	bool quiet;              /* -q: auto's choice is not said (it is in runs) */
	int epoll_fd;            /* the tracer's epoll set */
	const struct sample_sink *sink;   /* NULL: samples go nowhere yet */
	struct objtrack *objs;
	const struct nm_topology *topo;
	/* One of many profilers on these cpus (a rank of a parallel job):
	 * events per thread, never on every cpu, which would fire once per
	 * profiler on each cpu. */
	bool shared_cpus;
};

/* Prints, one per line, each sampler and whether it works here, with the
 * reason and the fix when it does not (numamma profile --list-samplers). */
void sampler_list(FILE *out);

/* Creates the sampler; for "auto" picks the best available and says so
 * on stderr.  *chosen and *reason describe the choice (static strings or
 * owned by the sampler).  NULL + one error line (+ hint) on failure. */
struct sampler *sampler_create(const struct sampler_opts *opts, const char **chosen, const char **reason);
void sampler_destroy(struct sampler *s);
/* Where samples go, once the profile exists (the program started). */
void sampler_set_sink(struct sampler *s, const struct sample_sink *sink);

/* A new thread of pid, stopped: open its events.  0 or -1 (+ warning). */
int sampler_thread_start(struct sampler *s, pid_t pid, pid_t tid);
/* The thread is exiting or gone: drain and close its events. */
void sampler_thread_stop(struct sampler *s, pid_t tid);
/* An epoll event whose data.ptr the sampler registered became ready.
 * The tracer's own epoll entries use data.ptr == NULL. */
void sampler_handle_ready(struct sampler *s, void *ptr);
/* Called from the event loop at least every few ms; rotates watchpoints,
 * drains (samples in time order are read by sampler_read() instead),
 * batches page-node queries.  Returns ms until it wants the next
 * tick (the tracer uses it as epoll timeout). */
int sampler_tick(struct sampler *s, uint64_t now_ns);
/* Thread tid is in a ptrace stop (at an allocation breakpoint): what a
 * backend could not read at the thread's first stop, it may read now. */
void sampler_thread_stopped(struct sampler *s, pid_t tid);
/* The process exec'd at ns or its address space changed wholesale. */
void sampler_process_exec(struct sampler *s, pid_t pid, uint64_t ns);
/* Samples that matched no object (or a mapping) wait for the modules
 * mapped when they were taken (include/sample_hold.h): pid's are known up
 * to ns now. */
void sampler_modules_known(struct sampler *s, pid_t pid, uint64_t ns);
/* numamma's agent occupies [start, end) in pid: samples of an access
 * there or of code there are numamma's, counted ("agent"), not stored. */
void sampler_agent_region(struct sampler *s, pid_t pid, uint64_t start, uint64_t end);
/* pid, a fork of ppid, knows its parent's modules and has its agent
 * region where its parent's is. */
void sampler_process_fork(struct sampler *s, pid_t ppid, pid_t pid);
/* Samples in time order (backends without a tick): the tracer reads
 * the rings with sampler_read() before it applies the records of the
 * programs' calls, which come by their time, and before each record of
 * pid at ns has the samples of pid taken before ns matched with
 * sampler_attribute_until(): a sample finds the objects live when it was
 * taken, and objects ended before the last read need not be kept for
 * samples still to come (objtrack_lookups_from()).  pid 0: every
 * process's. */
void sampler_read(struct sampler *s);
void sampler_attribute_until(struct sampler *s, pid_t pid, uint64_t ns);
/* The time of the oldest sample waiting (UINT64_MAX: none), for a check
 * at every event without a call. */
const uint64_t *sampler_due_ns(const struct sampler *s);
/* pid ended: its held samples are matched as they can be. */
void sampler_process_end(struct sampler *s, pid_t pid);

#endif
