/* The watchdog of attach mode: see include/watchdog.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#define WD_MAX_BPS     4096
#define WD_MAX_AGENTS  8
#define WD_MAX_THREADS 8192    /* open addressing on the tid */

struct wd_thread {
	pid_t tid;                 /* 0: free */
	int n;
	uint64_t tramp;
	struct { uint64_t sp, ret; } r[MAX_PENDING];
};

/* Written by the tracer only, read by the watchdog once the tracer is
 * dead: no locking. */
struct watchdog_table {
	pid_t pid;
	int nbps;
	struct { uint64_t addr; uint8_t orig; } bps[WD_MAX_BPS];
	int nagents;
	uint64_t agents[WD_MAX_AGENTS];
	struct wd_thread threads[WD_MAX_THREADS];
};

static struct watchdog_table *table;   /* NULL outside attach mode */

/* ---- the tracer's side ---- */

void watchdog_note_breakpoint(pid_t pid, uint64_t addr, uint8_t orig)
{
	if (!table || pid != table->pid || table->nbps == WD_MAX_BPS)
		return;
	table->bps[table->nbps].addr = addr;
	table->bps[table->nbps].orig = orig;
	table->nbps++;
}

void watchdog_note_agent(pid_t pid, uint64_t state)
{
	if (!table || pid != table->pid || table->nagents == WD_MAX_AGENTS)
		return;
	table->agents[table->nagents++] = state;
}

void watchdog_forget_process(pid_t pid)
{
	if (!table || pid != table->pid)
		return;
	table->nbps = table->nagents = 0;
	for (int i = 0; i < WD_MAX_THREADS; i++)
		table->threads[i].n = 0;
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
			w->n = 0;
			w->tid = tid;
			return w;
		}
	}
	return NULL;
}

void watchdog_note_returns(const struct tcb *t)
{
	struct wd_thread *w;

	if (!table || t->proc->pid != table->pid || !(w = thread_slot(t->tid, t->npending)))
		return;
	for (int i = 0; i < t->npending; i++) {
		w->r[i].sp = t->pending[i].sp;
		w->r[i].ret = t->pending[i].ret_addr;
	}
	w->tramp = t->proc->scratch + SCRATCH_TRAMPOLINE;
	w->n = t->npending;
}

/* ---- the repair ---- */

int watchdog_repair(const struct watchdog_table *wt, const struct watchdog_mem *mem)
{
	int fixed = 0;
	const uint32_t off = 0;

	/* The agents first: they stop waiting for a tracer that is gone. */
	for (int i = 0; i < wt->nagents; i++)
		fixed += mem->write(mem->ctx, wt->agents[i], &off, sizeof(off)) == 0;
	/* Return addresses then: threads run meanwhile, and a return lands
	 * on the trampoline sooner than a new call on a breakpoint. */
	for (int i = 0; i < WD_MAX_THREADS; i++) {
		const struct wd_thread *w = &wt->threads[i];

		for (int k = 0; w->tid && k < w->n; k++) {
			uint64_t now;

			/* Only where the slot still holds the trampoline: the
			 * stack has moved on otherwise. */
			if (mem->read(mem->ctx, w->r[k].sp, &now, 8) == 0 && now == w->tramp &&
			    mem->write(mem->ctx, w->r[k].sp, &w->r[k].ret, 8) == 0)
				fixed++;
		}
	}
	for (int i = 0; i < wt->nbps; i++) {
		uint8_t now;

		if (mem->read(mem->ctx, wt->bps[i].addr, &now, 1) == 0 && now == 0xcc &&
		    mem->write(mem->ctx, wt->bps[i].addr, &wt->bps[i].orig, 1) == 0)
			fixed++;
	}
	return fixed;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pread(*(int *)ctx, buf, len, addr) == (ssize_t)len ? 0 : -1;
}

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return pwrite(*(int *)ctx, buf, len, addr) == (ssize_t)len ? 0 : -1;
}

/* ---- the watchdog process ---- */

static void repair_after(pid_t pid, int mem_fd, int status)
{
	struct watchdog_mem mem = { mem_read, mem_write, &mem_fd };
	uint64_t start = now_ns();
	int fixed = watchdog_repair(table, &mem);

	error("the tracer died (%s): put back %d of its trap bytes and return addresses "
	      "in process %d in %llu us", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit",
	      fixed, pid, (unsigned long long)(now_ns() - start) / 1000);
}

/* Forwards the stop requests to the tracer and waits for it. */
static _Noreturn void watch(pid_t tracer, pid_t pid, int mem_fd)
{
	sigset_t mask;
	int status;

	tracer_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (;;) {
		int sig = sigwaitinfo(&mask, NULL);

		if (sig > 0 && sig != SIGCHLD)
			kill(tracer, sig);
		if (waitpid(tracer, &status, WNOHANG) == tracer)
			break;
	}
	/* A tracer that finished removed every trap and exits with 0 or the
	 * program's status; one killed by a signal removed none. */
	if (!WIFSIGNALED(status))
		exit_like(status);
	repair_after(pid, mem_fd, status);
	exit(NM_EXIT_FAILURE);
}

int watchdog_start(pid_t pid)
{
	char path[64];
	pid_t watchdog = getpid(), tracer;
	int mem_fd;

	/* Opened now, while we may: the repair must not wait for anything. */
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem_fd = open(path, O_RDWR | O_CLOEXEC);
	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (table == MAP_FAILED) {
		table = NULL;
		return error_errno("cannot map the watchdog's table");
	}
	table->pid = pid;
	fflush(NULL);
	tracer = fork();
	if (tracer < 0)
		return error_errno("cannot fork the tracer");
	if (tracer > 0)
		watch(tracer, pid, mem_fd);
	close(mem_fd);
	/* The front process gone (even of SIGKILL): detach as on SIGTERM. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != watchdog)
		kill(getpid(), SIGTERM);
	return 0;
}
