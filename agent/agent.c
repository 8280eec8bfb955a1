/* The agent's entry points, called by entry.S with the registers of an
 * allocator call, and the system calls it may make: futex, on the slow
 * path only (waiting for room in the ring), and gettid, for a thread
 * numamma did not name (agent_ctl.tids_asked). */
#include "agent.h"
#include "exec_privilege.h"
#include "raw_syscall.h"

/* The data region, mapped right after the blob's code (agent.lds), which
 * starts with agent_entry (entry.S). */
extern struct agent_ctl agent_ctl __attribute__((visibility("hidden")));
extern const char agent_entry[] __attribute__((visibility("hidden")));

/* Built by entry.S on the caller's stack. */
struct agent_frame {
	uint64_t rdi, rsi, rdx, rcx, r8, r9, rax, r10;
	uint64_t hook;          /* r11: the hook's number, set by its thunk */
	uint64_t rsp;           /* at the entry: the caller's return address */
	uint64_t rbp;
	uint64_t original;      /* where the original function is run from */
	struct agent_inside *inside;
	uint64_t hash;
	uint64_t ring;          /* the thread's */
	uint64_t result;
};

_Static_assert(sizeof(struct agent_frame) == 128, "entry.S's frame");

#define MAP_ANONYMOUS 0x20
#define SYS_FUTEX 202
#define SYS_GETTID 186
#define SYS_KILL 62
#define SYS_PROCESS_VM_READV 310
#define SYS_PRCTL 157
#define SYS_SECCOMP 317
#define SYS_MADVISE 28
#define SYS_MMAP 9
#define SYS_OPENAT 257
#define SYS_CLOSE 3
#define SYS_FSTAT 5
#define SYS_ARCH_PRCTL 158
#define SYS_PTRACE 101
#define SYS_NEWFSTATAT 262
#define SYS_GETXATTR 191
#define SYS_FGETXATTR 193
#define PTRACE_TRACEME 0
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206
#define ARCH_GET_FS 0x1003
/* x86-64's struct stat: 144 bytes, st_size the seventh word. */
#define KSTAT_WORDS 18
#define KSTAT_SIZE 6
#define KSTAT_MODE_UID 3        /* st_mode, then st_uid in the high half */
#define KSTAT_GID 4             /* st_gid in the low half */
#define S_IFMT_K 0170000
#define S_IFREG_K 0100000
#define ENODATA 61
#define EOPNOTSUPP 95
#define AT_FDCWD (-100)
#define O_RDWR 2
#define O_CLOEXEC 02000000
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_FIXED 0x10
#define MADV_WIPEONFORK 18
#define MADV_COLD 20
#define SYS_MBIND 237
#define SYS_MOVE_PAGES 279
#define SYS_MINCORE 27
/* mbind's maxnode as numamma passes it (apply.c): a 64-bit nodemask. */
#define PLACE_MAXNODE 65
#define PR_SET_SECCOMP 22
/* A thread waiting for room is woken by numamma's drains; the timeout
 * only bounds how late it sees numamma gone or behind (10 s).  At 10 ms,
 * thousands of waiting threads woke 100 times a second each. */
#define WAIT_NS (100 * 1000 * 1000)

struct timespec_k { long sec, nsec; };

struct iovec_k { uint64_t base, len; };

/* One byte of the page copied by the kernel: EFAULT, not a fault, where
 * it is not readable (unmapped, a guard page). */
int agent_sys_readable(uint64_t addr, int32_t tid)
{
	uint8_t byte;
	struct iovec_k local = { (uint64_t)&byte, 1 }, remote = { addr, 1 };

	__atomic_fetch_add(&agent_ctl.probes, 1, __ATOMIC_RELAXED);
	return tid > 0 && raw_syscall6(SYS_PROCESS_VM_READV, tid, (long)&local, 1, (long)&remote, 1, 0) == 1;
}

/* Shared (not private) futex: numamma wakes it from its own mapping.
 * Where the program's seccomp filter forbids that, a spin of at most a
 * millisecond (the caller looks again: room, numamma gone). */
void agent_sys_wait(uint32_t *word, uint32_t val)
{
	struct timespec_k t = { 0, WAIT_NS };

	if (__atomic_load_n(&agent_ctl.futex_refused, __ATOMIC_RELAXED)) {
		uint64_t end = agent_sys_tsc() + agent_ctl.spin_tsc;

		__atomic_fetch_add(&agent_ctl.spun_waits, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val && agent_sys_tsc() < end)
			__builtin_ia32_pause();
		return;
	}
	raw_syscall4(SYS_FUTEX, (long)word, 0 /* FUTEX_WAIT */, val, (long)&t);
}

void agent_sys_doorbell(int32_t pid)
{
	raw_syscall4(SYS_KILL, pid, AGENT_DOORBELL_SIGNAL, 0, 0);
}

static uint64_t thread_key(void)
{
	uint64_t self;

	__asm__("mov %%fs:0, %0" : "=r"(self));
	return self;
}

uint64_t agent_sys_tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void record(struct agent_ctl *c, const struct agent_frame *f, uint32_t fn,
		   uint64_t a0, uint64_t ret, uint16_t placed)
{
	uint32_t ring = (uint32_t)f->ring;
	uint64_t pos = agent_reserve(c, ring, 1);
	struct agent_rec *r;

	if (pos == UINT64_MAX) {
		agent_count_lost(c);
		return;
	}
	r = agent_slot(c, ring, pos);
	r->type = AGENT_REC_CALL;
	r->fn = fn;
	r->nframes = placed;
	r->tid = f->inside->tid;
	r->tsc = agent_sys_tsc();
	r->hash = f->hash;
	r->args[0] = a0;
	r->args[1] = f->rsi;
	r->args[2] = f->rdx;
	r->ret = ret;
	agent_publish(c, ring, pos);
	/* The slot a few records on is in numamma's cache, read on its last
	 * lap: ask for it now, so that writing it later does not wait.
	 * (prefetchw; a NOP on processors without it.) */
	__asm__ volatile("prefetchw %0" : : "m"(*agent_slot(c, ring, pos + 4)));
}

static void set_depth(struct agent_inside *in, uint32_t depth)
{
	/* A signal handler of this thread reads it: keep the order. */
	__atomic_store_n(&in->depth, depth, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* A call that left through longjmp (out of a signal handler that
 * interrupted it) never came back to clear its flag: its frame is below
 * the stack pointer of this new call, on the same stack.  A signal handler
 * running on top of the call is above it (the stack grows down), on the
 * same stack or an alternate one. */
#define SAME_STACK (8ULL << 20)
static int left_by_longjmp(const struct agent_inside *in, uint64_t rsp)
{
	return rsp > in->sp && rsp - in->sp < SAME_STACK;
}

/* A free does not come back through the agent (nothing to record at its
 * return), so that the mmap, munmap or mremap it makes itself is not seen
 * as the allocator's own by the depth: glibc's free sets up the thread's
 * arena when it is the thread's first call (a 64 MiB heap, which showed
 * as the program's mapping, live to its end), trims it, and unmaps a
 * large block.  Such a call is known by the walk of its stack passing the
 * free's return address slot, still holding what it held: the free's
 * frame is on the call chain.  (The slot alone was not enough: a stale
 * copy of it in a later frame took the program's own mmap for the
 * free's.) */
static int inside_a_free(struct agent_ctl *c, const struct agent_frame *f)
{
	const struct agent_inside *in = f->inside;
	uint64_t at = in->free_sp;
	struct agent_span span;

	if (!at || f->rsp >= at || at - f->rsp >= ALLOC_FREE_FRAMES_MAX)
		return 0;
	span = agent_stack_span(c, in, f->rsp);
	return agent_walk_passes(c, f->rsp, f->rbp, at, &span) &&
	       *(const uint64_t *)(uintptr_t)at == in->free_ret;
}

/* The owner page, zeroed in fork children from now: once, at the first
 * call (the process has no seccomp filter yet, or numamma would have
 * cleared owner_arm).  A fork before this has its child's region mapped
 * at the fork, as without the page. */
static void arm_owner(struct agent_ctl *c)
{
	if (__atomic_exchange_n(&c->owner_arm, 0, __ATOMIC_ACQ_REL))
		raw_syscall4(SYS_MADVISE, (long)(c->owner_at & ~(uint64_t)(AGENT_PAGE - 1)), AGENT_PAGE,
			     MADV_WIPEONFORK, 0);
}

/* The region numamma made ready for this fork child, its memfd mapped
 * over the parent's at the same place: the calls numamma would have
 * injected, without a stop. */
static void map_own(struct agent_ctl *c, const struct agent_owner *o)
{
	uint64_t code = (uintptr_t)c - (uintptr_t)agent_entry;
	long fd = raw_syscall4(SYS_OPENAT, AT_FDCWD, (long)o->path, O_RDWR | O_CLOEXEC, 0);
	uint64_t st[KSTAT_WORDS];

	if (fd < 0)
		return;
	/* Only a file of the region's size: the path names another where
	 * /proc is another pid namespace's, and a shorter file mapped there
	 * would fault at the first read of the region. */
	if (raw_syscall4(SYS_FSTAT, fd, (long)st, 0, 0) == 0 && st[KSTAT_SIZE] == code + AGENT_DATA_SIZE)
		raw_syscall6(SYS_MMAP, (long)c, AGENT_DATA_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, fd, (long)code);
	raw_syscall4(SYS_CLOSE, fd, 0, 0, 0);
}

/* Whether %fs:0, the thread's own TCB address, may be read: not in a
 * static program before its C library set the thread pointer (there
 * %fs:0 faults).  Once one thread has one, every thread made after it
 * has one from its start. */
static bool thread_pointer_set(struct agent_ctl *c)
{
	uint32_t tp = __atomic_load_n(&c->tp, __ATOMIC_RELAXED), ask = AGENT_TP_ASK;
	uint64_t fs = 0;

	if (tp != AGENT_TP_ASK)
		return tp == AGENT_TP_SET;
	if (raw_syscall4(SYS_ARCH_PRCTL, ARCH_GET_FS, (long)&fs, 0, 0) < 0 || !fs)
		return false;
	__atomic_compare_exchange_n(&c->tp, &ask, AGENT_TP_SET, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	return true;
}

/* A fork child's first call: its own region mapped, the parent's not
 * written (agent_region_step()). */
static int own_region(struct agent_ctl *c)
{
	switch (agent_region_step(c)) {
	case AGENT_REGION_OWN:
		return 1;
	case AGENT_REGION_MAP:
		map_own(c, (const struct agent_owner *)(uintptr_t)c->owner_at);
		if (agent_region_mine(c))
			return 1;
		break;
	case AGENT_REGION_PASS:
		return 0;
	}
	agent_region_trap();
	return agent_region_mine(c);
}

/* A vfork child runs on the TCB of the thread that vforked, its entry
 * named for the child (lender: that thread).  Once the child has exec'd
 * or exited, the kernel lets that thread go on before numamma hears of
 * it: a call from another thread than the child is the lender's, and the
 * entry goes back to it now.  (Given back by numamma only, a millisecond
 * later, most of a spawning program's calls meanwhile were taken for its
 * exec'd child's.)  Not where a seccomp filter may forbid gettid. */
static void give_back(struct agent_ctl *c, struct agent_inside *in)
{
	int32_t lender = __atomic_load_n(&in->lender, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&c->probe_refused, __ATOMIC_RELAXED) ||
	    (int32_t)raw_syscall4(SYS_GETTID, 0, 0, 0, 0) == __atomic_load_n(&in->tid, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&in->tid, lender, __ATOMIC_RELEASE);
	__atomic_store_n(&in->lender, 0, __ATOMIC_RELEASE);
}

/* Returns 1 when entry.S must call the original and then agent_leave(),
 * 0 when it must jump to the original (nothing more to record). */
/* The loader's r_state values (<link.h>). */
#define LOADER_RT_ADD 1

/* _dl_debug_state(), which the loader calls before it maps modules
 * (RT_ADD) and after (RT_CONSISTENT), or before it unmaps them
 * (RT_DELETE): numamma stops the thread at the last two only.  At RT_ADD
 * there is nothing new to read, and that stop cost each process one
 * ptrace round trip.  Nothing here touches %fs: the loader's first call
 * comes before TLS exists. */
static int loader_event(struct agent_ctl *c)
{
	const int32_t *r_state = (const int32_t *)(uintptr_t)c->r_state;

	if (!r_state || __atomic_load_n(r_state, __ATOMIC_RELAXED) != LOADER_RT_ADD)
		agent_loader_trap();
	return 0;
}

/* A call not recorded is counted as a recorded one would be: free(NULL)
 * is not. */
static void count_unless_null(struct agent_ctl *c, uint32_t fn, uint64_t a0)
{
	if (!((alloc_fn_frees(fn) || fn == FN_MUNMAP) && !a0))
		agent_count_lost(c);
}

/* A throwing operator new runs as its nothrow form, the thread's stack
 * pointer standing for std::nothrow (never read): an exception must not
 * unwind through the agent's frame, for which the program's unwinder has
 * no data.  When the nothrow form fails, agent_leave() has the throwing
 * one run again, the agent's frame gone, to throw what it throws. */
static void as_nothrow(const struct agent_ctl *c, struct agent_frame *f, uint32_t fn)
{
	f->original = c->hooks[f->hook].nothrow;
	if (fn == FN_NEW)
		f->rsi = f->rsp;
	else
		f->rdx = f->rsp;
}

/* The program is about to install a seccomp filter: one numamma has not
 * read may kill for the agent's own system calls.  From now on the agent
 * makes none it can do without (the doorbell; the futex: it spins; the
 * readability probes), as numamma has it do when it counts a filter more
 * in /proc, up to 100 ms later: a storm of calls right after the filter
 * would have rung the doorbell first. */
static void before_sandbox(struct agent_ctl *c, uint32_t fn, const struct agent_frame *f)
{
	bool seccomp = fn == FN_PRCTL ? f->rdi == PR_SET_SECCOMP :
		       f->rdi == SYS_SECCOMP || (f->rdi == SYS_PRCTL && f->rsi == PR_SET_SECCOMP);

	if (seccomp) {
		/* Called with the thread pointer set (libc's errno): no
		 * arch_prctl the filter may refuse from now on. */
		__atomic_store_n(&c->tp, AGENT_TP_SET, __ATOMIC_RELEASE);
		__atomic_store_n(&c->owner_arm, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&c->doorbell_pid, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&c->futex_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->probe_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->exec_check_refused, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->place_refused, 1, __ATOMIC_RELEASE);
	}
}

/* A call numamma may let the process go at: it stops the thread here,
 * and the call then does what it does alone.  Not once numamma is gone:
 * nothing would take the trap. */
static void stop_at(struct agent_ctl *c, uint32_t fn, uint64_t a0, uint64_t a1, uint64_t a2)
{
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != AGENT_OFF)
		agent_call_trap(fn, a0, a1, a2);
}

/* The program asks to be traced, or to trace a process (a debugger
 * starting its inferior or attaching, strace, a check for one), which
 * numamma's own tracing would make fail: numamma lets the process to be
 * traced go (tracer.c). */
static void before_ptrace(struct agent_ctl *c, uint64_t request, uint64_t pid)
{
	if (request == PTRACE_TRACEME || request == PTRACE_ATTACH || request == PTRACE_SEIZE)
		stop_at(c, FN_PTRACE, request, pid, 0);
}

/* Would the program an exec call runs lose a privilege under numamma's
 * tracing: set-user-ID or set-group-ID to another than numamma's
 * effective ids, or with file capabilities (launch.c's
 * privilege_lost_traced(), asked here without a stop: a stop at every
 * exec was a ptrace round trip each).  A program that cannot be looked at
 * cannot be exec'd either, nor a file that is not a regular one: nothing
 * to lose.  Where the kernel may not be asked, or answers otherwise than
 * it says it does, numamma looks. */
static bool exec_may_lose_privilege(struct agent_ctl *c, const struct exec_call *e)
{
	static const char capability[] = "security.capability", empty[] = "";
	uint64_t st[KSTAT_WORDS], path = e->path ? e->path : (uint64_t)(uintptr_t)empty;
	char from_fd[256];
	uint32_t mode, uid, gid;
	long n;

	if (!c->tracer_euid)
		return false;   /* numamma root: the kernel keeps every privilege */
	if (__atomic_load_n(&c->exec_check_refused, __ATOMIC_ACQUIRE))
		return true;
	if (!e->path && !(e->flags & EXEC_AT_EMPTY_PATH))
		return false;   /* execveat(fd, NULL): EFAULT */
	if (raw_syscall4(SYS_NEWFSTATAT, e->dirfd, (long)path, (long)st,
			 e->flags & (EXEC_AT_EMPTY_PATH | EXEC_AT_SYMLINK_NOFOLLOW)) != 0)
		return false;
	mode = (uint32_t)st[KSTAT_MODE_UID];
	uid = (uint32_t)(st[KSTAT_MODE_UID] >> 32);
	gid = (uint32_t)st[KSTAT_GID];
	if ((mode & S_IFMT_K) != S_IFREG_K)
		return false;
	if (exec_setid_lost(mode, uid, gid, c->tracer_euid, c->tracer_egid) != EXEC_SETID_KEPT)
		return true;
	/* The path was read by the kernel: its first byte is there. */
	if (!*(const char *)(uintptr_t)path)
		n = raw_syscall4(SYS_FGETXATTR, e->dirfd, (long)capability, 0, 0);
	else if (*(const char *)(uintptr_t)path == '/' || e->dirfd == EXEC_AT_FDCWD)
		n = raw_syscall4(SYS_GETXATTR, (long)path, (long)capability, 0, 0);
	else if (exec_path_from_fd(from_fd, sizeof(from_fd), e->dirfd, (const char *)(uintptr_t)path))
		n = raw_syscall4(SYS_GETXATTR, (long)from_fd, (long)capability, 0, 0);
	else
		return true;
	return n > 0 || (n < 0 && n != -ENODATA && n != -EOPNOTSUPP);
}

/* Stops at an exec that may lose a privilege, for numamma to look
 * (tracer.c). */
static void before_exec(struct agent_ctl *c, const struct exec_call *e)
{
	if (exec_may_lose_privilege(c, e))
		stop_at(c, FN_EXECVEAT, exec_call_word(e), e->path, 0);
}

/* prctl, syscall(3), ptrace and the execs: never recorded, run as they
 * are.  The execs are hooked only where numamma may let the process go
 * there (tracer.c); syscall(SYS_execve or SYS_execveat, ...) is looked
 * at the same way. */
static int not_an_allocator(struct agent_ctl *c, uint32_t fn, const struct agent_frame *f)
{
	const uint64_t args[6] = { f->rdi, f->rsi, f->rdx, f->rcx, f->r8, f->r9 };
	struct exec_call e;

	if (fn == FN_PTRACE)
		before_ptrace(c, f->rdi, f->rsi);
	else if (fn == FN_SYSCALL && f->rdi == SYS_PTRACE)
		before_ptrace(c, f->rsi, f->rdx);
	else if (exec_call_of((int)fn, args, &e))
		before_exec(c, &e);
	else
		before_sandbox(c, fn, f);
	return 0;
}

/* Where the pages [lo, end) are: status of each from the kernel (its
 * node, or an error: not there), as numamma's check asks from outside
 * (verify.c), a batch at a time. */
#define CHECK_BATCH 64
static void count_pages(uint64_t lo, uint64_t end, uint64_t nodemask, struct agent_check *k)
{
	uint64_t pages[CHECK_BATCH];
	int32_t status[CHECK_BATCH];

	for (uint64_t at = lo; at < end;) {
		uint64_t n = 0;

		while (at < end && n < CHECK_BATCH) {
			pages[n++] = at;
			at += AGENT_PAGE;
		}
		if (raw_syscall6(SYS_MOVE_PAGES, 0, (long)n, (long)pages, 0, (long)status, 0) < 0)
			for (uint64_t i = 0; i < n; i++)
				status[i] = -1;
		k->pages += n;
		for (uint64_t i = 0; i < n; i++) {
			if (status[i] < 0)
				continue;
			k->present++;
			if (status[i] < AGENT_NODES) {
				k->per_node[status[i]]++;
				k->on_nodes += nodemask >> status[i] & 1;
			}
		}
	}
}

/* numamma run, the free of block f->rdi: a placed block's pages are
 * checked before it goes, by the agent where it placed the block itself
 * (its counts sent ahead of the free's record, the block out of the
 * set), else by numamma at a stop (one placed at a stop, or the agent
 * may make no system call of its own now).  Does the free stop? */
static bool stops_to_check(struct agent_ctl *c, const struct agent_frame *f)
{
	uint64_t *slot = agent_placed_slot(c, f->rdi);
	const struct agent_placed_how *how;
	struct agent_check k = { .block = f->rdi, .tid = f->inside->tid };

	if (!slot)
		return false;
	how = agent_placed_how(c, slot);
	if (!how->end || __atomic_load_n(&c->place_refused, __ATOMIC_ACQUIRE))
		return true;
	count_pages((f->rdi + c->place_min - 1) & ~(c->place_min - 1), how->end, how->nodemask, &k);
	agent_send_check(c, (uint32_t)f->ring, &k);
	__atomic_store_n(slot, AGENT_SET_GONE, __ATOMIC_RELEASE);
	return false;
}

int agent_enter(struct agent_frame *f)
{
	struct agent_ctl *c = &agent_ctl;
	struct agent_span span;
	uint32_t fn, state;

	if (f->hook >= AGENT_MAX_HOOKS)
		return 0;
	f->original = c->hooks[f->hook].original;
	if (!own_region(c))
		return 0;
	if (__atomic_load_n(&c->owner_arm, __ATOMIC_RELAXED))
		arm_owner(c);
	fn = c->hooks[f->hook].fn;
	if (alloc_fn_controls((int)fn))
		return not_an_allocator(c, fn, f);
	state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	if (state == AGENT_OFF || (fn == FN_MMAP && !(f->rcx & MAP_ANONYMOUS)))
		return 0;
	if (fn == FN_DL_DEBUG_STATE)
		return loader_event(c);
	/* Before the inside table: the child sharing the region must leave
	 * it as its parent's threads have it. */
	if (state == AGENT_SHARED) {
		count_unless_null(c, fn, f->rdi);
		return 0;
	}
	if (!thread_pointer_set(c) || !(f->inside = agent_inside(c, thread_key()))) {
		__atomic_fetch_add(&c->lost, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (__atomic_load_n(&f->inside->lender, __ATOMIC_RELAXED))
		give_back(c, f->inside);
	if (f->inside->depth && !left_by_longjmp(f->inside, f->rsp))
		return 0;               /* the allocator calling itself */
	if (alloc_fn_maps((int)fn) && inside_a_free(c, f))
		return 0;
	f->inside->free_sp = 0;
	if (state != AGENT_ON) {
		count_unless_null(c, fn, f->rdi);
		return 0;
	}
	f->inside->sp = f->rsp;
	set_depth(f->inside, 1);
	if (!__atomic_load_n(&f->inside->tid, __ATOMIC_ACQUIRE)) {
		int32_t tid = __atomic_exchange_n(&c->unnamed_tid, 0, __ATOMIC_ACQ_REL);

		/* Unnamed, its stack is not known: an earlier thread's in
		 * a reused slot would be wrong. */
		f->inside->stack_lo = tid ? c->unnamed_stack[0] : 0;
		f->inside->stack_hi = tid ? c->unnamed_stack[1] : 0;
		if (!tid) {
			tid = (int32_t)raw_syscall4(SYS_GETTID, 0, 0, 0, 0);
			__atomic_fetch_add(&c->tids_asked, 1, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&f->inside->tid, tid, __ATOMIC_RELEASE);
	}
	f->ring = agent_ring_of(c, f->inside);
	if (alloc_fn_frees(fn) || fn == FN_MUNMAP) {
		bool stop = f->rdi && c->place_min && stops_to_check(c, f);

		f->hash = 0;
		if (f->rdi)
			record(c, f, fn, f->rdi, 0, 0);
		if (stop)
			stop_at(c, fn, f->rdi, 1, 0);
		if (alloc_fn_frees(fn)) {
			/* The slot first: a signal handler between the two
			 * stores sees no match. */
			f->inside->free_ret = *(const uint64_t *)(uintptr_t)f->rsp;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			f->inside->free_sp = f->rsp;
		}
		set_depth(f->inside, 0);
		return 0;
	}
	span = agent_stack_span(c, f->inside, f->rsp);
	f->hash = agent_call_stack(c, (uint32_t)f->ring, f->rsp, f->rbp,
				   c->max_frames < AGENT_MAX_FRAMES ? c->max_frames : AGENT_MAX_FRAMES,
				   &span);
	if (c->hooks[f->hook].nothrow)
		as_nothrow(c, f, fn);
	return 1;
}

/* The bytes a call asked for (0: not a call that makes a block). */
static uint64_t asked_bytes(uint32_t fn, const struct agent_frame *f)
{
	switch (fn) {
	case FN_MALLOC: case FN_VALLOC: case FN_PVALLOC: case FN_MALLOCX:
	case FN_NEW: case FN_NEW_ALIGNED:
		return f->rdi;
	case FN_CALLOC:
		return f->rsi && f->rdi > UINT64_MAX / f->rsi ? 0 : f->rdi * f->rsi;
	case FN_REALLOCARRAY:
		return f->rdx && f->rsi > UINT64_MAX / f->rdx ? 0 : f->rsi * f->rdx;
	case FN_REALLOC: case FN_RALLOCX: case FN_ALIGNED_ALLOC: case FN_MEMALIGN: case FN_MMAP:
		return f->rsi;
	case FN_POSIX_MEMALIGN: case FN_MREMAP:
		return f->rdx;
	default:
		return 0;
	}
}

/* Is none of the pages [lo, hi) there yet (mincore: a fresh mapping, or
 * heap memory never touched)?  Then numamma need not ask where they are
 * to move them (a query a block, its cost in a storm of blocks).  Where
 * the kernel says nothing, some may be. */
#define RESIDENT_BATCH 256
static bool all_fresh(uint64_t lo, uint64_t hi)
{
	uint8_t vec[RESIDENT_BATCH];

	for (uint64_t at = lo; at < hi; at += RESIDENT_BATCH * AGENT_PAGE) {
		uint64_t len = hi - at < RESIDENT_BATCH * AGENT_PAGE ? hi - at : RESIDENT_BATCH * AGENT_PAGE;

		if (raw_syscall4(SYS_MINCORE, (long)at, (long)len, (long)vec, 0) < 0)
			return false;
		for (uint64_t i = 0; i < len / AGENT_PAGE; i++)
			if (vec[i] & 1)
				return false;
	}
	return true;
}

/* The block as numamma's stop would place it (apply.c): the huge pages
 * at its edges split (MADV_COLD on a page), then its whole pages bound,
 * without MPOL_MF_MOVE: the pages the heap had populated are moved by
 * numamma once it reads the record (MF_MOVE made each mbind wait for
 * the kernel to drain every cpu's page lists, an expedited RCU grace
 * period: 21 us against 2 here); then into the set of placed blocks,
 * with its pages and nodes, so that its free counts where they are
 * (stops_to_check()).  Returns the record's AGENT_PLACED_* bits. */
static uint16_t place_block(struct agent_ctl *c, uint32_t fn, uint64_t block, uint64_t bytes,
			    const struct agent_placing *how)
{
	uint64_t lo, hi, edges[2];
	long ret;
	int n;

	if (!agent_place_range(fn, block, bytes, c->place_min, &lo, &hi))
		return 0;
	n = agent_thp_edges(lo, hi, edges);
	for (int i = 0; i < n; i++)
		raw_syscall4(SYS_MADVISE, (long)edges[i], AGENT_PAGE, MADV_COLD, 0);
	ret = raw_syscall6(SYS_MBIND, (long)lo, (long)(hi - lo), (long)how->mode,
			   (long)&how->nodemask, PLACE_MAXNODE, 0);
	agent_add_placed(c, block, hi, how->nodemask);
	return AGENT_PLACED_BLOCK | (ret < 0 ? AGENT_PLACED_FAILED : 0) |
	       (ret >= 0 && all_fresh(lo, hi) ? AGENT_PLACED_FRESH : 0);
}

/* numamma run: a block that holds a whole page is placed before the
 * program first touches it (a first touch would put its pages on the
 * toucher's node): by the agent, where its stack's rule places every
 * block made there alike (AGENT_OFF_PLACING), or every block of its kind
 * (struct agent_ctl's kinds), else by numamma at a stop of its thread
 * once its record is published (*stop: the block), unless no rule of
 * its stack, or of its kind, places anything.  The block's bytes as
 * numamma counts them (alloc_call.c): xallocx's its result.  Returns the
 * record's AGENT_PLACED_* bits. */
static uint16_t to_place(struct agent_ctl *c, uint32_t fn, const struct agent_frame *f, uint64_t a0,
			 uint64_t ret, uint64_t *stop)
{
	uint64_t block = fn == FN_POSIX_MEMALIGN ? a0 : fn == FN_XALLOCX ? f->rdi : ret;
	uint64_t bytes = fn == FN_XALLOCX ? ret : asked_bytes(fn, f);
	const struct agent_placing *how;

	*stop = 0;
	if (!agent_holds_page(fn, block, bytes, c->place_min))
		return 0;
	if ((how = agent_kind_decided(c, fn))) {
		if (!how->mode)
			return 0;       /* left, whatever its stack */
	} else if (!agent_place_stops(c, fn, f->hash)) {
		return 0;               /* its stack spared */
	} else {
		how = agent_placing_of(c, fn, f->hash);
	}
	if (how && !__atomic_load_n(&c->place_refused, __ATOMIC_ACQUIRE))
		return place_block(c, fn, block, bytes, how);
	*stop = block;
	return 0;
}

/* Returns where entry.S jumps with the call's arguments, once the agent's
 * frame is gone (a failed nothrow form: the throwing new), or 0. */
uint64_t agent_leave(struct agent_frame *f, uint64_t ret)
{
	struct agent_ctl *c = &agent_ctl;
	uint32_t fn = c->hooks[f->hook].fn;
	uint64_t a0 = f->rdi;

	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == AGENT_ON) {
		uint64_t stop = 0;
		uint16_t placed = 0;

		if (fn == FN_POSIX_MEMALIGN)
			a0 = ret == 0 ? *(const uint64_t *)f->rdi : 0;
		if (c->place_min)
			placed = to_place(c, fn, f, a0, ret, &stop);
		record(c, f, fn, a0, ret, placed);
		if (stop)
			stop_at(c, fn, stop, 0, f->hash);
	} else {
		agent_count_lost(c);
	}
	set_depth(f->inside, 0);
	return !ret && c->hooks[f->hook].nothrow ? c->hooks[f->hook].original : 0;
}
