/* The set-ID bit of a program (its st_mode, st_uid, st_gid) that the
 * kernel drops when a process traced by an unprivileged tracer execs it:
 * the set-user-ID bit of a file owned by another than the tracer's
 * effective uid, the set-group-ID bit of one of another group.  Pure, and
 * free of libc: numamma's check (launch.c's privilege_lost_traced()) and
 * the agent's, which asks the kernel itself (agent/agent.c). */
#ifndef NUMAMMA_EXEC_PRIVILEGE_H
#define NUMAMMA_EXEC_PRIVILEGE_H

#include <stdint.h>

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

#endif
