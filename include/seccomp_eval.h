/* What a thread's seccomp filters answer to a system call, worked out
 * before numamma makes the thread run it: an injected call the filter
 * kills or traps would kill the program numamma traces (a sandboxed
 * child, exec'd after its parent installed the filter).
 *
 * The filters are classic BPF programs over struct seccomp_data, run here
 * as the kernel runs them; of several, the answer with the highest
 * precedence wins (KILL_PROCESS over KILL_THREAD over TRAP over ERRNO
 * over USER_NOTIF over TRACE over LOG over ALLOW).  Pure: no system call
 * (the filters are read by tracee.c). */
#ifndef NUMAMMA_SECCOMP_EVAL_H
#define NUMAMMA_SECCOMP_EVAL_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seccomp_prog {
	const struct sock_filter *insns;
	size_t len;
};

/* prog's answer to d (SECCOMP_RET_*, data included); false when the
 * program is not one the kernel would have loaded (an unknown
 * instruction, a jump or load out of bounds, no return). */
bool seccomp_run(const struct seccomp_prog *prog, const struct seccomp_data *d, uint32_t *ret);
/* The answer of every filter together; false as above. */
bool seccomp_answer(const struct seccomp_prog *progs, size_t n, const struct seccomp_data *d,
		    uint32_t *ret);
/* Does an answer let the call go by without harm: run (ALLOW, LOG), or
 * failed with an errno (ERRNO; TRACE, which numamma, not asking for
 * PTRACE_EVENT_SECCOMP, turns into ENOSYS)?  KILL, TRAP (SIGSYS) and
 * USER_NOTIF (a supervisor's say) do not. */
bool seccomp_harmless(uint32_t ret);
/* "kill", "trap"...: ret's action, for messages. */
const char *seccomp_action_name(uint32_t ret);

#endif
