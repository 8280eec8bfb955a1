/* The cpus and memory nodes a process may use: its affinity mask and
 * its cpuset's nodes, as the launcher (mpirun --bind-to, srun
 * --cpu-bind, taskset, numactl, a cgroup cpuset) gave them.  Read from
 * /proc/PID/status, kept as the kernel's lists ("0-3,8"). */
#ifndef NUMAMMA_ALLOWED_H
#define NUMAMMA_ALLOWED_H

#include <sys/types.h>

struct allowed {
	char *cpus;      /* Cpus_allowed_list, NULL unknown */
	char *mems;      /* Mems_allowed_list, NULL unknown */
};

/* Pure: the two lists out of the text of a /proc/PID/status file; a
 * missing line leaves its field NULL. */
void allowed_parse_status(const char *status, struct allowed *a);
/* Reads /proc/PID/status; 0, or -1 (both NULL) when it cannot be read. */
int allowed_read(pid_t pid, struct allowed *a);
void allowed_free(struct allowed *a);

#endif
