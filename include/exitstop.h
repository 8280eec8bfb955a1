/* The lightest ptrace there is: one stop when a process's main thread
 * exits, while its memory is still there to be read (numamma stat reads
 * its numa_maps then), and, where asked, one after each of its execs.
 * No breakpoints, no syscall stops, threads and children untraced;
 * signals and group stops pass through untouched. */
#ifndef NUMAMMA_EXITSTOP_H
#define NUMAMMA_EXITSTOP_H

#include <stdbool.h>
#include <sys/types.h>

/* What the waiter does at the tracee's stops, with arg. */
struct exitstop_hooks {
	/* The main thread's exit, its memory still there (the last one,
	 * when a thread other than main execs). */
	void (*at_exit)(pid_t pid, void *arg);
	/* After each exec, the new program in place (seized with execs). */
	void (*at_exec)(pid_t pid, void *arg);
	void *arg;
};

/* Seizes pid (a child of ours) with PTRACE_O_TRACEEXIT, and with
 * PTRACE_O_TRACEEXEC too when execs.  0, or -1 with errno. */
int exitstop_seize(pid_t pid, bool execs);
/* Waits for pid, our child, to end and returns its wait status; when
 * seized, runs h's hooks at its stops. */
int exitstop_wait(pid_t pid, bool seized, const struct exitstop_hooks *h);

#endif
