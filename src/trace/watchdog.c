/* The watchdog: see include/watchdog.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "launch.h"
#include "raw_syscall.h"
#include "tracer_int.h"
#include "watchdog.h"
#include "watchdog_table.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U       /* Linux 6.3: executable even where memfds are not by default */
#endif

_Static_assert(WD_MAX_RETURNS == MAX_PENDING, "the table holds every hijacked return");

static struct watchdog_table *table;   /* NULL without a watchdog */

/* ---- the tracer's side ---- */

static struct wd_proc *proc_slot(pid_t pid, bool create)
{
	struct wd_proc *free_slot = NULL;

	for (int i = 0; i < WD_MAX_PROCS; i++) {
		if (table->proc_pid[i] == pid)
			return &table->procs[i];
		if (!free_slot && table->proc_pid[i] == 0)
			free_slot = &table->procs[i];
	}
	if (create && free_slot) {
		free_slot->nbps = free_slot->nagents = 0;
		table->proc_pid[free_slot - table->procs] = pid;
	}
	return create ? free_slot : NULL;
}

void watchdog_note_main(pid_t pid)
{
	if (table)
		table->main_pid = pid;
}

void watchdog_note_breakpoint(pid_t pid, uint64_t addr, uint8_t orig)
{
	struct wd_proc *wp;

	if (!table || !(wp = proc_slot(pid, true)) || wp->nbps == WD_MAX_BPS)
		return;
	wp->bps[wp->nbps].addr = addr;
	wp->bps[wp->nbps].orig = orig;
	wp->nbps++;
}

void watchdog_note_fork(pid_t parent, pid_t child)
{
	struct wd_proc *from, *to;

	if (!table || !(from = proc_slot(parent, false)) || !(to = proc_slot(child, true)))
		return;
	to->nbps = from->nbps;
	memcpy(to->bps, from->bps, from->nbps * sizeof(from->bps[0]));
}

void watchdog_note_agent(pid_t pid, uint64_t state)
{
	struct wd_proc *wp;

	if (!table || !(wp = proc_slot(pid, true)) || wp->nagents == WD_MAX_AGENTS)
		return;
	wp->agents[wp->nagents++] = state;
}

void watchdog_forget_process(pid_t pid)
{
	struct wd_proc *wp;

	if (!table || !(wp = proc_slot(pid, false)))
		return;
	wp->nbps = wp->nagents = 0;
	table->proc_pid[wp - table->procs] = 0;
	/* 2 MiB to walk at each exec and exit, for nothing when no trap ever
	 * left a return to repair. */
	for (int i = 0; table->threads_taken && i < WD_MAX_THREADS; i++)
		if (table->threads[i].pid == pid)
			table->threads[i].n = 0;
}

void watchdog_finished(void)
{
	if (table)
		table->finished = 1;
}

static struct wd_thread *thread_slot(pid_t tid, int n)
{
	unsigned i = (unsigned)tid % WD_MAX_THREADS;

	for (int probe = 0; probe < WD_MAX_THREADS; probe++, i = (i + 1) % WD_MAX_THREADS) {
		struct wd_thread *w = &table->threads[i];

		if (w->tid == tid)
			return w;
		if (w->tid == 0 || w->n == 0) {
			if (!n)
				return NULL;        /* nothing to record */
			if (!w->tid)
				table->threads_taken++;
			w->n = 0;
			w->tid = tid;
			w->pid = 0;
			return w;
		}
	}
	return NULL;
}

void watchdog_note_returns(const struct tcb *t)
{
	struct wd_thread *w;

	if (!table || !(w = thread_slot(t->tid, t->npending)))
		return;
	w->pid = t->proc->pid;
	for (int i = 0; i < t->npending; i++) {
		w->r[i].sp = t->pending[i].sp;
		w->r[i].ret = t->pending[i].ret_addr;
	}
	w->tramp = t->proc->scratch + SCRATCH_TRAMPOLINE;
	w->n = t->npending;
}

const struct watchdog_table *watchdog_table(void)
{
	return table;
}


/* ---- the front process becomes the watchdog ---- */

int watchdog_table_map(void)
{
	int fd = memfd_create("numamma-watchdog", 0);

	if (fd < 0 || ftruncate(fd, sizeof(*table)) < 0 ||
	    (table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			  fd, 0)) == MAP_FAILED) {
		table = NULL;
		if (fd >= 0)
			close(fd);
		return error_errno("cannot map the watchdog's table");
	}
	table->tracer_pid = -1;
	table->attached_mem_fd = -1;
	for (int sig = 1; sig < WD_SIGNAMES; sig++)
		snprintf(table->signame[sig], sizeof(table->signame[sig]), "%s", strsignal(sig));
	/* Left open (not close-on-exec) for the watchdog: the tracer closes
	 * it (watchdog_close_fds()). */
	return fd;
}

/* glibc hands its constructors main()'s arguments: the command line the
 * watchdog is exec'd with, that ps shows the front process as before. */
static char **front_argv;

static void __attribute__((constructor)) keep_front_argv(int argc, char **argv)
{
	(void)argc;
	front_argv = argv;
}

extern const char watchdog_blob[], watchdog_blob_end[];

/* The watchdog program, in a memfd to exec; -1 where none can be made
 * executable (vm.memfd_noexec = 2). */
static int watchdog_exe(void)
{
	size_t len = watchdog_blob_end - watchdog_blob, done = 0;
	int fd = memfd_create("numamma", MFD_CLOEXEC | MFD_EXEC);

	if (fd < 0 && errno == EINVAL)     /* before Linux 6.3 */
		fd = memfd_create("numamma", MFD_CLOEXEC);
	while (fd >= 0 && done < len) {
		ssize_t n = write(fd, watchdog_blob + done, len - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	return fd;
}

/* What the front process does once the tracer is cloned, prepared before
 * the clone: until its exec it shares the tracer's memory, on a stack of
 * its own, with raw system calls only (errno, stdio and the heap are the
 * tracer's from then on). */
struct clone_handoff {
	void *stack;
	void (*fn)(struct clone_handoff *h, long child);     /* never returns */
};
long clone_handing_off(unsigned long flags, struct clone_handoff *h);

static struct {
	int exe_fd;
	char **envp;
	char table_env[64];
} front;
static uint8_t front_stack[64 << 10] __attribute__((aligned(64)));

static _Noreturn void become_watchdog(struct clone_handoff *h, long tracer)
{
	(void)h;
	table->tracer_pid = (pid_t)tracer;
	/* Our exec must leave the shared memory alone: the kernel would zero
	 * the tid in the TCB glibc registered (the tracer's now: its locks
	 * take a tid of 0 for "no owner"; this one, the front's, stays unique
	 * while the tracer lives) and walk its robust-futex list. */
	raw_syscall4(SYS_set_tid_address, 0, 0, 0, 0);
	raw_syscall4(SYS_set_robust_list, 0, 3 * sizeof(void *), 0, 0);
	raw_syscall6(SYS_execveat, front.exe_fd, (long)"", (long)front_argv, (long)front.envp,
		     AT_EMPTY_PATH, 0);
	/* Not exec'd (out of memory, a security module): it watches in
	 * place, sharing the tracer's memory. */
	watchdog_watch(table);
}

static char **watchdog_envp(int table_fd)
{
	size_t n = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = xcalloc(n + 2, sizeof(*envp));
	memcpy(envp, environ, n * sizeof(*envp));
	snprintf(front.table_env, sizeof(front.table_env), "%s%d", WD_TABLE_ENV, table_fd);
	envp[n] = front.table_env;
	return envp;
}

/* A child cloned with CLONE_VM has no restartable-sequence area of its own
 * (the kernel drops its parent's): glibc's sched_getcpu() would read the
 * front process's, frozen at its exec. */
static void own_rseq_area(void)
{
	/* The length glibc registered: the area's 32 bytes, where glibc 2.36
	 * says 20 in __rseq_size (the fields in use), which the kernel
	 * refuses. */
	unsigned len = __rseq_size < 32 ? 32 : __rseq_size;

	if (__rseq_size > 0 && syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
				       len, 0, RSEQ_SIG) < 0)
		debug("the tracer's rseq area: %s", strerror(errno));
}

/* The front process becomes the watchdog and never returns; its child,
 * the tracer, returns 0.  Cloned with the memory shared until the front
 * process's exec, where a fork made the tracer fault in its pages afresh
 * and copy those it wrote (2.5 ms of every profile's start); forked where
 * the watchdog cannot be exec'd or numamma is traced, the front process
 * then watching in place. */
static int start_tracer(bool launch, int table_fd)
{
	static struct clone_handoff handoff = { front_stack + sizeof(front_stack), become_watchdog };
	long tracer;

	table->launch = launch;
	/* A tracer above numamma keeps a child that shares its memory (numamma
	 * does, even with --no-follow: hooks and agent are in it), and with it
	 * every child of that child, the program included, which the tracer
	 * then could not seize: a fork there. */
	front.exe_fd = process_tracer(getpid()) > 0 ? -1 : watchdog_exe();
	if (front.exe_fd >= 0) {
		front.envp = watchdog_envp(table_fd);
		tracer = clone_handing_off(CLONE_VM | SIGCHLD, &handoff);
		if (tracer < 0)
			errno = (int)-tracer;
	} else {
		fflush(NULL);
		tracer = fork();
		if (tracer > 0) {
			table->tracer_pid = (pid_t)tracer;
			watchdog_watch(table);
		}
	}
	if (front.exe_fd >= 0)
		close(front.exe_fd);
	close(table_fd);
	if (table->attached_mem_fd >= 0)
		close(table->attached_mem_fd);
	if (tracer < 0)
		return error_errno("cannot start the tracer");
	/* front.envp stays: the front process's exec reads it when it will. */
	if (front.exe_fd >= 0)
		own_rseq_area();
	return 0;
}

int watchdog_start(pid_t pid)
{
	pid_t watchdog = getpid();
	int fd = watchdog_table_map();
	char path[64];

	if (fd < 0)
		return -1;
	table->main_pid = pid;
	/* Opened now, while we may: the repair must not wait for anything. */
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	table->attached_mem_fd = open(path, O_RDWR);
	if (start_tracer(false, fd) < 0)
		return -1;
	/* The front process gone (even of SIGKILL): detach as on SIGTERM. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != watchdog)
		kill(getpid(), SIGTERM);
	return 0;
}

int watchdog_start_launch(void)
{
	int fd = watchdog_table_map();

	if (fd < 0)
		return -1;
	/* The program is the tracer's child: if the tracer dies, it must
	 * come to us, not to init, so that we can wait for it.  The front
	 * process gone, the tracer goes on, and the program with it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		close(fd);
		return error_errno("cannot become the program's subreaper");
	}
	return start_tracer(true, fd);
}
