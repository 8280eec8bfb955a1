/* What happens before the program runs: finding it like execvp does,
 * refusing what cannot work with one clear line, explaining ptrace
 * refusals. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "exec_privilege.h"
#include "launch.h"
#include "raw_syscall.h"

static int is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

const char *resolve_program(const char *name)
{
	static char buf[PATH_MAX];
	const char *path = getenv("PATH");
	const char *p, *end;

	if (strchr(name, '/'))
		return name;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "", name);
		if (is_executable_file(buf))
			return buf;
		if (!*end)
			break;
	}
	return NULL;
}

int shebang_interpreter(const char *head, size_t len, char *out, size_t size)
{
	size_t i = 2, start;

	if (len < 2 || head[0] != '#' || head[1] != '!')
		return -1;
	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	for (start = i; i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' &&
	     head[i] != '\0'; i++)
		;
	if (i == start || i - start >= size)
		return -1;
	memcpy(out, head + start, i - start);
	out[i - start] = 0;
	return 0;
}

/* The kernel reads a script's first 256 bytes (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256

/* A script: 1 with its interpreter checked (missing or not executable:
 * the exec would fail once the profile exists), 0 when not a script. */
static int check_script_or_die(const char *name, const char *path)
{
	char head[SHEBANG_MAX], interp[SHEBANG_MAX];
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(head, 1, sizeof(head), f) : 0;

	if (f)
		fclose(f);
	if (len < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	if (shebang_interpreter(head, len, interp, sizeof(interp)) < 0)
		die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': its #! line names no interpreter", name);
	if (access(interp, X_OK) < 0)
		die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': its interpreter %s (#! line): %s", name,
			   interp, strerror(errno));
	return 1;
}

void check_program_or_die(const char *name, const char *path)
{
	struct stat st;

	if (!path)
		die_status(NM_EXIT_NOT_FOUND, "cannot run '%s': command not found", name);
	if (stat(path, &st) < 0)
		die_status(errno == ENOENT ? NM_EXIT_NOT_FOUND : NM_EXIT_CANNOT_RUN,
			   "cannot run '%s': %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': Is a directory", name);
	if (access(path, X_OK) < 0)
		die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': %s", name, strerror(errno));
	switch (elf_check_file(path)) {
	case ELF_OK_64:
		return;
	case ELF_NOT_ELF:
		if (check_script_or_die(name, path))
			return;          /* a script: the kernel runs its interpreter */
		error("cannot run '%s': not an ELF executable or script (no #! line)", name);
		hint("a shell would run it as a shell script: numamma ... -- sh %s", name);
		exit(NM_EXIT_CANNOT_RUN);
	case ELF_32BIT:
		die_status(NM_EXIT_CANNOT_RUN,
			   "cannot run '%s': 32-bit ELF programs are not supported (x86-64 only)", name);
	case ELF_OTHER_MACHINE:
		die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': ELF for another machine (x86-64 only)", name);
	case ELF_UNREADABLE:
		return;          /* execute-only: execve decides, we run without symbols */
	}
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

bool traced_execs_lose_privilege(void)
{
	return geteuid() != 0;
}

const char *privilege_lost_traced(const char *path)
{
	struct stat st;

	if (!traced_execs_lose_privilege() || !path || stat(path, &st) < 0)
		return NULL;
	switch (exec_setid_lost(st.st_mode, st.st_uid, st.st_gid, geteuid(), getegid())) {
	case EXEC_SETUID_LOST: return "is set-user-ID";
	case EXEC_SETGID_LOST: return "is set-group-ID";
	case EXEC_SETID_KEPT: break;
	}
	return getxattr(path, "security.capability", NULL, 0) > 0 ? "has file capabilities" : NULL;
}

void process_exe(pid_t pid, char *path, size_t size)
{
	char link[64];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	len = readlink(link, path, size - 1);
	path[len > 0 ? len : 0] = 0;
}

void warn_privilege_lost(pid_t pid, const char *exe)
{
	const char *what = exe[0] ? privilege_lost_traced(exe) : NULL;

	if (what)
		warning("process %d: %s %s: under a tracer the kernel runs it without that "
			"privilege, and it may behave otherwise than alone (run numamma as root)",
			(int)pid, exe, what);
}

/* Process pid's tracer (0: none) and real and effective uids, from
 * /proc; -1 when gone. */
static int process_status(pid_t pid, pid_t *tracer, uid_t *real, uid_t *effective)
{
	char path[64], line[256];
	unsigned long r, e;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	*tracer = 0;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		sscanf(line, "TracerPid: %d", tracer);
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2) {
			*real = (uid_t)r;
			*effective = (uid_t)e;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

pid_t process_tracer(pid_t pid)
{
	pid_t tracer;
	uid_t real, effective;

	return process_status(pid, &tracer, &real, &effective) < 0 ? -1 : tracer;
}

/* Why numamma may not trace pid when yama is not the reason: another
 * tracer has it (one above numamma that follows children); for an
 * unprivileged numamma, another user's, or its own but non-dumpable (the
 * files in its /proc folder are then root's).  0 when none of these. */
static int hint_process(pid_t pid)
{
	char path[64], comm[64] = "";
	uid_t real, effective;
	struct stat st;
	pid_t tracer;
	FILE *f;

	if (!pid || process_status(pid, &tracer, &real, &effective) < 0)
		return 0;
	if (tracer > 0) {
		snprintf(path, sizeof(path), "/proc/%d/comm", tracer);
		if ((f = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		hint("process %d is traced by process %d (%s), which follows its children: run that "
		     "one so that it does not (numamma --no-follow, strace without -f)", pid, tracer,
		     comm);
		return 1;
	}
	if (geteuid() == 0)
		return 0;
	if (real != geteuid() || effective != geteuid()) {
		hint("process %d runs as another user (uid %lu): numamma needs CAP_SYS_PTRACE, "
		     "or to run as that user", pid, (unsigned long)effective);
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (stat(path, &st) == 0 && st.st_uid != geteuid()) {
		hint("process %d is non-dumpable (prctl(PR_SET_DUMPABLE, 0), or it changed its "
		     "user or group IDs): only a tracer with CAP_SYS_PTRACE may trace it", pid);
		return 1;
	}
	return 0;
}

void ptrace_permission_hint(int err, pid_t pid)
{
	int scope = read_int_file("/proc/sys/kernel/yama/ptrace_scope");

	if (err != EPERM && err != EACCES)
		return;
	if (scope != 3 && hint_process(pid))
		return;
	if (scope == 3)
		hint("/proc/sys/kernel/yama/ptrace_scope is 3: ptrace is off until reboot");
	else if (scope >= 1)
		hint("/proc/sys/kernel/yama/ptrace_scope is %d: consider `sysctl kernel.yama.ptrace_scope=0`, "
		     "or run numamma with CAP_SYS_PTRACE", scope);
	else
		hint("ptrace is refused (seccomp or a container?): numamma needs CAP_SYS_PTRACE "
		     "or the same user as the program");
}

int tracee_shares_memory(pid_t a, pid_t b)
{
	long same = syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0);

	return same < 0 ? -1 : same == 0;
}

pid_t tracee_tgid(pid_t tid)
{
	char path[64], line[256];
	FILE *f;
	pid_t tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* ---- the program's process ----
 * A child that shares numamma's memory until its exec (clone with
 * CLONE_VM, as posix_spawn does, but not suspending numamma: numamma must
 * seize it while it waits, on a futex, before its exec).  A fork copied the
 * page tables of numamma's address space, and every page numamma wrote
 * after it faulted once (copy-on-write): in a VM that traps page-table
 * changes, 1.5-2 ms of each profile's start.  Sharing numamma's memory,
 * the child uses nothing of it but what it reads: raw system calls, no
 * errno (numamma's thread's), no stdio; numamma says why an exec failed.
 * A SIGSTOP of its own instead of the futex (a stopped child seized, then
 * its SIGCONT's stops) cost the start 0.5 ms. */
struct launch_child {
	const char *path;
	char *const *argv;
	const sigset_t *mask;
	volatile int exec_errno;
	int go;
};

static int run_child(void *arg)
{
	struct launch_child *lc = arg;
	long ret;

	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)lc->mask, 0, _NSIG / 8);
	while (!__atomic_load_n(&lc->go, __ATOMIC_ACQUIRE))
		raw_syscall4(SYS_futex, (long)&lc->go, FUTEX_WAIT, 0, 0);
	ret = raw_syscall4(SYS_execve, (long)lc->path, (long)lc->argv, (long)environ, 0);
	lc->exec_errno = (int)-ret;
	raw_syscall4(SYS_exit, -ret == ENOENT ? NM_EXIT_NOT_FOUND : NM_EXIT_CANNOT_RUN, 0, 0, 0);
	return 0;
}

static struct launch_child launched;
/* The child's stack until its exec: run_child()'s frame alone. */
static uint8_t child_stack[16384] __attribute__((aligned(64)));

pid_t launch_held(const char *path, char *const *argv, const sigset_t *mask)
{
	launched = (struct launch_child){ path, argv, mask, 0, 0 };
	return clone(run_child, child_stack + sizeof(child_stack), CLONE_VM | SIGCHLD, &launched);
}

void launch_go(void)
{
	__atomic_store_n(&launched.go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &launched.go, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int launch_exec_errno(void)
{
	return launched.exec_errno;
}
