/* What the sampler unit tests share: a database, an object tracker, and a
 * worker thread that waits, like a traced thread in its first stop, until
 * its events are open, then runs a workload while the main thread plays
 * the tracer's event loop (a pass over the rings, epoll, sampler_tick). */
#ifndef NUMAMMA_SAMPLER_HARNESS_H
#define NUMAMMA_SAMPLER_HARNESS_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "../../src/store/db_int.h"
#include "objtrack.h"
#include "sampler.h"
#include "topology.h"

struct harness {
	char path[64];
	struct nm_db *db;
	struct sample_sink sink;
	struct objtrack *objs;
	struct nm_topology topo;
	struct sampler *s;
	struct sampler_opts opts;
	pthread_t worker;
	pid_t tid;
	volatile int go, done;
	void (*work)(struct harness *h);
	void *arg;
	uint64_t t_start, t_end;
};

static inline uint64_t harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The session's part: samples and counts to the database. */
static inline void harness_sample(void *ctx, const struct nm_sample *sample)
{
	db_add_sample(ctx, sample);
}

static inline void harness_count(void *ctx, pid_t tid, const char *name, uint64_t value)
{
	db_add_sampler_stat(ctx, tid, name, value);
}

/* The profile and its WAL's two files: a skipped run's, or a killed
 * one's, named after a pid now reused (db_create() refuses a stale WAL). */
static inline void harness_remove_files(const struct harness *h)
{
	char name[sizeof(h->path) + 8];

	unlink(h->path);
	snprintf(name, sizeof(name), "%s-wal", h->path);
	unlink(name);
	snprintf(name, sizeof(name), "%s-shm", h->path);
	unlink(name);
}

static inline void harness_close(struct harness *h);

/* Skips (77) when the sampler cannot run here, with its reason; -1 when
 * the profile cannot be created. */
static inline int harness_open(struct harness *h, const char *sampler)
{
	const char *chosen, *reason;

	snprintf(h->path, sizeof(h->path), "/tmp/numamma-sampler-%d.db", (int)getpid());
	harness_remove_files(h);
	h->db = db_create(h->path, true);
	if (!h->db)
		return -1;
	h->objs = objtrack_new(h->db);
	topology_read(&h->topo, NULL);
	h->sink = (struct sample_sink){ h->db, harness_sample, harness_count };
	h->opts = (struct sampler_opts){ .name = sampler, .raw = 1, .epoll_fd = epoll_create1(0),
					 .sink = &h->sink, .objs = h->objs, .topo = &h->topo };
	h->s = sampler_create(&h->opts, &chosen, &reason);
	if (!h->s) {
		harness_close(h);
		return 77;
	}
	/* Its objects are the test's, all given before it runs: no sample
	 * waits for modules to be read (include/sample_hold.h). */
	sampler_modules_known(h->s, getpid(), UINT64_MAX);
	return strcmp(chosen, sampler) ? 1 : 0;
}

static void *harness_worker(void *arg)
{
	struct harness *h = arg;

	h->tid = gettid();
	while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE))
		usleep(100);
	h->work(h);
	__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A watchpoint moved while its thread hits it can leave a debug exception
 * the kernel finds no breakpoint for: it sends the thread a SIGTRAP.
 * numamma drops those of the programs it traces (t0309); the worker here
 * is no tracee, so the harness drops them (test-sampler-watch under ASan
 * died of one in a clean-clone CI run, not in 30 runs after). */
static void harness_stray_trap(int sig)
{
	(void)sig;
}

/* Runs work on a sampled thread; the main thread drives the sampler as
 * the tracer would until the worker is done. */
/* The tracer's pass over the rings: samples taken before it began are
 * matched (no records to wait for here). */
static inline void harness_pass(struct harness *h)
{
	uint64_t until = harness_now();

	sampler_read(h->s);
	sampler_attribute_until(h->s, 0, until);
}

static inline int harness_run(struct harness *h, void (*work)(struct harness *h))
{
	int ret, timeout = 0;

	sigaction(SIGTRAP, &(struct sigaction){ .sa_handler = harness_stray_trap }, NULL);
	h->work = work;
	pthread_create(&h->worker, NULL, harness_worker, h);
	while (!__atomic_load_n(&h->tid, __ATOMIC_ACQUIRE))
		usleep(100);
	ret = sampler_thread_start(h->s, getpid(), h->tid);
	h->t_start = harness_now();
	__atomic_store_n(&h->go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->done, __ATOMIC_ACQUIRE)) {
		struct epoll_event ev;

		harness_pass(h);
		if (epoll_wait(h->opts.epoll_fd, &ev, 1, timeout) == 1)
			sampler_handle_ready(h->s, ev.data.ptr);
		timeout = sampler_tick(h->s, harness_now());
	}
	pthread_join(h->worker, NULL);
	h->t_end = harness_now();
	/* The thread is gone: its ring must still be readable. */
	harness_pass(h);
	sampler_tick(h->s, harness_now());
	sampler_thread_stop(h->s, h->tid);
	sampler_attribute_until(h->s, 0, UINT64_MAX);
	return ret;
}

static inline int64_t harness_add_object(struct harness *h, enum obj_kind kind, void *p, size_t size)
{
	struct nm_object o = { .pid = getpid(), .tid = getpid(), .kind = kind,
			       .addr = (uint64_t)p, .size = size, .alloc_ns = harness_now(),
			       .name = "harness" };
	return objtrack_add(h->objs, &o);
}

/* One integer from the database (after the sampler's rows are flushed). */
static inline int64_t harness_query(struct harness *h, const char *fmt, ...)
{
	char sql[1024];
	sqlite3_stmt *st;
	int64_t v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	db_flush(h->db);
	st = db_prepare(h->db, sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Also what harness_open() made before it skipped (no sampler). */
static inline void harness_close(struct harness *h)
{
	sampler_destroy(h->s);
	objtrack_free(h->objs);
	db_close(h->db);
	topology_free(&h->topo);
	close(h->opts.epoll_fd);
	harness_remove_files(h);
}

#endif
