/* System calls without libc: no errno, no TLS, nothing of the caller's
 * but its registers.  For code that runs where libc's state is not its
 * own: the agent, inside the program, and the program's child before its
 * exec, inside numamma's memory (src/trace/launch.c).  x86-64: the
 * result, or -errno. */
#ifndef NUMAMMA_RAW_SYSCALL_H
#define NUMAMMA_RAW_SYSCALL_H

static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}

static inline long raw_syscall4(long nr, long a, long b, long c, long d)
{
	return raw_syscall6(nr, a, b, c, d, 0, 0);
}

#endif
