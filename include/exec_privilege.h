/* The set-ID bit of a program (its st_mode, st_uid, st_gid) that the
 * kernel drops when a process traced by an unprivileged tracer execs it:
 * the set-user-ID bit of a file owned by another than the tracer's
 * effective uid, the set-group-ID bit of one of another group; and which
 * program an exec call names.  Pure, and free of libc: numamma's check
 * (launch.c's privilege_lost_traced(), tracer.c) and the agent's, which
 * asks the kernel itself (agent/agent.c). */
#ifndef NUMAMMA_EXEC_PRIVILEGE_H
#define NUMAMMA_EXEC_PRIVILEGE_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc_event.h"

enum exec_setid { EXEC_SETID_KEPT, EXEC_SETUID_LOST, EXEC_SETGID_LOST };

#define EXEC_MODE_SETUID 04000
#define EXEC_MODE_SETGID 02000

static inline enum exec_setid exec_setid_lost(uint32_t mode, uint32_t uid, uint32_t gid,
					      uint32_t tracer_euid, uint32_t tracer_egid)
{
	if ((mode & EXEC_MODE_SETUID) && uid != tracer_euid)
		return EXEC_SETUID_LOST;
	if ((mode & EXEC_MODE_SETGID) && gid != tracer_egid)
		return EXEC_SETGID_LOST;
	return EXEC_SETID_KEPT;
}

/* The program an exec call runs, as execveat(2) names it: path from the
 * directory dirfd (EXEC_AT_FDCWD: the working directory; an absolute path
 * ignores it), or the file dirfd itself where path is empty (0 here) and
 * flags hold EXEC_AT_EMPTY_PATH. */
struct exec_call {
	int32_t dirfd;
	int32_t flags;
	uint64_t path;          /* in the calling process */
};

#define EXEC_AT_FDCWD (-100)
#define EXEC_AT_SYMLINK_NOFOLLOW 0x100
#define EXEC_AT_EMPTY_PATH 0x1000
#define EXEC_SYS_EXECVE 59
#define EXEC_SYS_EXECVEAT 322

/* The exec a call of fn makes, from its first six arguments (a[0] in
 * rdi): execve, execveat, fexecve, or syscall(3) making the system call
 * of either.  false where it makes none. */
static inline bool exec_call_of(int fn, const uint64_t *a, struct exec_call *e)
{
	if (fn == FN_SYSCALL && (a[0] == EXEC_SYS_EXECVE || a[0] == EXEC_SYS_EXECVEAT))
		return exec_call_of(a[0] == EXEC_SYS_EXECVE ? FN_EXECVE : FN_EXECVEAT, a + 1, e);
	if (fn == FN_EXECVE)
		*e = (struct exec_call){ EXEC_AT_FDCWD, 0, a[0] };
	else if (fn == FN_EXECVEAT)
		*e = (struct exec_call){ (int32_t)a[0], (int32_t)a[4], a[1] };
	else if (fn == FN_FEXECVE)
		*e = (struct exec_call){ (int32_t)a[0], EXEC_AT_EMPTY_PATH, 0 };
	else
		return false;
	return true;
}

/* An exec call in the agent's stop for numamma (agent_call_trap()'s two
 * words after the function): dirfd and flags in one word, then the path. */
static inline uint64_t exec_call_word(const struct exec_call *e)
{
	return (uint32_t)e->dirfd | (uint64_t)(uint32_t)e->flags << 32;
}

static inline struct exec_call exec_call_at_stop(uint64_t word, uint64_t path)
{
	return (struct exec_call){ (int32_t)word, (int32_t)(word >> 32), path };
}

/* "/proc/self/fd/DIRFD/PATH" in buf: a path from a directory's
 * descriptor, as getxattr(2) names it; false where it does not fit. */
static inline bool exec_path_from_fd(char *buf, uint32_t size, int32_t dirfd, const char *path)
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	uint32_t n = 0, d = 0, v = (uint32_t)dirfd;

	if (dirfd < 0 || size < sizeof(prefix) + sizeof(digits) + 1)
		return false;
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (uint32_t i = 0; prefix[i]; i++)
		buf[n++] = prefix[i];
	while (d)
		buf[n++] = digits[--d];
	buf[n++] = '/';
	for (; *path; path++) {
		if (n + 1 >= size)
			return false;
		buf[n++] = *path;
	}
	buf[n] = 0;
	return true;
}

#endif
