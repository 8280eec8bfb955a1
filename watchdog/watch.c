/* The watchdog's life: see include/watchdog.h.  Freestanding, on raw
 * system calls: it runs as a program of its own (watchdog/start.c), with
 * nothing of numamma's address space, or in place where it could not be
 * exec'd (src/trace/watchdog.c), where libc's state is the tracer's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "error.h"
#include "raw_syscall.h"
#include "watchdog_table.h"

#define SIGBIT(sig) (1ull << ((sig) - 1))

/* ---- a line on stderr, without stdio ---- */

struct line {
	char buf[256];
	unsigned len;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_num(struct line *l, unsigned long long v)
{
	char digits[24];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

static void say(struct line *l)
{
	l->buf[l->len++] = '\n';
	raw_syscall4(SYS_write, 2, (long)l->buf, l->len, 0);
}

static uint64_t monotonic_ns(void)
{
	struct { long sec, nsec; } ts = { 0, 0 };

	raw_syscall4(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0);
	return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}

/* ---- the tracees' memory: /proc/PID/mem ---- */

/* The attached process's was opened beforehand (the watchdog is not its
 * ancestor, and the repair must not wait); the others are opened when
 * needed (a launched program and its forks descend from the watchdog,
 * which may open them). */
struct mem_fds {
	pid_t pid[WD_MAX_PROCS + 1];
	int fd[WD_MAX_PROCS + 1];
	int n;
};

static int mem_fd_of(struct mem_fds *m, pid_t pid)
{
	struct line path = { .len = 0 };

	for (int i = 0; i < m->n; i++)
		if (m->pid[i] == pid)
			return m->fd[i];
	if (m->n == WD_MAX_PROCS + 1)
		return -1;
	put_str(&path, "/proc/");
	put_num(&path, (unsigned)pid);
	put_str(&path, "/mem");
	path.buf[path.len] = 0;
	m->pid[m->n] = pid;
	m->fd[m->n] = (int)raw_syscall4(SYS_open, (long)path.buf, O_RDWR | O_CLOEXEC, 0, 0);
	return m->fd[m->n++];
}

static int mem_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	long fd = mem_fd_of(ctx, pid);

	return raw_syscall4(SYS_pread64, fd, (long)buf, (long)len, (long)addr) == (long)len ? 0 : -1;
}

static int mem_write(void *ctx, pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	long fd = mem_fd_of(ctx, pid);

	return raw_syscall4(SYS_pwrite64, fd, (long)buf, (long)len, (long)addr) == (long)len ? 0 : -1;
}

/* ---- ending ---- */

/* As the status says: the same exit code, or death by the same signal
 * (without a core file of our own). */
static _Noreturn void exit_like_status(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct { uint64_t cur, max; } no_core = { 0, 0 };
		struct { long handler, flags, restorer; uint64_t mask; } dfl = { 0, 0, 0, 0 };
		uint64_t set = SIGBIT(sig);

		raw_syscall4(SYS_prlimit64, 0, RLIMIT_CORE, (long)&no_core, 0);
		raw_syscall4(SYS_rt_sigaction, sig, (long)&dfl, 0, sizeof(set));
		raw_syscall4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, sizeof(set));
		raw_syscall4(SYS_kill, raw_syscall4(SYS_getpid, 0, 0, 0, 0), sig, 0, 0);
		raw_syscall4(SYS_exit_group, 128 + sig, 0, 0, 0);
	}
	raw_syscall4(SYS_exit_group, WIFEXITED(status) ? WEXITSTATUS(status) : NM_EXIT_FAILURE, 0, 0, 0);
	__builtin_unreachable();
}

static void repair_after(const struct watchdog_table *wt, int status)
{
	static struct mem_fds fds;
	struct watchdog_mem mem = { mem_read, mem_write, &fds };
	struct line l = { .len = 0 };
	uint64_t start = monotonic_ns();
	int fixed;

	if (wt->attached_mem_fd >= 0) {
		fds.pid[0] = wt->main_pid;
		fds.fd[0] = wt->attached_mem_fd;
		fds.n = 1;
	}
	fixed = watchdog_repair(wt, &mem);
	put_str(&l, "numamma: the tracer died (");
	if (WIFSIGNALED(status) && WTERMSIG(status) < WD_SIGNAMES) {
		put_str(&l, wt->signame[WTERMSIG(status)]);
	} else {
		put_str(&l, WIFSIGNALED(status) ? "signal " : "exit ");
		put_num(&l, WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	put_str(&l, "): put back ");
	put_num(&l, fixed);
	put_str(&l, " of its trap bytes and return addresses in ");
	put_num(&l, (monotonic_ns() - start) / 1000);
	put_str(&l, " us");
	say(&l);
}

/* Launch mode: the program, adopted (we are its subreaper), runs to its
 * own end, and numamma ends as it does. */
static _Noreturn void wait_adopted(pid_t pid)
{
	int status;
	long ret;

	while ((ret = raw_syscall4(SYS_wait4, pid, (long)&status, 0, 0)) < 0)
		if (ret != -EINTR)
			raw_syscall4(SYS_exit_group, NM_EXIT_FAILURE, 0, 0, 0);
	exit_like_status(status);
}

/* Waits for the tracer, forwarding the stop requests to it.  Orphans of
 * the program that came to us (launch mode) are reaped as init would;
 * the program itself, if it came to us and ended, is kept in *main. */
static int wait_tracer(const struct watchdog_table *wt, int *main_status, bool *main_ended)
{
	uint64_t mask = SIGBIT(SIGCHLD) | SIGBIT(SIGINT) | SIGBIT(SIGTERM) | SIGBIT(SIGHUP);

	raw_syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, sizeof(mask));
	for (;;) {
		uint64_t info[16];     /* a siginfo_t */
		long sig = raw_syscall4(SYS_rt_sigtimedwait, (long)&mask, (long)info, 0, sizeof(mask));
		int status = 0, tracer_status = 0;
		bool tracer_ended = false;
		long pid;

		if (sig > 0 && sig != SIGCHLD)
			raw_syscall4(SYS_kill, wt->tracer_pid, sig, 0, 0);
		while ((pid = raw_syscall4(SYS_wait4, -1, (long)&status, WNOHANG, 0)) > 0) {
			if (pid == wt->tracer_pid) {
				tracer_ended = true;
				tracer_status = status;
			} else if (pid == wt->main_pid) {
				*main_ended = true;
				*main_status = status;
			}
		}
		if (tracer_ended)
			return tracer_status;
	}
}

_Noreturn void watchdog_watch(const struct watchdog_table *wt)
{
	int main_status = 0, status;
	bool main_ended = false;

	status = wait_tracer(wt, &main_status, &main_ended);
	/* A tracer that finished removed every trap and exits with 0 or the
	 * program's status (dying of the program's signal, if need be).  One
	 * that ended otherwise removed none: killed, or failed on its own
	 * once the program ran (out of memory in an address space the user
	 * limited: the program, untouched by that limit's cut, must run on).
	 * Before the program or the attach, nothing is ours to put back. */
	if (wt->finished || (!WIFSIGNALED(status) && wt->main_pid <= 0))
		exit_like_status(status);
	repair_after(wt, status);
	if (wt->launch && main_ended)
		exit_like_status(main_status);
	if (wt->launch && wt->main_pid > 0)
		wait_adopted(wt->main_pid);
	if (!WIFSIGNALED(status))
		exit_like_status(status);
	raw_syscall4(SYS_exit_group, NM_EXIT_FAILURE, 0, 0, 0);
	__builtin_unreachable();
}
