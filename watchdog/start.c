/* The watchdog as a program of its own: numamma's front process execs it
 * from a memfd the moment it has cloned the tracer (src/trace/watchdog.c),
 * so that the two no longer share an address space (the OOM killer kills
 * every process that shares its victim's) and the tracer keeps its page
 * tables (a fork's child faulted numamma's pages in afresh: 2.5 ms of each
 * profile's start).  A few KiB, no libc: its exec costs little.  Its
 * table's descriptor comes in the environment (its argv is numamma's, as
 * ps showed it). */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "error.h"
#include "raw_syscall.h"
#include "watchdog_table.h"

static int table_fd(char **envp)
{
	static const char key[] = WD_TABLE_ENV;

	for (; *envp; envp++) {
		const char *s = *envp;
		unsigned i = 0;
		int fd = 0;

		while (i < sizeof(key) - 1 && s[i] == key[i])
			i++;
		if (i < sizeof(key) - 1)
			continue;
		for (s += i; *s >= '0' && *s <= '9'; s++)
			fd = fd * 10 + (*s - '0');
		return *s ? -1 : fd;
	}
	return -1;
}

static _Noreturn void refuse(void)
{
	static const char msg[] = "numamma: the watchdog cannot start: it has no table "
				  "(it is numamma's, not to be run by hand)\n";

	raw_syscall4(SYS_write, 2, (long)msg, sizeof(msg) - 1, 0);
	raw_syscall4(SYS_exit_group, NM_EXIT_FAILURE, 0, 0, 0);
	__builtin_unreachable();
}

/* From _start, with the initial stack: argc, argv[], NULL, envp[]. */
_Noreturn void watchdog_main(long *sp)
{
	char **envp = (char **)(sp + 1 + sp[0] + 1);
	int fd = table_fd(envp);
	long table;

	if (fd < 0)
		refuse();
	table = raw_syscall6(SYS_mmap, 0, sizeof(struct watchdog_table), PROT_READ, MAP_SHARED, fd, 0);
	if (table < 0 && table > -4096)
		refuse();
	raw_syscall4(SYS_close, fd, 0, 0, 0);
	/* Named as the front process was (an exec from a descriptor names it
	 * by the descriptor's number). */
	raw_syscall4(SYS_prctl, PR_SET_NAME, (long)"numamma", 0, 0);
	watchdog_watch((const struct watchdog_table *)table);
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call watchdog_main\n"
	"	hlt\n");
