/* sandboxed NAME...: a program that sandboxes itself, then allocates.
 * It installs a seccomp filter that kills it at any of the system calls
 * NAME (none of which it makes itself), as a filter allowing only what a
 * program uses would; "openat-rw" kills it at an openat for writing only
 * (the loader's, reading, goes by); no NAME, no filter.  Then a thread
 * (its first allocation after the filter), a fork child and an exec'd
 * child (this program again, as "sandboxed child") each allocate a 2 MiB
 * block.  What each part saw goes to stdout. */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK (2 << 20)

static const struct { const char *name; long nr; } calls[] = {
	{ "gettid", SYS_gettid },
	{ "clock_gettime", SYS_clock_gettime },
	{ "open", SYS_open },
	{ "memfd_create", SYS_memfd_create },
	{ "openat", SYS_openat },
};

static long nr_of(const char *name)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(calls[i].name, name))
			return calls[i].nr;
	fprintf(stderr, "sandboxed: no system call '%s' here\n", name);
	exit(2);
}

/* One JEQ and a KILL per name (openat-rw: a JEQ, then its flags
 * tested), then ALLOW. */
static void sandbox(char **names, int n)
{
	struct sock_filter f[2 + 5 * 8];
	struct sock_fprog prog = { 0, f };
	int k = 0;

	if (n > 8)
		exit(2);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], "openat-rw")) {
			f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 4);
			f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				offsetof(struct seccomp_data, args[2]));
			f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
							      O_WRONLY | O_RDWR, 0, 1);
			f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
			f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
			continue;
		}
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr_of(names[i]), 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)k;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		exit(2);
	}
}

static int allocate(void)
{
	char *p = malloc(BLOCK);
	int ok;

	if (!p)
		return 0;
	memset(p, 1, BLOCK);
	ok = p[BLOCK - 1] == 1;
	free(p);
	return ok;
}

static void *thread(void *arg)
{
	return (void *)(intptr_t)allocate();
}

/* The child's status, as "exit N" or "signal N". */
static void report(const char *what, pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		printf("%s: not waited for\n", what);
	else if (WIFEXITED(st))
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	else
		printf("%s: signal %d\n", what, WTERMSIG(st));
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *ok;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "child"))
		return allocate() ? 0 : 1;
	if (argc > 1)
		sandbox(argv + 1, argc - 1);
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, &ok);
	printf("thread: %s\n", ok ? "allocated" : "failed");
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(allocate() ? 0 : 1);
	report("fork child", pid);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(127);
	}
	report("exec'd child", pid);
	return 0;
}
