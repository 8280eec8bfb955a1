/* move_pages(2) without libnuma: its wrapper's object pulls in libnuma's
 * constructor (numa_init(): some thirty system calls reading sysfs and
 * setting the memory policy, 0.3 ms of every numamma start), for nothing
 * numamma uses; the constants and the rest come from <numaif.h>.  As
 * move_pages(2): 0, or -1 with errno. */
#ifndef NUMAMMA_NUMA_SYSCALL_H
#define NUMAMMA_NUMA_SYSCALL_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline long nm_move_pages(pid_t pid, unsigned long count, void **pages, const int *nodes,
				 int *status, int flags)
{
	return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

#endif
