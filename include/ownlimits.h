/* numamma's own resource limits, apart from the program's. */
#ifndef NUMAMMA_OWNLIMITS_H
#define NUMAMMA_OWNLIMITS_H

#include <stdbool.h>

/* Raises this process's limits that the program's size would otherwise
 * make numamma's: the soft RLIMIT_NOFILE to its hard limit (a descriptor
 * per thread and event, perf events and their rings, runs past the usual
 * 1,024 in a program with many threads), and RLIMIT_AS and RLIMIT_DATA
 * as far as allowed (no limit with CAP_SYS_RESOURCE, else the hard one):
 * a `ulimit -v` meant for the program made numamma run out of memory in
 * its index of the program's blocks; RLIMIT_STACK too, and the stacks of
 * numamma's threads to come at least 2 MiB (`ulimit -Ss 16` for the
 * program killed the tracer).  Call it after forking the program
 * (or attaching), never before: the program keeps the limits it would
 * have alone. */
void own_limits_raise(void);

/* Holds each of descriptors 0, 1 and 2 that is closed with /dev/null,
 * close-on-exec: numamma's own descriptors never take them (under `2>&-`
 * its messages went into libunwind's pipe, and would have gone into
 * whatever it opened first there), and the program, exec'd, still finds
 * them closed.  First thing in main(). */
void own_std_fds_hold(void);

/* After a failed open of what (err its errno): out of descriptors, says
 * once a run what is lost and how to raise the limit; other errors are
 * the caller's to tell. */
void own_limits_tell_unopened(const char *what, int err);

/* Raises the calling thread's priority (nice 10 lower) while on, where
 * numamma may (root, CAP_SYS_NICE or RLIMIT_NICE; else a debug line once),
 * back to where it started when off; a system call only on a change.  For
 * the tracer thread while the agents' rings are busy: sharing the cpus
 * with more allocating threads than there are cpus, a fair share left it
 * behind, the program's threads waiting for room in their rings and cpus
 * idle (three Rust threads on two cpus: 147 -> 125 ms).  Not while they
 * are quiet: a tracer that preempts at once cost a compute program with
 * the clock sampler 2%. */
void own_priority_boost(bool on);

/* In a thread the tracer starts: the priority numamma started with
 * (background work must not take the program's cpu). */
void own_priority_restore(void);

#endif