/* NUMA topology from sysfs: nodes, cpus, distances. */
#ifndef NUMAMMA_TOPOLOGY_H
#define NUMAMMA_TOPOLOGY_H

#include "model.h"

/* Reads /sys/devices/system/node (root may be overridden for tests:
 * NULL means "/sys/devices/system").  A machine without the node
 * directory is one node holding every cpu.  Returns 0 or -1. */
int topology_read(struct nm_topology *t, const char *sysfs_root);
void topology_free(struct nm_topology *t);
int topology_node_of_cpu(const struct nm_topology *t, int cpu);   /* -1 unknown */
/* "0-3", "0,2", as sysfs prints cpulists; pure, for tests. Returns the
 * number of cpus set in mask (bounded by max), -1 if malformed. */
int parse_cpulist(const char *s, unsigned char *mask, int max);

#endif
