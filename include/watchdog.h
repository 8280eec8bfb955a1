/* Attach mode's guard against numamma being killed (SIGKILL, OOM killer).
 *
 * Without a tracer, one of numamma's int3s (an allocator's breakpoint, or
 * the trampoline a hijacked return address points at) kills the program
 * with SIGTRAP.  So attach mode runs as two processes:
 *
 *   - the front process, the one the user started and signals, is the
 *     watchdog: it traces nothing, forwards SIGINT/SIGTERM/SIGHUP to the
 *     tracer and exits with its status;
 *   - its child, the tracer, does all the work.  When the front process
 *     dies, even of SIGKILL, the tracer is told (PR_SET_PDEATHSIG) and
 *     detaches cleanly, completing the profile.
 *
 * If the tracer itself dies, the watchdog puts the original bytes back at
 * every breakpoint and the real return addresses back on the stacks,
 * through its own /proc/PID/mem, from a table in memory shared with the
 * tracer.  Threads stopped at one of our traps at the instant of the
 * tracer's death cannot be saved: the kernel delivers their SIGTRAP as it
 * detaches them.  See ATTACH MODE in man/numamma.1. */
#ifndef NUMAMMA_WATCHDOG_H
#define NUMAMMA_WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

struct tcb;

/* Forks the tracer for an attach to pid.  Returns in the tracer (the
 * child); the calling process becomes the watchdog and never returns.
 * -1 + error line when the fork failed (nothing was forked). */
int watchdog_start(pid_t pid);

/* The tracer keeps the watchdog's table up to date; each is a few stores
 * into shared memory, and does nothing outside attach mode. */
/* A breakpoint was written at addr over the byte orig. */
void watchdog_note_breakpoint(pid_t pid, uint64_t addr, uint8_t orig);
/* The agent's state word (include/agent_abi.h) is at state: the watchdog
 * turns it off (0), and the agent passes calls through. */
void watchdog_note_agent(pid_t pid, uint64_t state);
/* The process exec'd or was detached: none of its traps are left. */
void watchdog_forget_process(pid_t pid);
/* Thread t is about to run: its hijacked returns are t->pending[]. */
void watchdog_note_returns(const struct tcb *t);

/* Pure, for the watchdog and its unit test: the repairs of one table,
 * through read/write callbacks on the target's memory.  Returns the
 * number of words and bytes put back. */
struct watchdog_table;
struct watchdog_mem {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
	void *ctx;
};
int watchdog_repair(const struct watchdog_table *wt, const struct watchdog_mem *mem);

#endif
