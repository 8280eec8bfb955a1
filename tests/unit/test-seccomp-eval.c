/* The seccomp filter evaluator (src/trace/seccomp_eval.c): filters of the
 * shapes programs install (a list of calls to kill, an argument checked,
 * the architecture checked, several filters), the answer of several
 * together by the kernel's precedence, and programs the kernel would not
 * load refused. */
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/trace/seccomp_eval.c"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static struct seccomp_data call(long nr, long a0, long a1, long a2)
{
	return (struct seccomp_data){ .nr = (int)nr, .arch = AUDIT_ARCH_X86_64,
				      .args = { (uint64_t)a0, (uint64_t)a1, (uint64_t)a2 } };
}

static uint32_t answer(const struct sock_filter *f, size_t len, struct seccomp_data d)
{
	struct seccomp_prog p = { f, len };
	uint32_t ret = 0xdead;

	CHECK(seccomp_run(&p, &d, &ret));
	return ret;
}

/* The arch checked, gettid and open killed, mmap with PROT_EXEC failing
 * with EPERM, the rest allowed. */
static const struct sock_filter sandbox[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettid, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* What the kernel does with the call under filter f, in a child: -SIGSYS
 * when it kills, else the call's errno (0: it ran). */
static int kernel_answer(const struct sock_filter *f, size_t len, long nr, long a0, long a1, long a2)
{
	struct sock_fprog prog = { (unsigned short)len, (struct sock_filter *)f };
	pid_t pid = fork();
	int st;

	if (!pid) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(100);
		_exit(syscall(nr, a0, a1, a2, 0, 0, 0) == -1 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1000;
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_sandbox(void)
{
	/* The kernel agrees (a mapping that exists: mmap runs). */
	CHECK_INT(kernel_answer(sandbox, LEN(sandbox), SYS_gettid, 0, 0, 0), -SIGSYS);
	CHECK_INT(kernel_answer(sandbox, LEN(sandbox), SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC), EPERM);
	CHECK_INT(kernel_answer(sandbox, LEN(sandbox), SYS_getppid, 0, 0, 0), 0);

	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_gettid, 0, 0, 0)), SECCOMP_RET_KILL_PROCESS);
	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_open, 0, 0, 0)), SECCOMP_RET_KILL_PROCESS);
	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_openat, 0, 0, 0)), SECCOMP_RET_ALLOW);
	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_getppid, 0, 0, 0)), SECCOMP_RET_ALLOW);
	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC)),
		  SECCOMP_RET_ERRNO | EPERM);
	CHECK_INT(answer(sandbox, LEN(sandbox), call(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE)),
		  SECCOMP_RET_ALLOW);
	{
		struct seccomp_data d = call(SYS_openat, 0, 0, 0);

		d.arch = AUDIT_ARCH_I386;
		CHECK_INT(answer(sandbox, LEN(sandbox), d), SECCOMP_RET_KILL_PROCESS);
	}
	CHECK(!seccomp_harmless(SECCOMP_RET_KILL_PROCESS));
	CHECK(!seccomp_harmless(SECCOMP_RET_KILL_THREAD));
	CHECK(!seccomp_harmless(SECCOMP_RET_TRAP | 7));
	CHECK(!seccomp_harmless(SECCOMP_RET_USER_NOTIF));
	CHECK(seccomp_harmless(SECCOMP_RET_ERRNO | EPERM));
	CHECK(seccomp_harmless(SECCOMP_RET_TRACE | 1));
	CHECK(seccomp_harmless(SECCOMP_RET_LOG));
	CHECK(seccomp_harmless(SECCOMP_RET_ALLOW));
	CHECK(!seccomp_harmless(0x12340000));   /* unknown: the kernel kills */
}

/* Scratch memory, arithmetic, the X register and a return of A: the
 * answer built from the call's number (ERRNO | nr * 2 + 1). */
static void test_registers(void)
{
	static const struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ERRNO),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	CHECK_INT(answer(f, LEN(f), call(20, 0, 0, 0)), SECCOMP_RET_ERRNO | 41);
}

/* Of several filters, the kernel's precedence: the lowest action taken
 * as signed (KILL_PROCESS first, ALLOW last). */
static void test_precedence(void)
{
	static const struct sock_filter errno_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1) };
	static const struct sock_filter trap_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP) };
	static const struct sock_filter log_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG) };
	static const struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct seccomp_prog two[] = { { errno_all, 1 }, { trap_all, 1 } };
	struct seccomp_prog quiet[] = { { allow_all, 1 }, { log_all, 1 } };
	struct seccomp_prog kill[] = { { sandbox, LEN(sandbox) }, { errno_all, 1 } };
	struct seccomp_data d = call(SYS_gettid, 0, 0, 0);
	uint32_t ret;

	CHECK(seccomp_answer(two, 2, &d, &ret));
	CHECK_INT(ret, SECCOMP_RET_TRAP);
	CHECK(seccomp_answer(quiet, 2, &d, &ret));
	CHECK_INT(ret, SECCOMP_RET_LOG);
	CHECK(seccomp_answer(kill, 2, &d, &ret));
	CHECK_INT(ret, SECCOMP_RET_KILL_PROCESS);
	CHECK(seccomp_answer(quiet, 0, &d, &ret));
	CHECK_INT(ret, SECCOMP_RET_ALLOW);       /* no filter: allowed */
}

/* Programs the kernel would not load: a load outside seccomp_data or
 * misaligned, a jump past the end, no return, an instruction seccomp
 * refuses (a packet load), a division by a zero X. */
static void test_refused(void)
{
	static const struct sock_filter far[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter odd[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter past[] = {
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter cond_past[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter no_ret[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
	};
	static const struct sock_filter byte_load[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter div_zero[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct { const struct sock_filter *f; size_t len; } bad[] = {
		{ far, LEN(far) }, { odd, LEN(odd) }, { past, LEN(past) }, { cond_past, LEN(cond_past) },
		{ no_ret, LEN(no_ret) }, { byte_load, LEN(byte_load) }, { div_zero, LEN(div_zero) },
	};
	struct seccomp_data d = call(SYS_openat, 0, 0, 0);

	for (size_t i = 0; i < LEN(bad); i++) {
		struct seccomp_prog p = { bad[i].f, bad[i].len };
		uint32_t ret;

		if (seccomp_run(&p, &d, &ret))
			fprintf(stderr, "bad program %zu answered %#x\n", i, ret);
		CHECK(!seccomp_run(&p, &d, &ret));
		CHECK(!seccomp_answer(&p, 1, &d, &ret));
	}
}

int main(void)
{
	test_sandbox();
	test_registers();
	test_precedence();
	test_refused();
	return unit_done();
}
