/* Before the program runs: PATH lookup and checks with one-line errors. */
#ifndef NUMAMMA_LAUNCH_H
#define NUMAMMA_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* execvp's lookup: the path to run, or NULL when not found. */
const char *resolve_program(const char *name);
/* Exits 127 (not found) or 126 (cannot run) with one line when the
 * program cannot be traced: missing, not executable, 32-bit, not ELF, a
 * script whose #! interpreter is missing or not executable. */
void check_program_or_die(const char *name, const char *path);
/* Pure: the interpreter a script's first bytes (head, len of them) name
 * as the kernel reads them ("#!", blanks, the path up to a blank or the
 * line's end), in out; -1 when they name none (no #!, an empty or
 * overlong path). */
int shebang_interpreter(const char *head, size_t len, char *out, size_t size);
/* The privilege the program at path would lose under numamma's ptrace
 * ("is set-user-ID", "is set-group-ID", "has file capabilities"): the
 * kernel runs it without them under an unprivileged tracer.  NULL: none. */
const char *privilege_lost_traced(const char *path);
/* The file process pid runs, in path ("" when unreadable). */
void process_exe(pid_t pid, char *path, size_t size);
/* After process pid's exec of exe under numamma's trace: where the
 * kernel ran it without a privilege, numamma could not prevent it, and
 * says it (one warning). */
void warn_privilege_lost(pid_t pid, const char *exe);
/* Does the kernel run a set-user-ID program (or one with file
 * capabilities) without its privilege under this process's tracing? */
bool traced_execs_lose_privilege(void);
/* Says what to change when ptrace of process pid (0: numamma's own
 * child) was refused with err. */
void ptrace_permission_hint(int err, pid_t pid);
/* 1 when processes a and b share one address space (clone with CLONE_VM,
 * not a thread), 0 when not, -1 when the kernel does not say (kcmp). */
int tracee_shares_memory(pid_t a, pid_t b);
/* The thread group of tid, from /proc; -1 if gone. */
pid_t tracee_tgid(pid_t tid);
/* pid's tracer, 0 when none, -1 when pid is gone. */
pid_t process_tracer(pid_t pid);
/* Starts the program at path: a child that sets its signal mask to mask,
 * waits for launch_go() and then execs path with argv.  Its pid, or -1
 * with errno.  Until its exec it shares numamma's memory. */
pid_t launch_held(const char *path, char *const *argv, const sigset_t *mask);
/* Lets launch_held()'s child exec, once it is traced. */
void launch_go(void);
/* Why the program's exec failed (its child then exited 127 or 126); 0
 * while it has not. */
int launch_exec_errno(void);

#endif
