/* Fork children in each of the ways their agent region comes to them
 * (t0159): a child that allocates at once; one that forks before its own
 * first call (its child runs on a region still its grandparent's); one
 * that vforks and execs before its first call; one that execs without a
 * call; and, run as root, one that gives up root first, so that it may
 * not open numamma's memfd of its region.  The parent allocates before
 * and after.  Each role makes its calls in a function of its own name,
 * each allocation freed: ROLE_calls(n), n malloc/free pairs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile keep;

#define ROLE(name)                                                              \
	static __attribute__((noinline)) void name##_calls(int n)               \
	{                                                                       \
		for (int i = 0; i < n; i++) {                                   \
			keep = malloc(16 + (size_t)i);                          \
			free(keep);                                             \
		}                                                               \
	}
ROLE(parent)
ROLE(plain)
ROLE(grandchild)
ROLE(forker)
ROLE(vforker)
ROLE(stranger)

/* The child's status, printed: exit as alone. */
static void reap(const char *role, pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
	printf("%s %d\n", role, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fflush(stdout);
}

static void plain(void)
{
	plain_calls(100);
	_exit(3);
}

static void forker(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		grandchild_calls(50);
		_exit(4);
	}
	reap("grandchild", pid);
	forker_calls(20);
	_exit(5);
}

static void vforker(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	reap("vforked", pid);
	vforker_calls(30);
	_exit(6);
}

static void stranger(void)
{
	if (getuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		_exit(99);
	stranger_calls(40);
	_exit(7);
}

static void execer(void)
{
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

int main(void)
{
	static const struct {
		const char *role;
		void (*run)(void);
	} children[] = {
		{ "plain", plain }, { "forker", forker }, { "vforker", vforker },
		{ "stranger", stranger }, { "execer", execer },
	};

	parent_calls(10);
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			children[i].run();
		reap(children[i].role, pid);
	}
	parent_calls(10);
	return 0;
}
