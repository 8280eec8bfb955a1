/* The launcher's binding: the cpus a process may run on and the nodes
 * its memory may go to (mpirun --bind-to, srun --cpu-bind, taskset,
 * numactl, a cgroup cpuset), and staying inside it: advise plans a rank
 * within its own, run never pins a thread or binds a page outside it.
 * Pure: built from the kernel's lists (include/allowed.h reads them), so
 * that tests/unit/test-binding.c can give any. */
#ifndef NUMAMMA_BINDING_H
#define NUMAMMA_BINDING_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "placement.h"

struct binding {
	unsigned char *cpus;     /* cpus[c] != 0: allowed; NULL: every cpu */
	int ncpus;
	uint64_t nodes;          /* allowed memory nodes (bit n = node n) */
	bool all_nodes;          /* nodes unknown: every node */
};

/* From Cpus_allowed_list and Mems_allowed_list ("0-3,8"); a NULL list
 * allows everything.  0, or -1 for a malformed list (b allows all). */
int binding_parse(struct binding *b, const char *cpus, const char *mems);
void binding_free(struct binding *b);
bool binding_has_cpu(const struct binding *b, int cpu);
bool binding_has_node(const struct binding *b, int node);
/* The cpu to pin to instead of cpu: cpu itself when allowed, else the
 * allowed cpu of its node (in topo) after `turn` others (the next
 * thread displaced there gets the next one), else the same among all
 * allowed cpus; -1 when no cpu is allowed. */
int binding_pick_cpu(const struct binding *b, const struct nm_topology *topo, int cpu, int turn);
/* topo cut down to b: only allowed cpus keep their node, and the nodes
 * are the allowed ones that hold an allowed cpu (or, when none does,
 * every allowed node).  Returns 1 with *out filled (free it with
 * topology_free) when that is narrower than topo, 0 (out untouched)
 * when b covers topo or would leave it no node. */
int binding_restrict_topology(const struct binding *b, const struct nm_topology *topo,
			      struct nm_topology *out);
/* The ranges of a plan, kept to the allowed nodes: each range's nodes
 * lose those outside b, and a range left with none is dropped (its
 * pages first touched).  Returns the ranges kept, compacted in place;
 * *narrowed counts the ranges that lost a node (dropped ones too). */
int binding_restrict_ranges(const struct binding *b, struct place_range *r, int n, int *narrowed);

#endif
