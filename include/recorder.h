/* The consumer of allocation events (include/alloc_event.h): objects go to
 * objtrack (and through it to the store), every call is counted per call
 * site and process, and run mode's placer hears of each object made or
 * released.  Producers never touch objtrack or the store for allocator
 * calls: they hand events here. */
#ifndef NUMAMMA_RECORDER_H
#define NUMAMMA_RECORDER_H

#include <stdint.h>

#include "alloc_event.h"
#include "model.h"

struct nm_db;
struct objtrack;
struct tcb;

/* Run mode's placer: t is the stopped thread that made the call, NULL
 * when the producer ran in the program (agent). */
struct recorder_hooks {
	void *ctx;
	void (*object)(void *ctx, struct tcb *t, const struct nm_object *obj,
		       const struct nm_frame *frames, int nframes);
	void (*release)(void *ctx, struct tcb *t, int64_t object_id);
};

/* Heap and mmap blocks smaller than min_size are counted, with no object
 * of their own (0: every block is an object). */
struct recorder *recorder_new(struct objtrack *ot, const struct recorder_hooks *hooks,
			      uint64_t min_size);
void recorder_free(struct recorder *r);
void recorder_event(struct recorder *r, struct tcb *t, const struct alloc_event *ev);
/* exec or exit: pid's live blocks are gone (not counted as frees). */
void recorder_end_process(struct recorder *r, int32_t pid);
/* Writes callsite_totals (once, at the end of the run). */
void recorder_write_totals(struct recorder *r, struct nm_db *db);

#endif
