/* One counted run: numamma stat's launch and attach modes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "ownlimits.h"
#include "exitstop.h"
#include "launch.h"
#include "stat.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The child: waits for numamma's go (its events open), then execs.  An
 * exec failure goes back as errno through the close-on-exec pipe. */
static _Noreturn void child(char **argv, int go, int report)
{
	char c;
	int err;

	/* No go byte: numamma died before it; the program must not run uncounted. */
	if (read(go, &c, 1) != 1)
		_exit(NM_EXIT_FAILURE);
	execvp(argv[0], argv);
	err = errno;
	if (write(report, &err, sizeof(err)) < 0)
		_exit(NM_EXIT_FAILURE);
	_exit(err == ENOENT ? NM_EXIT_NOT_FOUND : NM_EXIT_CANNOT_RUN);
}

static volatile pid_t program;

static void forward(int sig)
{
	kill(program, sig);
}

/* As time(1) and perf stat: Ctrl-C and Ctrl-\ reach the program from the
 * terminal, numamma outlives it to print what it counted, then dies of
 * the same signal.  SIGTERM and SIGHUP sent to numamma alone are passed
 * on to the program (as numamma profile does), with the same end.  Ctrl-Z
 * stops the program first, then numamma (exitstop.c): were numamma
 * stopped first, the program's stop would wait for it, past the `fg`. */
static void outlive_program(pid_t pid)
{
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };

	program = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The one stop at the main thread's exit, where numa_maps is read; the
 * reason in r->resident.why when there is none.  A program that tracing
 * would run without its privileges (sudo, ping) is not traced; numamma
 * not root, the program stops after each exec too (exec_seen()). */
static bool seize(struct stat_result *r, const char *name)
{
	if (privilege_lost_traced(resolve_program(name))) {
		snprintf(r->resident.why, sizeof(r->resident.why), "not read: tracing '%s' would "
			 "run it without its setuid bit or file capabilities", name);
		return false;
	}
	if (exitstop_seize(r->pid, traced_execs_lose_privilege()) < 0) {
		snprintf(r->resident.why, sizeof(r->resident.why),
			 "cannot trace the program to read its pages at exit: %s", strerror(errno));
		return false;
	}
	return true;
}

static void read_resident(pid_t pid, void *arg)
{
	resident_read(pid, arg);
}

/* After an exec of the traced program (a shell's `exec sudo ...`): the
 * kernel ran a set-ID program without its privilege under numamma's
 * trace, which numamma could not know before the call (no stop there:
 * the lightest trace); it says so, as profile does of the program it
 * launches. */
static void exec_seen(pid_t pid, void *arg)
{
	char exe[PATH_MAX];

	(void)arg;
	process_exe(pid, exe, sizeof(exe));
	warn_privilege_lost(pid, exe);
}

/* After the program ended: the errno of its failed exec, or 0. */
static int exec_error(int report)
{
	int err;

	if (read(report, &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = 0;
	close(report);
	return err;
}

int stat_launch(struct stat_result *r, char **argv)
{
	int go[2], report[2], err;
	bool seized;
	double start;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
		die_errno("cannot create a pipe");
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0)
		die_errno("cannot fork");
	if (r->pid == 0)
		child(argv, go[0], report[1]);
	close(go[0]);
	close(report[1]);
	stat_events_open(&r->events, &r->pid, 1, true);
	seized = seize(r, argv[0]);
	numa_snapshot_take(&r->before);
	outlive_program(r->pid);
	start = now();
	if (write(go[1], "g", 1) != 1)
		die_errno("cannot start the program");
	close(go[1]);
	r->status = exitstop_wait(r->pid, seized,
				  &(struct exitstop_hooks){ read_resident, exec_seen, &r->resident });
	r->elapsed = now() - start;
	if ((err = exec_error(report[0])))
		return err;
	stat_events_read(&r->events);
	numa_snapshot_take(&r->after);
	return 0;
}

/* The threads of pid, from /proc/PID/task.  How many, or -1 with errno. */
static int list_threads(pid_t pid, pid_t **tids)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	*tids = NULL;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		*tids = xrealloc(*tids, (n + 1) * sizeof(**tids));
		(*tids)[n++] = atoi(d->d_name);
	}
	closedir(dir);
	return n;
}

/* Until the duration ends, the process exits, or Ctrl-C, SIGTERM or SIGHUP
 * (the signals then consumed: numamma ends normally).  Whether it exited. */
static bool wait_window(int pidfd, double duration)
{
	struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN }, { .events = POLLIN } };
	double end = now() + duration;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fds[1].fd = signalfd(-1, &mask, SFD_CLOEXEC);
	for (;;) {
		double left = end - now();
		int ms = duration > 0 ? (left > 0 ? (int)(left * 1000) + 1 : 0) : -1;
		int n = poll(fds, 2, ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (fds[1].revents & POLLIN))
			return false;
		if (fds[0].revents)
			return true;
	}
}

/* The process's command line, arguments separated by spaces, for the
 * header; "process PID" when unreadable (a zombie's is empty). */
static char *attached_command(pid_t pid)
{
	char path[64], buf[4096];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((f = fopen(path, "re"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	while (n > 0 && buf[n - 1] == 0)
		n--;
	if (!n)
		return xasprintf("process %d", (int)pid);
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	return xstrdup(buf);
}

/* Whether pid runs as our user: perf counts another user's process only
 * with CAP_SYS_PTRACE, whatever perf_event_paranoid says. */
static bool owned(pid_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) < 0 || st.st_uid == geteuid();
}

int stat_attach(struct stat_result *r, pid_t pid, double duration)
{
	const struct stat_event *clock;
	pid_t *tids;
	int n = list_threads(pid, &tids), pidfd;
	pid_t tgid = tracee_tgid(pid);
	double start;

	if (tgid > 0 && tgid != pid)
		return error("stat: cannot attach to %d: it is a thread of process %d", (int)pid,
			     (int)tgid);
	if (n <= 0)
		return error("stat: cannot attach to process %d: %s", (int)pid,
			     n < 0 && errno != ENOENT ? strerror(errno) : "no such process");
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return error_errno("stat: cannot attach to process %d", (int)pid);
	own_limits_raise();
	r->pid = pid;
	r->attached = true;
	r->command = attached_command(pid);
	numa_snapshot_take(&r->before);
	stat_events_open(&r->events, tids, n, false);
	free(tids);
	clock = &r->events.ev[0];    /* task-clock: if it cannot open, nothing can */
	if (clock->why[0] && !owned(pid))
		return error("stat: cannot count process %d: it belongs to another user "
			     "(numamma needs CAP_SYS_PTRACE for it)", (int)pid);
	if (clock->why[0])
		return error("stat: cannot count process %d: %s", (int)pid, clock->why);
	start = now();
	r->exited_during = wait_window(pidfd, duration);
	r->elapsed = now() - start;
	if (r->exited_during)
		snprintf(r->resident.why, sizeof(r->resident.why), "the process exited meanwhile");
	else
		resident_read(pid, &r->resident);
	stat_events_read(&r->events);
	numa_snapshot_take(&r->after);
	close(pidfd);
	return 0;
}
