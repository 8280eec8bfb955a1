/* Samples that found no object, kept until the modules mapped when they
 * were taken are known.  The tracer reads a process's modules at its
 * stops (exec, the loader's, dlopen's) and records their statics after;
 * the loader maps libc and writes its statics well before its stop, and
 * a sampler drained in between saw those accesses hit nothing.  A sample
 * is held when it matched no object (or only a mapping: sampler.c) and
 * was taken after the last read of its process's modules whose statics
 * are recorded; it is matched again once a later read covers it
 * (sampler_modules_known()), when its process ends or exec's, when the
 * hold is full, or at the end. */
#ifndef NUMAMMA_SAMPLE_HOLD_H
#define NUMAMMA_SAMPLE_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "u64map.h"

struct sample_hold {
	struct nm_sample *v;
	size_t n, cap;
	struct u64map known;    /* pid -> a: its modules are known up to this ns */
};

/* Holds at most max samples (0: a default). */
void sample_hold_init(struct sample_hold *h, size_t max);
void sample_hold_free(struct sample_hold *h);

/* Whether x, attributed or not, should wait for its modules. */
bool sample_hold_wanted(const struct sample_hold *h, const struct nm_sample *x);
/* Keeps a copy of x; false when full (release some first). */
bool sample_hold_add(struct sample_hold *h, const struct nm_sample *x);

/* pid's modules mapped up to ns are known now (their statics recorded). */
void sample_hold_known(struct sample_hold *h, pid_t pid, uint64_t ns);
/* A forked child starts with its parent's modules. */
void sample_hold_fork(struct sample_hold *h, pid_t ppid, pid_t pid);

/* Hands fn the held samples of pid (any pid when pid is 0) taken up to
 * until_ns, oldest held first, and forgets them. */
void sample_hold_release(struct sample_hold *h, pid_t pid, uint64_t until_ns,
			 void (*fn)(void *ctx, struct nm_sample *x), void *ctx);

#endif
