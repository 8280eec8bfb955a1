/* Reading and writing a stopped tracee: memory, registers, injected
 * syscalls and the scratch pages numamma maps into it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "procmaps.h"
#include "syscall_chain.h"
#include "tracer_int.h"

/* What tracee_read_ahead() read: a module's functions about to be
 * hooked, fifteen of libc's at each exec, where a read each was a system
 * call each. */
#define AHEAD_MAX 64
static struct {
	const struct proc *p;
	int n;
	uint64_t addr[AHEAD_MAX];
	uint8_t bytes[AHEAD_MAX][TRACEE_AHEAD_BYTES];
} ahead;

void tracee_read_ahead(struct proc *p, const uint64_t *addrs, int n)
{
	struct iovec local[AHEAD_MAX], remote[AHEAD_MAX];
	ssize_t got;

	n = n < AHEAD_MAX ? n : AHEAD_MAX;
	for (int i = 0; i < n; i++) {
		ahead.addr[i] = addrs[i];
		local[i] = (struct iovec){ ahead.bytes[i], TRACEE_AHEAD_BYTES };
		remote[i] = (struct iovec){ (void *)addrs[i], TRACEE_AHEAD_BYTES };
	}
	/* A read that fails part-way stops there: those after are read
	 * one by one, as without this. */
	got = n ? process_vm_readv(p->mm_tid, local, (unsigned long)n, remote, (unsigned long)n, 0) : 0;
	ahead.p = p;
	ahead.n = got > 0 ? (int)(got / TRACEE_AHEAD_BYTES) : 0;
}

void tracee_read_ahead_end(void)
{
	ahead.p = NULL;
	ahead.n = 0;
}

static bool read_from_ahead(const struct proc *p, uint64_t addr, void *buf, size_t len)
{
	for (int i = 0; ahead.p == p && i < ahead.n; i++)
		if (ahead.addr[i] && addr >= ahead.addr[i] && len <= TRACEE_AHEAD_BYTES &&
		    addr - ahead.addr[i] <= TRACEE_AHEAD_BYTES - len) {
			memcpy(buf, ahead.bytes[i] + (addr - ahead.addr[i]), len);
			return true;
		}
	return false;
}

/* A write over bytes read ahead: they are read again if asked (an
 * entry's address 0: forgotten). */
static void forget_ahead(const struct proc *p, uint64_t addr, size_t len)
{
	for (int i = 0; ahead.p == p && i < ahead.n; i++)
		if (addr < ahead.addr[i] + TRACEE_AHEAD_BYTES && ahead.addr[i] < addr + len)
			ahead.addr[i] = 0;
}

int tracee_read(struct proc *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };

	if (read_from_ahead(p, addr, buf, len))
		return 0;
	if (process_vm_readv(p->mm_tid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	/* Unreadable for process_vm_readv (e.g. PROT_NONE); /proc/PID/mem
	 * reads with FOLL_FORCE. */
	return pread(p->mem_fd, buf, len, addr) == (ssize_t)len ? 0 : -1;
}

/* A page at a time: the string may end just before an unreadable one. */
int tracee_read_string(struct proc *p, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		size_t n = 4096 - (addr + got) % 4096;

		if (n > size - got)
			n = size - got;
		if (tracee_read(p, addr + got, buf + got, n))
			return -1;
		if (memchr(buf + got, 0, n))
			return 0;
		got += n;
	}
	return -1;
}

int tracee_write(struct proc *p, uint64_t addr, const void *buf, size_t len)
{
	/* /proc/PID/mem writes with FOLL_FORCE: read-only text and our
	 * PROT_READ|PROT_EXEC scratch pages included. */
	forget_ahead(p, addr, len);
	return pwrite(p->mem_fd, buf, len, addr) == (ssize_t)len ? 0 : -1;
}

int tracee_getregs(pid_t tid, struct user_regs_struct *regs)
{
	return ptrace(PTRACE_GETREGS, tid, 0, regs) ? -1 : 0;
}

int tracee_setregs(pid_t tid, const struct user_regs_struct *regs)
{
	return ptrace(PTRACE_SETREGS, tid, 0, regs) ? -1 : 0;
}

/* A thread stopped while its syscall was interrupted has rax = -ERESTART*
 * and expects the kernel to restart it on resume.  Our injected syscall
 * consumes that chance, so the saved registers are rewound by hand, as
 * the kernel would have done. */
static void apply_restart(struct user_regs_struct *r)
{
	long rax = (long)r->rax;

	if ((long)r->orig_rax < 0)
		return;
	if (rax == -512 || rax == -513 || rax == -514) {   /* ERESTARTSYS, NOINTR, NOHAND */
		r->rax = r->orig_rax;
		r->rip -= 2;
	} else if (rax == -516) {                          /* ERESTART_RESTARTBLOCK */
		r->rax = SYS_restart_syscall;
		r->rip -= 2;
	}
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A signal arrived while we run an injected syscall, though the thread's
 * signals are blocked meanwhile (block_signals()): one the kernel forces
 * (a fault of the syscall itself), or a mask that could not be set.
 * Delivered now, from this signal-delivery-stop (the only stop where a
 * signal can be passed on with its siginfo intact): a handler runs on top
 * of the injected state and sigreturn brings the thread back into it
 * (its own syscalls' stops are not taken for ours: is_ours()).  Stop
 * signals would park the thread in a group stop with our registers: they
 * are queued again once the injection is over.  A watchpoint's SIGTRAP,
 * raised before the injection and reported now, is dropped. */
static int deliver_during_injection(struct tracer *tr, struct tcb *t, int sig)
{
	siginfo_t si;

	if (is_stop_signal(sig)) {
		t->stashed_sig = sig;
		sig = 0;
	} else if (sig == SIGTRAP && ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 &&
		   tracer_watch_trap(tr, t, &si)) {
		sig = 0;
	}
	return ptrace(PTRACE_SYSCALL, t->tid, 0, (long)sig) < 0 ? -1 : 0;
}

/* Our injected syscall, to tell its stops from others: a signal handler
 * delivered during the injection (deliver_during_injection()) runs on
 * top of it, and its own syscalls stop too, rt_sigreturn last, whose exit
 * shows the injected registers (rax: our syscall's number).  Taken for
 * ours, they made an injected mmap "return" 9 without running: the
 * program then jumped to code that was not mapped (t0600, attach under
 * signals). */
struct injected {
	uint64_t ip;            /* after the syscall instruction */
	long nr, args[6];
	bool int3_after;        /* the scratch page's: an int3 follows it */
};

static bool is_ours(const struct __ptrace_syscall_info *info, const struct injected *inj)
{
	if (!inj)
		return true;
	if (info->instruction_pointer != inj->ip)
		return false;
	if (info->op != PTRACE_SYSCALL_INFO_ENTRY)
		return true;
	if ((long)info->entry.nr != inj->nr)
		return false;
	for (int i = 0; i < 6; i++)
		if ((long)info->entry.args[i] != inj->args[i])
			return false;
	return true;
}

/* Waits for the syscall stop `op` (entry or exit) of thread t, of the
 * injected syscall inj (NULL: any), stashing what else it reports.  A
 * thread stopped inside a syscall (exec event, interrupted wait) first
 * reports that syscall's exit: it is skipped, as are the stops of a
 * signal handler's syscalls.  Returns 0 at the stop, -1 when the thread
 * is gone or leaving. */
static int wait_syscall_stop(struct tracer *tr, struct tcb *t, int op, const struct injected *inj)
{
	struct __ptrace_syscall_info info;
	int status;

	for (;;) {
		if (waitpid(t->tid, &status, __WALL) < 0)
			return -1;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) <= 0)
				return -1;
			if (info.op == op && is_ours(&info, inj))
				return 0;
			if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
				return -1;
			continue;
		}
		if (WIFSTOPPED(status) && (status >> 16) == 0) {
			if (deliver_during_injection(tr, t, WSTOPSIG(status)) < 0)
				return -1;
			continue;
		}
		/* Exit, exit event, group stop: the main loop handles it. */
		tracer_defer_status(tr, t->tid, status);
		return -1;
	}
}

/* Waits for the int3 at trap, in the scratch page after the injected
 * code (rip one past it), its registers then in regs: one stop per
 * injection, where stopping at a syscall's entry and exit made two
 * round trips to the thread.  Returns 0 there, -1 when the thread is gone
 * or leaving. */
static int wait_injected_trap(struct tracer *tr, struct tcb *t, uint64_t trap,
			      struct user_regs_struct *regs)
{
	int status;

	for (;;) {
		if (waitpid(t->tid, &status, __WALL) < 0)
			return -1;
		if (WIFSTOPPED(status) && (status >> 16) == 0) {
			if (WSTOPSIG(status) == SIGTRAP && tracee_getregs(t->tid, regs) == 0 &&
			    regs->rip == trap + 1)
				return 0;
			if (deliver_during_injection(tr, t, WSTOPSIG(status)) < 0)
				return -1;
			continue;
		}
		/* Exit, exit event, group stop: the main loop handles it. */
		tracer_defer_status(tr, t->tid, status);
		return -1;
	}
}

int tracee_finish_syscall(struct tracer *tr, struct tcb *t)
{
	if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
		return -1;
	return wait_syscall_stop(tr, t, PTRACE_SYSCALL_INFO_EXIT, NULL);
}

/* Signals are blocked in the thread while our syscall runs: they stay
 * pending, delivered once it resumes with its own mask.  Delivered during
 * the injection instead, a program taking signals faster than a handler
 * runs under ptrace (every syscall of it a stop) never got to run our
 * syscall: a timer at 10 kHz held an injection for 2.5 s.  SIGKILL and
 * SIGSTOP cannot be blocked (see deliver_during_injection()).  The
 * kernel's mask is 64 bits, not glibc's sigset_t.
 *
 * A thread stopped inside a call that swaps in a mask of its own
 * argument (ppoll, pselect, sigsuspend, epoll_pwait) is safe too: since
 * Linux 5.2, PTRACE_GETSIGMASK gives the mask it will go back to, and
 * PTRACE_SETSIGMASK drops the kernel's note to restore it; the call, which
 * starts again, swaps its mask in again (t0608). */
static int block_signals(pid_t tid, uint64_t *saved)
{
	uint64_t all = ~0ULL;

	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(*saved), saved))
		return -1;
	return ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) ? -1 : 0;
}

static long run_injected(struct tracer *tr, struct tcb *t, const struct injected *inj,
			 const struct user_regs_struct *saved_regs)
{
	struct user_regs_struct saved = *saved_regs, regs = saved;
	long ret;

	regs.rax = inj->nr;
	regs.orig_rax = -1;     /* no restart fix-up of our registers */
	regs.rdi = inj->args[0]; regs.rsi = inj->args[1]; regs.rdx = inj->args[2];
	regs.r10 = inj->args[3]; regs.r8 = inj->args[4]; regs.r9 = inj->args[5];
	regs.rip = inj->ip - 2;
	if (tracee_setregs(t->tid, &regs))
		return INJECT_FAILED;
	if (inj->int3_after ?
	    ptrace(PTRACE_CONT, t->tid, 0, 0) || wait_injected_trap(tr, t, inj->ip, &regs) :
	    ptrace(PTRACE_SYSCALL, t->tid, 0, 0) ||
	    wait_syscall_stop(tr, t, PTRACE_SYSCALL_INFO_ENTRY, inj) ||
	    ptrace(PTRACE_SYSCALL, t->tid, 0, 0) ||
	    wait_syscall_stop(tr, t, PTRACE_SYSCALL_INFO_EXIT, inj) ||
	    tracee_getregs(t->tid, &regs)) {
		/* Stopped for the main loop (a group stop): it must resume
		 * where it was, not in our syscall.  (Gone: no matter.) */
		apply_restart(&saved);
		tracee_setregs(t->tid, &saved);
		return INJECT_FAILED;
	}
	ret = (long)regs.rax;
	apply_restart(&saved);
	return tracee_setregs(t->tid, &saved) ? INJECT_FAILED : ret;
}

/* The thread's own signal mask back, and a signal stashed meanwhile
 * sent again. */
static void end_injection(struct tcb *t, bool blocked, uint64_t mask)
{
	if (blocked)
		ptrace(PTRACE_SETSIGMASK, t->tid, sizeof(mask), &mask);
	if (t->stashed_sig) {
		/* A syscall-stop cannot pass a signal on: queue it again. */
		syscall(SYS_tgkill, t->proc->pid, t->tid, t->stashed_sig);
		t->stashed_sig = 0;
	}
}

/* Is t's process one numamma may make run system call nr (its filter
 * willing)?  A refused call fails as the kernel's EPERM would: the
 * callers have other ways (the program's own memfd where numamma's may
 * not be opened, traps where the agent cannot be set up), and say so
 * where none is left. */
static bool may_inject(struct tcb *t, long nr, const long a[6], uint64_t ip)
{
	char why[160];

	if (tracee_may_call(t, nr, a, ip, why, sizeof(why), NULL))
		return true;
	debug("process %d: %s: not injected", t->proc->pid, why);
	if (!t->proc->refused[0])
		snprintf(t->proc->refused, sizeof(t->proc->refused), "%s", why);
	return false;
}

static bool may_inject_chain(struct tcb *t, const struct chain_call *calls, int n, uint64_t at)
{
	if (n > 1 && tracee_unfiltered(t))
		return true;
	for (int i = 0; i < n; i++)
		if (!may_inject(t, calls[i].nr, calls[i].args, at))
			return false;
	return true;
}

long inject_syscall(struct tracer *tr, struct tcb *t, long nr, const long a[6])
{
	struct user_regs_struct saved;
	uint64_t insn = t->proc->scratch ? t->proc->scratch + SCRATCH_SYSCALL
					 : t->proc->syscall_insn;
	struct injected inj = { insn + 2, nr, { a[0], a[1], a[2], a[3], a[4], a[5] },
				t->proc->scratch != 0 };
	uint64_t mask;
	bool blocked;
	long ret;

	if (!insn || tracee_getregs(t->tid, &saved))
		return INJECT_FAILED;
	if (!may_inject(t, nr, a, insn))
		return -EPERM;
	blocked = block_signals(t->tid, &mask) == 0;
	ret = run_injected(tr, t, &inj, &saved);
	end_injection(t, blocked, mask);
	return ret;
}

_Static_assert(CHAIN_CODE_MAX <= SCRATCH_CHAIN_SIZE, "a chain outgrows the scratch page's room");

/* A result register of the chain, from the registers at its int3. */
static long result_of(const struct user_regs_struct *r, int i)
{
	switch (chain_result_reg(i)) {
	case 3:  return (long)r->rbx;
	case 5:  return (long)r->rbp;
	case 12: return (long)r->r12;
	case 13: return (long)r->r13;
	case 14: return (long)r->r14;
	default: return (long)r->r15;
	}
}

/* Runs the chain of n calls whose code (len bytes, its int3 last) is
 * at at, from the registers saved, every signal blocked, and gives each
 * call's result.  The thread's registers are then back: whether it ran
 * or stopped for the main loop (a group stop), it resumes where it was,
 * not in our code.  (Gone: no matter.)  0, or -1. */
static int run_chain(struct tracer *tr, struct tcb *t, uint64_t at, size_t len, int n,
		     long *results, const struct user_regs_struct *saved,
		     const struct user_regs_struct *back)
{
	struct user_regs_struct regs = *saved;
	uint64_t mask;
	bool blocked = block_signals(t->tid, &mask) == 0, ran;

	regs.orig_rax = -1;     /* no restart fix-up of our registers */
	regs.rip = at;
	ran = tracee_setregs(t->tid, &regs) == 0 && ptrace(PTRACE_CONT, t->tid, 0, 0) == 0 &&
	      wait_injected_trap(tr, t, at + len - 1, &regs) == 0;
	for (int i = 0; ran && i < n; i++)
		results[i] = result_of(&regs, i);
	if (tracee_setregs(t->tid, back))
		ran = false;
	end_injection(t, blocked, mask);
	return ran ? 0 : -1;
}

int inject_chain(struct tracer *tr, struct tcb *t, const struct chain_call *calls, int n,
		 long *results)
{
	struct proc *p = t->proc;
	uint8_t code[SCRATCH_CHAIN_SIZE];
	uint64_t at = p->scratch + SCRATCH_CHAIN;
	size_t len = chain_encode(calls, n, code, sizeof(code));
	struct user_regs_struct saved, back;

	if (!may_inject_chain(t, calls, n, at) || !p->scratch || !len ||
	    tracee_write(p, at, code, len) || tracee_getregs(t->tid, &saved))
		return -1;
	back = saved;
	apply_restart(&back);
	return run_chain(tr, t, at, len, n, results, &saved, &back);
}

/* Finds a `syscall` instruction (0f 05) in an executable mapping, for the
 * first injection, before our scratch page exists.  The bytes execute as
 * a syscall wherever they are, even inside another instruction. */
static uint64_t find_syscall_insn(struct proc *p)
{
	static uint8_t buf[1 << 16];
	const struct map_list *maps = &p->mods.maps;

	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *m = &maps->v[i];
		uint64_t len = m->end - m->start;
		const uint8_t *at;

		if (m->perms[2] != 'x' || !strcmp(m->path, "[vsyscall]"))
			continue;
		if (len > sizeof(buf))
			len = sizeof(buf);
		if (tracee_read(p, m->start, buf, len))
			continue;
		at = memmem(buf, len, "\x0f\x05", 2);
		if (at)
			return m->start + (uint64_t)(at - buf);
	}
	return 0;
}

#define PLACES 64

/* The first place for len bytes (a page or two) near `near`, from the
 * *i-th on (1 MiB steps, below first: libraries grow down from the top;
 * then above), that the maps leave free: an injected call (60-100 us)
 * elsewhere would only say EEXIST.  *i moves past it; 0 when none is
 * left. */
static uint64_t free_place(const struct proc *p, uint64_t near, uint64_t len, int *i)
{
	const uint64_t step = 1 << 20;

	for (; *i <= PLACES; ++*i) {
		int64_t delta = (*i % 2 ? -1 : 1) * (int64_t)((*i + 1) / 2) * step;
		uint64_t hint = (near & ~(step - 1)) + delta;

		if (hint < (1 << 20) || procmaps_find(&p->mods.maps, hint) ||
		    procmaps_find(&p->mods.maps, hint + len - 1) ||
		    (hint + len > p->agent_start && hint < p->agent_end))
			continue;
		++*i;
		return hint;
	}
	return 0;
}

static uint64_t inject_mmap_near(struct tracer *tr, struct tcb *t, uint64_t near, uint64_t len)
{
	for (int i = 1; i <= PLACES;) {
		uint64_t hint = near ? free_place(t->proc, near, len, &i) : 0;
		long args[6] = { (long)hint, (long)len, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0 };
		long ret;

		if (near && !hint)
			return 0;
		if (!near) {
			i = PLACES + 1;
			args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		}
		ret = inject_syscall(tr, t, SYS_mmap, args);
		debug("inject mmap(%#lx) in %d via %#lx: %ld", args[0], t->tid,
		      (unsigned long)(t->proc->scratch ? t->proc->scratch : t->proc->syscall_insn), ret);
		if (ret == INJECT_FAILED)
			return 0;
		if (ret < 0 && ret > -4096) {
			if (ret == -EEXIST)
				continue;
			return 0;
		}
		/* MAP_FIXED_NOREPLACE maps at the hint or fails: anything else
		 * was not this call's result. */
		if (args[0] && (uint64_t)ret != hint)
			return 0;
		return (uint64_t)ret;
	}
	return 0;
}

static int within_reach(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;
	return d < (3ULL << 29);   /* 1.5 GiB: rel32 reaches 2 GiB */
}

static bool reached(const uint64_t *pages, int n, uint64_t addr)
{
	for (int i = 0; i < n; i++)
		if (within_reach(pages[i], addr))
			return true;
	return false;
}

/* Runs calls written over the code at the thread's rip, then puts the
 * code back.  At an exec's stop only: the process has that one thread,
 * whose image has run nothing yet.  0; -1 when nothing ran (the thread
 * still inside execve); -2 when it ran and the thread vanished or
 * stopped for something else. */
static int run_at_rip(struct tracer *tr, struct tcb *t, const struct chain_call *calls, int n,
		      long *ret)
{
	uint8_t code[CHAIN_CODE_MAX], orig[CHAIN_CODE_MAX];
	struct user_regs_struct saved, back;
	size_t len = chain_encode(calls, n, code, sizeof(code));
	int ran;

	if (!len || tracee_getregs(t->tid, &saved) || !may_inject_chain(t, calls, n, saved.rip) ||
	    tracee_read(t->proc, saved.rip, orig, len) || tracee_write(t->proc, saved.rip, code, len))
		return -1;
	/* Back where execve returns 0: our code ran its syscall exit. */
	back = saved;
	back.rax = 0;
	back.orig_rax = -1;
	ran = run_chain(tr, t, saved.rip, len, n, ret, &saved, &back);
	tracee_write(t->proc, saved.rip, orig, len);
	return ran == 0 ? 0 : -2;
}

/* The rider's calls after the n in calls, their results named anew;
 * how many (none when they do not all fit). */
static int ride(struct chain_call *calls, int n, const struct chain_rider *rider)
{
	if (!rider || n + rider->n > CHAIN_MAX)
		return 0;
	for (int i = 0; i < rider->n; i++) {
		calls[n + i] = rider->calls[i];
		for (size_t j = 0; j < sizeof(calls->args) / sizeof(calls->args[0]); j++)
			if (calls[n + i].from_result >> j & 1)
				calls[n + i].args[j] += n;
	}
	return rider->n;
}

/* Below the red zone and then some: nothing of the new image is there. */
#define EXEC_DATA_GAP 1024

uint64_t tracee_exec_data(struct tcb *t, const void *data, size_t len)
{
	struct user_regs_struct regs;
	uint64_t at;

	if (!(t->flags & TCB_AT_EXEC) || tracee_getregs(t->tid, &regs))
		return 0;
	at = (regs.rsp - EXEC_DATA_GAP - len) & ~15ULL;
	return tracee_write(t->proc, at, data, len) ? 0 : at;
}

/* The scratch page near the program and an out-of-line page near each
 * module out of its reach (the loader), mapped at an exec's stop in one
 * stop (run_at_rip()), where each took an injected mmap through a
 * syscall found in the loader, two stops, plus the exec's own syscall
 * exit.  The pages it could not map are left to xol_slot_near(). */
static uint64_t scratch_at_exec(struct tracer *tr, struct tcb *t, int *ran,
				struct chain_rider *rider)
{
	struct proc *p = t->proc;
	struct chain_call calls[CHAIN_MAX];
	uint64_t pages[CHAIN_MAX];
	long ret[CHAIN_MAX];
	int n = 0, npages;

	for (size_t m = 0; m < p->mods.n && n < CHAIN_MAX; m++) {
		uint64_t len = n ? 4096 : SCRATCH_SIZE;
		int i = 1;

		if (reached(pages, n, p->mods.v[m].start) ||
		    !(pages[n] = free_place(p, p->mods.v[m].start, len, &i)))
			continue;
		calls[n] = (struct chain_call){ SYS_mmap, { (long)pages[n], (long)len, PROT_READ | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0 }, 0 };
		n++;
	}
	npages = n;
	n += ride(calls, n, rider);
	*ran = npages ? run_at_rip(tr, t, calls, n, ret) : -1;
	if (rider && n > npages && *ran == 0) {
		memcpy(rider->ret, ret + npages, (size_t)rider->n * sizeof(*ret));
		rider->ran = true;
	}
	if (*ran < 0 || (uint64_t)ret[0] != pages[0])
		return 0;
	for (int i = 1; i < npages; i++)
		if ((uint64_t)ret[i] == pages[i])
			p->xol[p->nr_xol++] = (struct xol_area){ pages[i], 0 };
	debug("process %d: %d pages mapped at its exec, the scratch page at %#lx", p->pid, npages,
	      (unsigned long)pages[0]);
	return pages[0];
}

uint64_t scratch_ensure(struct tracer *tr, struct tcb *t, uint64_t near)
{
	return scratch_ensure_with(tr, t, near, NULL);
}

uint64_t scratch_ensure_with(struct tracer *tr, struct tcb *t, uint64_t near,
			     struct chain_rider *rider)
{
	/* The fresh pages' content, in one write: the code, and the owner
	 * word (1) on the second page. */
	static const uint8_t content[SCRATCH_OWNER + sizeof(uint64_t)] = {
		[SCRATCH_TRAMPOLINE] = 0xcc,
		[SCRATCH_SYSCALL] = 0x0f, 0x05, 0xcc,
		[SCRATCH_OWNER] = 1,
	};
	struct proc *p = t->proc;
	uint64_t page = 0;

	if (p->scratch || p->no_scratch)
		return p->scratch;
	p->nr_xol = 1;                  /* xol[0]: the scratch page's */
	if (t->flags & TCB_AT_EXEC) {
		int ran;

		t->flags &= ~TCB_AT_EXEC;
		page = scratch_at_exec(tr, t, &ran, rider);
		/* An injected syscall needs execve's exit behind: it would
		 * write its result (0) over the number in rax. */
		if (!page && (ran == -2 || (ran == -1 && tracee_finish_syscall(tr, t) < 0)))
			return 0;
	}
	if (!page) {
		if (!p->syscall_insn)
			p->syscall_insn = find_syscall_insn(p);
		page = inject_mmap_near(tr, t, near, SCRATCH_SIZE);
	}
	if (!page || tracee_write(p, page, content, sizeof(content))) {
		warning("process %d: no scratch page for its hooks (%s): its allocator calls go "
			"unrecorded", p->pid, p->refused[0] ? p->refused : "mmap failed");
		p->no_scratch = true;
		return 0;
	}
	p->scratch = page;
	p->xol[0].base = page;
	p->xol[0].used = SCRATCH_XOL;
	return page;
}

uint64_t xol_slot_near(struct tracer *tr, struct tcb *t, uint64_t addr, size_t size)
{
	struct proc *p = t->proc;
	uint64_t page;

	if (!scratch_ensure(tr, t, addr))
		return 0;
	for (int i = 0; i < p->nr_xol; i++) {
		if (within_reach(p->xol[i].base, addr) && p->xol[i].used + size <= 4096) {
			uint64_t slot = p->xol[i].base + p->xol[i].used;
			p->xol[i].used += size;
			return slot;
		}
	}
	if (p->nr_xol == (int)(sizeof(p->xol) / sizeof(p->xol[0])))
		return 0;
	page = inject_mmap_near(tr, t, addr, 4096);
	if (!page || !within_reach(page, addr))
		return 0;
	p->xol[p->nr_xol].base = page;
	p->xol[p->nr_xol].used = size;
	p->nr_xol++;
	return page;
}

const char *tracee_stat_fields(pid_t tid, char *buf, size_t size)
{
	char path[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	end = strrchr(buf, ')');
	return end ? end + 1 : NULL;
}
