/* The lightest ptrace there is: one stop when a process's main thread
 * exits, while its memory is still there to be read (numamma stat reads
 * its numa_maps then).  No breakpoints, no syscall stops, threads and
 * children untraced; signals and group stops pass through untouched. */
#ifndef NUMAMMA_EXITSTOP_H
#define NUMAMMA_EXITSTOP_H

#include <stdbool.h>
#include <sys/types.h>

/* Seizes pid (a child of ours) with PTRACE_O_TRACEEXIT only.  0, or -1
 * with errno. */
int exitstop_seize(pid_t pid);
/* Waits for pid, our child, to end and returns its wait status.  When
 * seized, calls at_exit(pid, arg) at its main thread's exit stop (the
 * last one, when a thread other than main execs). */
int exitstop_wait(pid_t pid, bool seized, void (*at_exit)(pid_t pid, void *arg), void *arg);

#endif
