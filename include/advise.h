/* `numamma advise`: a placement plan derived from a profile.  The store
 * reads the profile (profile.h); advise_profile() analyses it in memory,
 * advice_print() words it. */
#ifndef NUMAMMA_ADVISE_H
#define NUMAMMA_ADVISE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"
#include "placement.h"
#include "profile.h"

/* Objects smaller than this are left alone: too few pages to matter. */
#define ADVISE_MIN_SIZE (64 * 1024)

struct advise_opts {
	uint64_t min_size;
	/* Nodes to plan for: 0 means the profile's machine, or machine's
	 * when it has more nodes. */
	int nodes;
	/* The machine advise runs on (or the policy is applied on), to pick
	 * cpus for pins; NULL when unknown. */
	const struct nm_topology *machine;
};

/* Local accesses: `local` out of `total` samples (local may be fractional:
 * interleaving makes 1/N of a thread's accesses local on average). */
struct locality {
	double local;
	uint64_t total;
};

struct advice_thread {
	pid_t pid, tid;
	int rank;                /* creation order in its process, -1 unknown */
	int child;               /* K >= 1: the main thread of a worker process,
				  * the K-th the first process forked; else 0 */
	uint64_t samples;
	int ran_cpu, ran_node;   /* where it ran most, -1 when never sampled */
	int node;                /* planned node, -1 unknown */
	int pin_cpu;             /* planned cpu, -1 none */
	int pin_node;            /* pinned to a node only (cpus unknown), -1 */
};

struct advice_site {
	int rule;                /* index in the policy's rules */
	enum obj_kind kind;
	char *where;             /* "alloc_blocks() main.c:42" or the symbol */
	char *reason;            /* "block: 4 threads each touch ..." */
	int nobjects;
	uint64_t max_size;
	uint64_t samples;
	struct locality before, after;
};

struct advice {
	struct policy *policy;
	int spread;              /* threads are spread over nodes by rank */
	int worker_processes;    /* the workers are forked processes (child) */
	int unbalanced;          /* ...because the profile crowded some nodes */
	char *mapping;           /* which thread -> node mapping, in words */
	char *binding;           /* the cpus and nodes planned within (the
				  * launcher's binding), in words; NULL: all */
	int profile_nodes, target_nodes;
	int nthreads;
	struct advice_thread *threads;
	int nsites;
	struct advice_site *sites;   /* by samples, most first */
	uint64_t samples;            /* attributed to heap/mmap/static objects */
	/* On threads' stacks and thread-local variables: each thread's own
	 * (nothing to plan: run moves a pinned thread's thread-locals). */
	uint64_t thread_own_samples;
	struct locality before;      /* measured */
	struct locality unplanned;   /* planned threads, pages as first touched */
	struct locality after;       /* planned threads and placement */
};

/* Derives the plan from one run of a profile read with PROFILE_SAMPLES;
 * name (the profile's file, for messages) becomes the policy's source.
 * Returns 0. */
int advise_profile(const struct prof_run *run, const char *name, const struct advise_opts *opts,
		   struct advice *adv);
void advice_print(FILE *f, const struct advice *adv);
/* "75%", or "n/a" without samples. */
void locality_text(char *buf, size_t len, struct locality l);
void advice_free(struct advice *adv);

#endif
