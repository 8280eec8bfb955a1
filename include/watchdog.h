/* The guard against numamma being killed (SIGKILL, OOM killer).
 *
 * Without a tracer, one of numamma's int3s (an allocator's breakpoint, or
 * the trampoline a hijacked return address points at) kills the program
 * with SIGTRAP.  So numamma runs as two processes:
 *
 *   - the front process, the one the user started and signals, is the
 *     watchdog: it traces nothing, forwards SIGINT/SIGTERM/SIGHUP to the
 *     tracer and exits with its status;
 *   - its child, the tracer, does all the work.  Attach mode: when the
 *     front process dies, even of SIGKILL, the tracer is told
 *     (PR_SET_PDEATHSIG) and detaches cleanly, completing the profile.
 *     Launch mode: the tracer goes on; the program is its child.
 *
 * The front process becomes the watchdog by an exec, of a program of its
 * own (watchdog/, no libc), right after it has cloned the tracer with the
 * memory shared: the tracer keeps numamma's address space as it was.
 *
 * If the tracer itself dies, the watchdog puts the original bytes back at
 * every breakpoint and the real return addresses back on the stacks of
 * every traced process, through /proc/PID/mem, from a table in memory
 * shared with the tracer.  In launch mode the watchdog is the program's
 * subreaper: it adopts the program, waits for its end and exits with its
 * status.  Threads stopped at one of our traps at the instant of the
 * tracer's death cannot be saved: the kernel delivers their SIGTRAP as it
 * detaches them.  See WATCHDOG in man/numamma.1.  The repair logic is
 * unit-tested in tests/unit/test-watchdog.c. */
#ifndef NUMAMMA_WATCHDOG_H
#define NUMAMMA_WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

struct tcb;

/* Starts the tracer for an attach to pid, or for a launch.  Returns in the
 * tracer (the child); the calling process becomes the watchdog and never
 * returns.  -1 + error line when no tracer could be started. */
int watchdog_start(pid_t pid);
int watchdog_start_launch(void);

/* The tracer keeps the watchdog's table up to date; each is a few stores
 * into shared memory, and does nothing outside attach mode. */
/* Launch mode: the program's pid, once forked. */
void watchdog_note_main(pid_t pid);
/* A breakpoint was written at addr over the byte orig. */
void watchdog_note_breakpoint(pid_t pid, uint64_t addr, uint8_t orig);
/* child was forked from parent (not vfork'd): it has the parent's traps. */
void watchdog_note_fork(pid_t parent, pid_t child);
/* The tracer is ending normally (every trap removed): its status is the
 * program's, even a death by the program's signal. */
void watchdog_finished(void);
/* The agent's state word (include/agent_abi.h) is at state: the watchdog
 * turns it off (0), and the agent passes calls through. */
void watchdog_note_agent(pid_t pid, uint64_t state);
/* The process exec'd or was detached: none of its traps are left. */
void watchdog_forget_process(pid_t pid);
/* Thread t is about to run: its hijacked returns are t->pending[]. */
void watchdog_note_returns(const struct tcb *t);

/* The shared table the tracer writes (include/watchdog_table.h), in a
 * memfd: watchdog_start* map it; the unit test maps it alone.  Returns the
 * memfd, or -1 + error line. */
int watchdog_table_map(void);
const struct watchdog_table *watchdog_table(void);

#endif
