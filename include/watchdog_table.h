/* The table numamma's tracer keeps for its watchdog (include/watchdog.h),
 * in a memfd both processes map: the tracer writes it, the watchdog reads
 * it once the tracer is dead, without locking.  The watchdog is a program
 * of its own (watchdog/, freestanding: no libc), so this layout is all it
 * knows of numamma. */
#ifndef NUMAMMA_WATCHDOG_TABLE_H
#define NUMAMMA_WATCHDOG_TABLE_H

#include <stdint.h>
#include <sys/types.h>

#define WD_MAX_PROCS   16      /* processes with traps of ours at once */
#define WD_MAX_BPS     4096    /* per process */
#define WD_MAX_AGENTS  8       /* per process: one per exec'd image */
#define WD_MAX_THREADS 8192    /* open addressing on the tid */
#define WD_MAX_RETURNS 8       /* hijacked returns per thread: MAX_PENDING */
#define WD_SIGNAMES    65      /* strsignal()'s words, by signal number */

/* The environment variable that gives the exec'd watchdog its table's
 * descriptor. */
#define WD_TABLE_ENV "NUMAMMA_WATCHDOG_TABLE="

struct wd_proc {
	int nbps, nagents;
	struct { uint64_t addr; uint8_t orig; } bps[WD_MAX_BPS];
	uint64_t agents[WD_MAX_AGENTS];   /* the agents' state words */
};

struct wd_thread {
	pid_t tid;                 /* 0: free */
	pid_t pid;
	int n;
	uint64_t tramp;
	struct { uint64_t sp, ret; } r[WD_MAX_RETURNS];
};

struct watchdog_table {
	/* Written before the watchdog starts. */
	pid_t tracer_pid;
	int launch;                /* the program is the tracer's child */
	int attached_mem_fd;       /* attach: /proc/PID/mem, opened beforehand; -1 */
	char signame[WD_SIGNAMES][32];   /* strsignal(), which it cannot call */

	pid_t main_pid;            /* the attached process, or the launched program */
	int finished;              /* the tracer ended normally: no trap left */
	/* procs[i]'s process, 0 where free: apart from them, one line to
	 * look through, where the procs' own pids (64 KiB apart) faulted in
	 * a page each of this shared table at a profile's first exec. */
	pid_t proc_pid[WD_MAX_PROCS];
	struct wd_proc procs[WD_MAX_PROCS];
	int threads_taken;         /* slots ever given a tid: none on the agent's path */
	struct wd_thread threads[WD_MAX_THREADS];
};

/* Pure, for the watchdog and its unit test: the repairs of a table,
 * through read/write callbacks on the target's memory.  Returns the
 * number of words and bytes put back. */
struct watchdog_mem {
	int (*read)(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len);
	int (*write)(void *ctx, pid_t pid, uint64_t addr, const void *buf, size_t len);
	void *ctx;
};
int watchdog_repair(const struct watchdog_table *wt, const struct watchdog_mem *mem);

/* The watchdog's whole life (watchdog/watch.c), on raw system calls: it
 * forwards SIGINT, SIGTERM and SIGHUP to the tracer, reaps what comes to
 * it, and once the tracer has ended repairs what it left and exits as
 * include/watchdog.h says.  Run by the exec'd watchdog, or in place where
 * it could not be exec'd. */
_Noreturn void watchdog_watch(const struct watchdog_table *wt);

#endif
