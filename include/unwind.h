/* Remote unwinding with libunwind-ptrace.  One address space with
 * UNW_CACHE_GLOBAL for all tracees (caches are flushed when mappings
 * change), one _UPT handle per thread. */
#ifndef NUMAMMA_UNWIND_H
#define NUMAMMA_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct unwind_thread;

int unwind_init(void);                 /* once; -1 + error line */
void unwind_flush_caches(void);        /* after dlopen/munmap of code */
/* libunwind itself is set up at the thread's first unwind. */
struct unwind_thread *unwind_thread_new(pid_t tid);
void unwind_thread_free(struct unwind_thread *ut);
/* Unwinds the stopped thread: ips[0] is the current ip.  Returns the
 * number of frames (>= 1 unless the thread is gone: 0). */
int unwind_stack(struct unwind_thread *ut, uint64_t *ips, int max);
/* The same from registers the caller already has (the tracer read them
 * at the trap): one ptrace call less, and rip may differ from the
 * thread's (a breakpoint's address rather than after its int3). */
struct user_regs_struct;
int unwind_stack_from(struct unwind_thread *ut, const struct user_regs_struct *regs,
		      uint64_t *ips, int max);
/* Whether, from those registers (at a function's entry), the unwind
 * passes a frame whose return address is saved at slot, within max
 * frames: that frame is still on the call chain. */
bool unwind_passes_slot(struct unwind_thread *ut, const struct user_regs_struct *regs,
			uint64_t slot, int max);

#endif
