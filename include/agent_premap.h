/* The program's page tables over the agent's region, filled by numamma
 * ahead of the agent (src/intercept/agent_premap.c). */
#ifndef NUMAMMA_AGENT_PREMAP_H
#define NUMAMMA_AGENT_PREMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent_abi.h"

/* A ring's records read before numamma maps the rest of its first lap
 * (and a process's before its tables): a process that makes a few calls
 * takes a few pages, not a whole ring's. */
#define PREMAP_AFTER 512

/* How far each part of the region is mapped, in bytes from its start. */
struct agent_premap {
	uint32_t ring[AGENT_RINGS];
	uint32_t cache[AGENT_RINGS];    /* a ring's stack cache... */
	uint32_t walks[AGENT_RINGS];    /* ...and its known walks */
	uint32_t table[AGENT_TABLES];   /* the ip cache's and the set's sizes */
	uint32_t rulelog;
};

/* A range of the region to map: offsets from the control page. */
struct premap_range {
	uint64_t from, to;
};
#define PREMAP_RANGES (3 * AGENT_RINGS + AGENT_TABLES + 1)

/* The ranges to map now, given how far numamma has read each ring
 * (read[g]: 0 for a ring never taken), and the tables' sizes and the
 * rules logged in c; st is moved past them.  Pure: no system call. */
size_t agent_premap_plan(struct agent_premap *st, const struct agent_ctl *c,
			 const uint64_t read[AGENT_RINGS], struct premap_range *out);
/* Maps the ranges in the program (pid, its region's control page at
 * remote_ctl); false when the kernel refused. */
bool agent_premap_map(pid_t pid, uint64_t remote_ctl, const struct premap_range *r, size_t n);

#endif
