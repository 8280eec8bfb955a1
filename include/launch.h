/* Before the program runs: PATH lookup and checks with one-line errors. */
#ifndef NUMAMMA_LAUNCH_H
#define NUMAMMA_LAUNCH_H

#include <sys/types.h>

/* execvp's lookup: the path to run, or NULL when not found. */
const char *resolve_program(const char *name);
/* Exits 127 (not found) or 126 (cannot run) with one line when the
 * program cannot be traced: missing, not executable, 32-bit, not ELF. */
void check_program_or_die(const char *name, const char *path);
/* Says what to change when ptrace was refused with err. */
void ptrace_permission_hint(int err);
/* The thread group of tid, from /proc; -1 if gone. */
pid_t tracee_tgid(pid_t tid);

#endif
