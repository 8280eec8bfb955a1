/* The consumer of events (include/trace_event.h) that keeps them: the
 * only writer of process, thread, module and object rows.  Allocator
 * calls become objects in objtrack (and through it rows), every call is
 * counted per call site and process, and run mode's placer hears of each
 * object made or released.  Producers never touch objtrack or the store
 * for what they see: they hand events here. */
#ifndef NUMAMMA_RECORDER_H
#define NUMAMMA_RECORDER_H

#include <stdint.h>

#include "model.h"
#include "trace_event.h"

struct nm_db;
struct objtrack;
struct tcb;

/* Run mode's placer: told of EV_OBJECT and EV_RELEASE (t is the stopped
 * thread that made the call, NULL when the producer ran in the program:
 * the agent). */
struct recorder_hooks {
	void *ctx;
	void (*event)(void *ctx, const struct nm_event *ev);
};

/* Heap and mmap blocks smaller than min_size are counted, with no object
 * of their own (0: every block is an object). */
struct recorder *recorder_new(struct objtrack *ot, const struct recorder_hooks *hooks,
			      uint64_t min_size);
void recorder_free(struct recorder *r);
/* Every static is an object from its module's load on, not only those of
 * min_size and more: the watch sampler picks among live objects.  (Run
 * mode's, with hooks, always.) */
void recorder_every_static(struct recorder *r);
/* Rows go to db from now on (the program's exec, or the attach). */
void recorder_set_db(struct recorder *r, struct nm_db *db);
void recorder_event(struct recorder *r, const struct nm_event *ev);
/* Writes callsite_totals and the calls of the threads running on (once,
 * at the end of the run). */
void recorder_write_totals(struct recorder *r, struct nm_db *db);

#endif
