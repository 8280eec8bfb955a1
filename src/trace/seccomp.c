/* Whether a stopped thread's seccomp filters let numamma make it run a
 * system call (an injected one): the filters as the kernel holds them
 * (PTRACE_SECCOMP_GET_FILTER), answered by seccomp_eval.c.  A thread
 * without filters answers at once; filters numamma may not read
 * (without CAP_SYS_ADMIN) are taken as refusing everything. */
#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "error.h"
#include "seccomp_eval.h"
#include "tracer_int.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

/* The filters stacked on a thread, at most: the kernel's own limit is
 * their total size (MAX_INSNS_PER_PATH), not their count. */
#define MAX_FILTERS 64

struct seccomp_state {
	int mode;               /* 0 none, 1 strict, 2 filter; -1: /proc does not say */
	int filters;            /* stacked; -1: /proc does not say (before Linux 5.9) */
};

/* A thread's seccomp state from its /proc status (tid 0: numamma's). */
static struct seccomp_state seccomp_state(pid_t tid)
{
	struct seccomp_state s = { -1, -1 };
	char path[64], line[256], buf[4096];
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/status");
	if (!(f = fopen(path, "re")))
		return s;
	setvbuf(f, buf, _IOFBF, sizeof(buf));     /* see procmaps_lookup() */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &s.mode) != 1)
			sscanf(line, "Seccomp_filters: %d", &s.filters);
	fclose(f);
	return s;
}

int tracee_filters(pid_t pid)
{
	return seccomp_state(pid).filters;
}

/* Filters numamma runs under itself (a container's), which every program
 * it launches inherits: whatever they allow, numamma itself makes (its
 * own memfd, mmap, openat). */
static int own_filters(void)
{
	static int n = -2;

	if (n == -2)
		n = seccomp_state(0).filters;
	return n;
}

static void free_filters(struct seccomp_prog *progs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)progs[i].insns);
}

/* The filters of the stopped thread tid into progs (*n of them, the
 * newest first); 0, or -1 with errno: EINVAL when it has none (no
 * filter mode), EACCES when numamma may not read them. */
static int read_filters(pid_t tid, struct seccomp_prog *progs, size_t *n)
{
	*n = 0;
	for (unsigned long i = 0; i < MAX_FILTERS; i++) {
		long len = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)i, NULL);
		struct sock_filter *insns;

		if (len < 0 && errno == ENOENT && i)
			return 0;
		if (len <= 0)
			goto failed;
		insns = xmalloc((size_t)len * sizeof(*insns));
		progs[(*n)++] = (struct seccomp_prog){ insns, (size_t)len };
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)i, insns) != len)
			goto failed;
	}
	errno = E2BIG;
failed:
	if (!errno)
		errno = EIO;
	free_filters(progs, *n);
	*n = 0;
	return -1;
}

/* No filter to read: a thread in strict mode refuses every call of ours
 * (it reaches no point where numamma injects one, but an attach); one
 * in filter mode that numamma may not read is taken as refusing, unless
 * its filters are as many as numamma's own (numamma in a container: a
 * filter numamma itself may not read, which its programs inherit, and
 * which allows what numamma does itself). */
static bool unread_allows(struct tcb *t, long nr, int err, char *why, size_t len)
{
	struct seccomp_state s = { 0, 0 };
	int mode;

	if (err != EINVAL || t->proc->attached)
		s = seccomp_state(t->tid);
	mode = s.mode;
	if (mode == 0 || (mode == 2 && s.filters > 0 && s.filters <= own_filters()))
		return true;
	if (mode == 1)
		snprintf(why, len, "it runs in seccomp's strict mode, which forbids %s",
			 tracee_call_name(nr));
	else if (err == EACCES || err == EPERM)
		snprintf(why, len, "its seccomp filter, which numamma may not read without "
			 "CAP_SYS_ADMIN, may forbid %s", tracee_call_name(nr));
	else
		snprintf(why, len, "its seccomp filter, which numamma cannot read (%s), may forbid %s",
			 strerror(err), tracee_call_name(nr));
	return false;
}

const char *tracee_call_name(long nr)
{
	switch (nr) {
	case SYS_openat:       return "openat";
	case SYS_mmap:         return "mmap";
	case SYS_munmap:       return "munmap";
	case SYS_close:        return "close";
	case SYS_memfd_create: return "memfd_create";
	case SYS_mbind:        return "mbind";
	case SYS_madvise:      return "madvise";
	case SYS_futex:        return "futex";
	case SYS_kill:         return "kill";
	case SYS_newfstatat:   return "newfstatat";
	case SYS_getxattr:     return "getxattr";
	case SYS_fgetxattr:    return "fgetxattr";
	case SYS_process_vm_readv: return "process_vm_readv";
	}
	return "a system call";
}

/* Not in filter mode: EINVAL for the first filter.  Strict mode says the
 * same; a launched program would have entered it itself, with numamma
 * watching, and is taken, as in unread_allows(), as having none. */
bool tracee_unfiltered(struct tcb *t)
{
	return !t->proc->attached &&
	       ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, (void *)0, NULL) < 0 && errno == EINVAL;
}

bool tracee_may_call(struct tcb *t, long nr, const long args[6], uint64_t ip, char *why,
		     size_t len, int *filters)
{
	struct seccomp_prog progs[MAX_FILTERS];
	struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64,
				  .instruction_pointer = ip };
	size_t n;
	uint32_t ret;
	bool ok;

	if (read_filters(t->tid, progs, &n) < 0) {
		int err = errno;

		if (filters)
			*filters = err == EINVAL ? 0 : -1;
		return unread_allows(t, nr, err, why, len);
	}
	if (filters)
		*filters = (int)n;
	for (int i = 0; i < 6; i++)
		d.args[i] = (uint64_t)args[i];
	ok = seccomp_answer(progs, n, &d, &ret);
	free_filters(progs, n);
	if (!ok)
		snprintf(why, len, "its seccomp filter, which numamma cannot read through, may "
			 "forbid %s", tracee_call_name(nr));
	else if (!seccomp_harmless(ret))
		snprintf(why, len, "its seccomp filter would %s at %s", seccomp_action_name(ret),
			 tracee_call_name(nr));
	return ok && seccomp_harmless(ret);
}
