/* deny-syscall NAME ERRNO -- PROG ARGS: runs PROG with the syscall NAME
 * (perf_event_open, ptrace or getxattr) failing with ERRNO, through a
 * seccomp filter, the way a container or a hardened kernel refuses it;
 * ERRNO "kill": the filter kills the process that makes the call. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long nr;

	if (argc < 5 || strcmp(argv[3], "--"))
		return 2;
	if (!strcmp(argv[1], "perf_event_open"))
		nr = SYS_perf_event_open;
	else if (!strcmp(argv[1], "ptrace"))
		nr = SYS_ptrace;
	else if (!strcmp(argv[1], "getxattr"))
		nr = SYS_getxattr;
	else
		return 2;
	unsigned int action = !strcmp(argv[2], "kill") ? SECCOMP_RET_KILL_PROCESS :
			      SECCOMP_RET_ERRNO | (atoi(argv[2]) & SECCOMP_RET_DATA);
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		return 2;
	}
	execvp(argv[4], argv + 4);
	perror(argv[4]);
	return 127;
}
