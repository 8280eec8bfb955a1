/* Attaching to a running process: every thread, including those created
 * while we attach, without disturbing any of them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "ownlimits.h"
#include "launch.h"
#include "tracer_int.h"
#include "waitstatus.h"
#include "watchdog.h"

/* "State:" and "TracerPid:" of /proc/PID/status. */
static int read_status(pid_t pid, char *state, pid_t *tracer)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*state = '?';
	*tracer = 0;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "State: %c", state);
		sscanf(line, "TracerPid: %d", tracer);
	}
	fclose(f);
	return 0;
}

/* PF_KTHREAD in the flags of /proc/PID/stat (its seventh field after
 * the state). */
static bool is_kernel_thread(pid_t pid)
{
	char buf[1024];
	const char *fields = tracee_stat_fields(pid, buf, sizeof(buf));
	unsigned flags = 0;

	return fields && sscanf(fields, " %*c %*d %*d %*d %*d %*d %u", &flags) == 1 &&
	       (flags & 0x00200000);    /* PF_KTHREAD */
}

static int count_threads(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

int attach_check(pid_t pid)
{
	char state, exe[64];
	pid_t tracer;

	if (read_status(pid, &state, &tracer) < 0)
		return error("cannot attach to %d: no such process", pid);
	if (tracee_tgid(pid) != pid) {
		error("cannot attach to %d: it is a thread of process %d", pid, tracee_tgid(pid));
		hint("attach to the whole process: -p %d", tracee_tgid(pid));
		return -1;
	}
	if (pid == getpid())
		return error("cannot attach to %d: that is numamma itself", pid);

	/* A main thread that called pthread_exit is a zombie while its
	 * process lives on in its other threads. */
	if ((state == 'Z' || state == 'X') && count_threads(pid) <= 1)
		return error("cannot attach to %d: it is a zombie (exited, not yet reaped)", pid);
	if (tracer)
		return error("cannot attach to %d: already traced by process %d (a debugger or strace?)",
			     pid, tracer);
	if (is_kernel_thread(pid))
		return error("cannot attach to %d: it is a kernel thread (no user memory to profile)", pid);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	switch (elf_check_file(exe)) {
	case ELF_32BIT:
		return error("cannot attach to %d: 32-bit processes are not supported (x86-64 only)", pid);
	case ELF_UNREADABLE:
		if (errno == EACCES || errno == EPERM) {
			error("cannot attach to %d: %s", pid, strerror(errno));
			ptrace_permission_hint(EPERM, pid);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

static bool thread_is_zombie(pid_t tid)
{
	char state;
	pid_t tracer;

	return read_status(tid, &state, &tracer) == 0 && state == 'Z';
}

static int seize_thread(struct tracer *tr, struct proc *p, pid_t tid)
{
	struct tcb *t;

	if (ptrace(PTRACE_SEIZE, tid, 0, (long)TRACE_OPTIONS) < 0) {
		/* Died meanwhile, or a thread created since the last pass that
		 * its creator's clone event already gave us. */
		if (errno == ESRCH || (errno == EPERM && tid != p->pid))
			return 0;
		/* A main thread gone through pthread_exit cannot be seized;
		 * the process lives on in its other threads. */
		if (errno == EPERM && thread_is_zombie(tid))
			return 0;
		return -1;
	}
	if (p->mm_tid == p->pid && tid != p->pid && thread_is_zombie(p->pid)) {
		p->mm_tid = tid;
		proc_open_mem(p);
	}
	t = tcb_new(tr, tid, p);
	t->rank = tid == p->pid ? 0 : p->next_rank++;
	ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	return 1;
}

/* Seizes every thread of /proc/PID/task until a pass finds no new one:
 * threads created meanwhile are caught by the clone option of a thread
 * seized earlier, or by the next pass. */
static int seize_all_threads(struct tracer *tr, struct proc *p)
{
	char path[64];
	int added;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	do {
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d)
			return -1;
		added = 0;
		while ((de = readdir(d))) {
			pid_t tid = atoi(de->d_name);
			int r;

			if (tid <= 0 || tcb_find(tr, tid))
				continue;
			r = seize_thread(tr, p, tid);
			if (r < 0 && tid == p->pid) {
				closedir(d);
				return -1;
			}
			added += r > 0;
		}
		closedir(d);
	} while (added);
	return 0;
}

#define FIRST_STOP_WAIT_NS (2 * 1000000000ULL)

/* Waits for the stop our PTRACE_INTERRUPT asked of thread tid and returns
 * its status, or 0 when the thread did not stop in time.  A signal met on
 * the way is delivered at once: left in its signal-delivery-stop, it
 * would be lost when the main loop injects the scratch mmap from there
 * (the interrupt still pending turns the injection's resume into an
 * interrupt-stop, from which a signal cannot be delivered). */
static int wait_first_stop(pid_t tid)
{
	uint64_t deadline = now_ns() + FIRST_STOP_WAIT_NS;
	int status;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);

		if (r < 0)
			return 0;
		if (r == 0) {
			if (now_ns() > deadline)
				return 0;
			usleep(200);
			continue;
		}
		if (classify_wait_status(status) != TE_SIGNAL)
			return status;
		ptrace(PTRACE_CONT, tid, 0, (long)WSTOPSIG(status));
	}
}

/* Stops every thread at its first stop and hands the statuses to the main
 * loop, interrupt-stops first: the hooks are installed at the first one,
 * from a thread with no signal or interrupt pending, while no thread runs. */
static void collect_first_stops(struct tracer *tr, struct proc *p)
{
	struct deferred_status *later = xcalloc(tr->nr_tcbs, sizeof(*later));
	int nlater = 0;

	for (int i = 0; i < TCB_HASH; i++) {
		for (struct tcb *t = tr->tcb_hash[i]; t; t = t->next) {
			int status = wait_first_stop(t->tid);

			if (!status)
				continue;
			if (classify_wait_status(status) != TE_INTERRUPT_STOP)
				later[nlater++] = (struct deferred_status){ t->tid, status };
			else
				tracer_defer_status(tr, t->tid, status);
		}
	}
	for (int i = 0; i < nlater; i++)
		tracer_defer_status(tr, later[i].tid, later[i].status);
	free(later);
}

int tracer_attach(struct tracer *tr, pid_t pid)
{
	struct proc *p;

	/* From here on, this process is the tracer child of a watchdog,
	 * which repairs the process unless told all is put back. */
	if (attach_check(pid) < 0 || watchdog_start(pid) < 0)
		return -1;
	if (tracer_open_signalfd(tr) < 0) {
		watchdog_finished();
		return -1;
	}
	tracer_install_die_routine(tr);
	own_limits_raise();
	p = proc_new(tr, pid, 0);
	p->attached = true;
	proc_record(tr, p, NULL);
	tr->main_pid = pid;
	if (seize_all_threads(tr, p) < 0) {
		int err = errno;
		error("cannot attach to %d: %s", pid, strerror(err));
		ptrace_permission_hint(err, pid);
		tracer_detach_all(tr);
		watchdog_finished();
		return -1;
	}
	collect_first_stops(tr, p);
	return 0;
}
