/* numamma stat: what a run did to memory, counted (perf stat's kind of
 * tool, with NUMA counters).  No sampling, no breakpoints: counting events
 * inherited by every thread and child, plus /proc and /sys snapshots.
 *
 *   src/stat/parse.c     pure parsers: "key value" counter files, numa_maps lines
 *   src/stat/numa.c      numastat and vmstat snapshots, resident pages per node
 *   src/stat/events.c    the event set: software, hardware (libpfm4), open, read
 *   src/stat/run.c       launch or attach, wait, collect a struct stat_result
 *   src/stat/print.c     text and JSON output
 */
#ifndef NUMAMMA_STAT_H
#define NUMAMMA_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/perf_event.h>

/* The kernel's MAX_NUMNODES with CONFIG_NODES_SHIFT=10, the largest. */
#define STAT_MAX_NODES 1024

/* --- pure parsers (src/stat/parse.c) --- */

/* Fills values[i] for each keys[i] found in text made of "key value" lines
 * (/proc/vmstat, /sys/devices/system/node/nodeN/numastat), sets bit i of
 * *found, and leaves absent keys alone.  nkeys <= 64.  Returns how many
 * keys were found. */
int stat_parse_counters(const char *text, const char *const *keys, size_t nkeys,
			uint64_t *values, uint64_t *found);

/* Adds one /proc/PID/numa_maps line's pages, in KiB, to kib[node] (indexed
 * by node, STAT_MAX_NODES entries): each "N<node>=<pages>" times its
 * "kernelpagesize_kB=".  0, or -1 when the line is not a numa_maps line
 * (kib is then untouched). */
int stat_parse_numa_maps_line(const char *line, uint64_t *kib);

/* --- system-wide NUMA counters and the program's pages (src/stat/numa.c) --- */

/* numastat_keys[] in order. */
enum numastat_key {
	NS_NUMA_HIT, NS_NUMA_MISS, NS_NUMA_FOREIGN, NS_INTERLEAVE_HIT, NS_LOCAL_NODE,
	NS_OTHER_NODE, NUMASTAT_NKEYS
};
enum { VMSTAT_NKEYS = 13 };
extern const char *const numastat_keys[NUMASTAT_NKEYS];
extern const char *const vmstat_keys[VMSTAT_NKEYS];

/* Both are system-wide: every process's allocations count. */
struct numa_snapshot {
	int nnodes;                              /* nodes with a numastat file */
	int node[STAT_MAX_NODES];                /* their ids, ascending */
	uint64_t numastat[STAT_MAX_NODES][NUMASTAT_NKEYS]; /* by position in node[] */
	uint64_t vmstat[VMSTAT_NKEYS];
	uint64_t vmstat_found;                   /* bit i: vmstat_keys[i] exists */
};
void numa_snapshot_take(struct numa_snapshot *s);

/* A process's resident memory per node, from its numa_maps. */
struct resident {
	uint64_t kib[STAT_MAX_NODES];
	bool ok;
	char why[256];                           /* when !ok */
};
/* Reads /proc/PID/numa_maps; on failure r->ok is false and r->why says why. */
void resident_read(pid_t pid, struct resident *r);

/* --- the counting events (src/stat/events.c) --- */

enum stat_unit { UNIT_COUNT, UNIT_NSEC };

struct stat_event {
	char *name;               /* as printed: "page-faults", "cycles", -e's text */
	bool hardware;            /* needs a PMU */
	enum stat_unit unit;
	struct perf_event_attr attr;
	int *fds;                 /* one per thread counted (attach), or one */
	int nfds;
	bool user_only;           /* opened with exclude_kernel (perf_event_paranoid) */
	uint64_t value;           /* scaled to the time enabled */
	uint64_t enabled, running;
	char why[256];            /* not counted: why ("" when counted) */
};

struct stat_events {
	struct stat_event *ev;
	int n;
	char hw_why[320];         /* every hardware event failed: why (or "") */
};

/* The set: the software events always, then -e's comma-separated libpfm4
 * names, or without -e the default hardware set (generic events and the
 * CPU model's local/remote memory events).  Unknown -e names: one error
 * line naming them all, -1. */
int stat_events_build(struct stat_events *set, const char *list);
/* Opens every event on each of tids (inherited by their future threads and
 * children).  launch: tids is the one child waiting to exec, and counting
 * starts at its exec.  A failure is kept in the event's why, never fatal. */
void stat_events_open(struct stat_events *set, const pid_t *tids, int ntids, bool launch);
void stat_events_read(struct stat_events *set);
/* The event named name, or NULL when absent or not counted. */
const struct stat_event *stat_event_find(const struct stat_events *set, const char *name);

/* --- one run (src/stat/run.c) --- */

struct stat_result {
	char *command;            /* shell-quoted, for the header */
	pid_t pid;
	bool attached;
	int rank;                 /* launcher rank, or -1 */
	int status;               /* wait status (launch only) */
	bool exited_during;       /* attach: the process ended meanwhile */
	double elapsed;           /* seconds */
	struct stat_events events;
	struct numa_snapshot before, after;
	struct resident resident;
};

/* Runs argv with counting on, to its end; r->status is its wait status.
 * 0, or the errno of an exec that failed (nothing ran). */
int stat_launch(struct stat_result *r, char **argv);
/* Counts pid for duration seconds (0: until it exits, Ctrl-C, SIGTERM or
 * SIGHUP).  0, or -1 with one error line. */
int stat_attach(struct stat_result *r, pid_t pid, double duration);

/* --- output (src/stat/print.c) --- */

void stat_print_text(FILE *out, const struct stat_result *r);
void stat_print_json(FILE *out, const struct stat_result *r);

#endif
