/* sandboxed NAME...: a program that sandboxes itself, then allocates.
 * It installs a seccomp filter that kills it at any of the system calls
 * NAME (none of which it makes itself), as a filter allowing only what a
 * program uses would; "openat-rw" kills it at an openat for writing only
 * (the loader's, reading, goes by), "futex-wait" at a shared FUTEX_WAIT
 * (private ones go by), "kill-urg" at a kill(2) of SIGURG (its own of
 * SIGSTOP and SIGCONT go by), "get-fs" at an arch_prctl(ARCH_GET_FS)
 * (the ARCH_SET_FS of the exec'd child's loader goes by); no NAME, no
 * filter.  Then a thread (its first
 * allocation after the filter), a fork child and an exec'd child (this
 * program again, as "sandboxed child") each allocate a 2 MiB block.
 * What each part saw goes to stdout.
 *
 * SANDBOXED_STORM=N: the thread then makes N rounds of malloc and free,
 * while the main thread stops its tracer for 300 ms, if it has one: the
 * calls fill their ring meanwhile.  With SANDBOXED_LATE too, the main
 * thread makes them first, 500 ms after the filter, with no thread or
 * child started in between (no stop of its tracer's). */
#include <fcntl.h>
#include <asm/prctl.h>
#include <linux/futex.h>
#include <signal.h>
#include <time.h>
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
	{ "mbind", SYS_mbind },
	{ "move_pages", SYS_move_pages },
};

static long nr_of(const char *name)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(calls[i].name, name))
			return calls[i].nr;
	fprintf(stderr, "sandboxed: no system call '%s' here\n", name);
	exit(2);
}

/* At f[k]: system call nr is killed when its argument arg passes test
 * (BPF_JEQ, BPF_JSET) against value, allowed otherwise.  Returns the
 * next k. */
static int deny_when(struct sock_filter *f, int k, long nr, int arg, int test, uint32_t value)
{
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, args[arg]));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | test | BPF_K, value, 0, 1);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return k;
}

/* One JEQ and a KILL per name (futex-wait, kill-urg, get-fs, openat-rw:
 * an argument tested too), then ALLOW. */
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
		if (!strcmp(names[i], "futex-wait")) {
			k = deny_when(f, k, SYS_futex, 1, BPF_JEQ, FUTEX_WAIT);
			continue;
		}
		if (!strcmp(names[i], "kill-urg")) {
			k = deny_when(f, k, SYS_kill, 1, BPF_JEQ, SIGURG);
			continue;
		}
		if (!strcmp(names[i], "get-fs")) {
			k = deny_when(f, k, SYS_arch_prctl, 0, BPF_JEQ, ARCH_GET_FS);
			continue;
		}
		if (!strcmp(names[i], "openat-rw")) {
			k = deny_when(f, k, SYS_openat, 2, BPF_JSET, O_WRONLY | O_RDWR);
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

static void storm(void)
{
	const char *n = getenv("SANDBOXED_STORM");

	for (long i = n ? atol(n) : 0; i > 0; i--) {
		char *volatile p = malloc(16 + i % 512);

		free(p);
	}
}

static void *thread(void *arg)
{
	int ok = allocate();

	if (!getenv("SANDBOXED_LATE"))
		storm();
	return (void *)(intptr_t)ok;
}

/* The tracer's pid, from /proc/self/status; 0: none. */
static pid_t tracer(void)
{
	char line[256];
	int pid = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

/* The tracer stopped for 300 ms, while the thread storms; continued by
 * a child of its own, should this process die meanwhile. */
static void hold_tracer(pid_t pid)
{
	struct timespec pause = { 0, 300 * 1000 * 1000 };

	if (!pid || !getenv("SANDBOXED_STORM"))
		return;
	if (!fork()) {
		nanosleep(&pause, NULL);
		kill(pid, SIGCONT);
		_exit(0);
	}
	kill(pid, SIGSTOP);
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
	pid_t pid, traced_by;

	if (argc == 2 && !strcmp(argv[1], "child"))
		return allocate() ? 0 : 1;
	traced_by = tracer();
	if (argc > 1)
		sandbox(argv + 1, argc - 1);
	/* At once, numamma stopping nothing of it in between: its agent
	 * learns of the filter from the prctl() call itself. */
	if (getenv("SANDBOXED_NOW"))
		storm();
	if (getenv("SANDBOXED_LATE")) {
		struct timespec later = { 0, 500 * 1000 * 1000 };

		nanosleep(&later, NULL);
		hold_tracer(traced_by);
		storm();
	}
	pthread_create(&t, NULL, thread, NULL);
	if (!getenv("SANDBOXED_LATE"))
		hold_tracer(traced_by);
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
