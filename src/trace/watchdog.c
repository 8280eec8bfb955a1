/* The watchdog: see include/watchdog.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "tracer_int.h"
#include "watchdog.h"

#define WD_MAX_PROCS   16      /* processes with traps of ours at once */
#define WD_MAX_BPS     4096    /* per process */
#define WD_MAX_AGENTS  8       /* per process: one per exec'd image */
#define WD_MAX_THREADS 8192    /* open addressing on the tid */

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
	struct { uint64_t sp, ret; } r[MAX_PENDING];
};

/* Written by the tracer only, read by the watchdog once the tracer is
 * dead: no locking. */
struct watchdog_table {
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

/* ---- the repair ---- */

int watchdog_repair(const struct watchdog_table *wt, const struct watchdog_mem *mem)
{
	int fixed = 0;
	const uint32_t off = 0;

	/* The agents first: they stop waiting for a tracer that is gone. */
	for (int p = 0; p < WD_MAX_PROCS; p++)
		for (int i = 0; wt->proc_pid[p] && i < wt->procs[p].nagents; i++)
			fixed += mem->write(mem->ctx, wt->proc_pid[p], wt->procs[p].agents[i], &off,
					    sizeof(off)) == 0;
	/* Return addresses then: threads run meanwhile, and a return lands
	 * on the trampoline sooner than a new call on a breakpoint. */
	for (int i = 0; i < WD_MAX_THREADS; i++) {
		const struct wd_thread *w = &wt->threads[i];

		for (int k = 0; w->tid && k < w->n; k++) {
			uint64_t now;

			/* Only where the slot still holds the trampoline: the
			 * stack has moved on otherwise. */
			if (mem->read(mem->ctx, w->pid, w->r[k].sp, &now, 8) == 0 && now == w->tramp &&
			    mem->write(mem->ctx, w->pid, w->r[k].sp, &w->r[k].ret, 8) == 0)
				fixed++;
		}
	}
	for (int p = 0; p < WD_MAX_PROCS; p++) {
		const struct wd_proc *wp = &wt->procs[p];
		pid_t pid = wt->proc_pid[p];

		for (int i = 0; pid && i < wp->nbps; i++) {
			uint8_t now;

			if (mem->read(mem->ctx, pid, wp->bps[i].addr, &now, 1) == 0 && now == 0xcc &&
			    mem->write(mem->ctx, pid, wp->bps[i].addr, &wp->bps[i].orig, 1) == 0)
				fixed++;
		}
	}
	return fixed;
}

/* The watchdog's view of the tracees' memory: /proc/PID/mem, the attached
 * process's opened beforehand (the watchdog is not its ancestor, and the
 * repair must not wait), the others' when needed (a launched program and
 * its forks descend from the watchdog, which may open them). */
struct mem_fds {
	pid_t pid[WD_MAX_PROCS + 1];
	int fd[WD_MAX_PROCS + 1];
	int n;
};

static int mem_fd_of(struct mem_fds *m, pid_t pid)
{
	char path[64];

	for (int i = 0; i < m->n; i++)
		if (m->pid[i] == pid)
			return m->fd[i];
	if (m->n == WD_MAX_PROCS + 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	m->pid[m->n] = pid;
	m->fd[m->n] = open(path, O_RDWR | O_CLOEXEC);
	return m->fd[m->n++];
}

static int mem_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	return pread(mem_fd_of(ctx, pid), buf, len, addr) == (ssize_t)len ? 0 : -1;
}

static int mem_write(void *ctx, pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	return pwrite(mem_fd_of(ctx, pid), buf, len, addr) == (ssize_t)len ? 0 : -1;
}

/* ---- the watchdog process ---- */

static void repair_after(struct mem_fds *fds, int status)
{
	struct watchdog_mem mem = { mem_read, mem_write, fds };
	uint64_t start = now_ns();
	int fixed = watchdog_repair(table, &mem);
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "%s", strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	error("the tracer died (%s): put back %d of its trap bytes and return addresses "
	      "in %llu us", how, fixed, (unsigned long long)(now_ns() - start) / 1000);
}

/* Launch mode: the program, adopted (we are its subreaper), runs to its
 * own end, and numamma ends as it does. */
static _Noreturn void wait_adopted(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			exit(NM_EXIT_FAILURE);
	exit_like(status);
}

/* Waits for the tracer, forwarding the stop requests to it.  Orphans of
 * the program that came to us (launch mode) are reaped as init would;
 * the program itself, if it came to us and ended, is kept in *main. */
static int wait_tracer(pid_t tracer, int *main_status, bool *main_ended)
{
	int status, tracer_status = 0;
	sigset_t mask;

	tracer_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (;;) {
		int sig = sigwaitinfo(&mask, NULL);
		pid_t pid;
		bool tracer_ended = false;

		if (sig > 0 && sig != SIGCHLD)
			kill(tracer, sig);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == tracer) {
				tracer_ended = true;
				tracer_status = status;
			} else if (pid == table->main_pid) {
				*main_ended = true;
				*main_status = status;
			}
		}
		if (tracer_ended)
			return tracer_status;
	}
}

static _Noreturn void watch(pid_t tracer, bool launch, struct mem_fds *fds)
{
	int main_status = 0, status;
	bool main_ended = false;

	status = wait_tracer(tracer, &main_status, &main_ended);
	/* A tracer that finished removed every trap and exits with 0 or the
	 * program's status (dying of the program's signal, if need be).  One
	 * that ended otherwise removed none: killed, or failed on its own
	 * once the program ran (out of memory in an address space the user
	 * limited: the program, untouched by that limit's cut, must run on).
	 * Before the program or the attach, nothing is ours to put back. */
	if (table->finished || (!WIFSIGNALED(status) && table->main_pid <= 0))
		exit_like(status);
	repair_after(fds, status);
	if (launch && main_ended)
		exit_like(main_status);
	if (launch && table->main_pid > 0)
		wait_adopted(table->main_pid);
	if (!WIFSIGNALED(status))
		exit_like(status);
	exit(NM_EXIT_FAILURE);
}

int watchdog_table_map(void)
{
	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (table == MAP_FAILED) {
		table = NULL;
		return error_errno("cannot map the watchdog's table");
	}
	return 0;
}

/* Forks: the caller becomes the watchdog and never returns; the child,
 * the tracer, returns 0. */
static int fork_tracer(bool launch)
{
	static struct mem_fds fds;
	pid_t tracer;

	/* Opened now, while we may: the repair must not wait for anything. */
	if (table->main_pid > 0)
		mem_fd_of(&fds, table->main_pid);
	fflush(NULL);
	tracer = fork();
	if (tracer < 0)
		return error_errno("cannot fork the tracer");
	if (tracer > 0)
		watch(tracer, launch, &fds);
	for (int i = 0; i < fds.n; i++)
		close(fds.fd[i]);
	return 0;
}

int watchdog_start(pid_t pid)
{
	pid_t watchdog = getpid();

	if (watchdog_table_map() < 0)
		return -1;
	table->main_pid = pid;
	if (fork_tracer(false) < 0)
		return -1;
	/* The front process gone (even of SIGKILL): detach as on SIGTERM. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != watchdog)
		kill(getpid(), SIGTERM);
	return 0;
}

int watchdog_start_launch(void)
{
	if (watchdog_table_map() < 0)
		return -1;
	/* The program is the tracer's child: if the tracer dies, it must
	 * come to us, not to init, so that we can wait for it.  The front
	 * process gone, the tracer goes on, and the program with it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return error_errno("cannot become the program's subreaper");
	return fork_tracer(true);
}
