/* Remote unwinding of stopped tracees with libunwind-ptrace.
 *
 * All tracees share one address space with UNW_CACHE_GLOBAL: libunwind
 * then keeps the register-save rules it found per ip, which spares
 * re-reading the ELF unwind tables on every allocation's stack.  The
 * cache is keyed by ip only, so whoever sees code mapped or unmapped
 * (exec, dlclose, munmap) must call unwind_flush_caches(). */
#include <libunwind-ptrace.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "error.h"
#include "unwind.h"

/* _UPT's accessors read a register with one PTRACE_PEEKUSER and a word of
 * memory with one PTRACE_PEEKDATA: a 16-frame stack was ~40 syscalls.
 * Ours take the registers with one GETREGS and the stack a block at a
 * time with process_vm_readv; the rest is _UPT's. */
#define STACK_BLOCK 4096

struct unwind_thread {
	pid_t tid;
	void *upt;          /* _UPT_create()'s per-thread accessor state */
	bool upt_failed;    /* said once */
	struct user_regs_struct regs;
	uint64_t block_start;           /* 0: no block read in this unwind */
	uint8_t block[STACK_BLOCK];
};

static unw_addr_space_t address_space;
/* The thread being unwound.  libunwind hands accessors the arg given to
 * unw_init_remote, but _UPT's own code calls them back with its state:
 * the arg cannot be trusted, and the tracer unwinds one stack at a time. */
static struct unwind_thread *current;

static int read_block(struct unwind_thread *ut, uint64_t addr)
{
	uint64_t start = addr & ~(uint64_t)(STACK_BLOCK - 1);
	struct iovec local = { ut->block, STACK_BLOCK }, remote = { (void *)start, STACK_BLOCK };

	if (process_vm_readv(ut->tid, &local, 1, &remote, 1, 0) != STACK_BLOCK)
		return -1;
	ut->block_start = start;
	return 0;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_thread *ut = current;

	if (write || addr % 8)
		return _UPT_access_mem(as, addr, val, write, ut->upt);
	/* One unsigned difference: a word below the block wraps past it, and
	 * one at the top of the address space (a rule that takes the frame
	 * from rbp while rbp holds -8 puts the saved rbp there: t0155) cannot
	 * wrap addr + 8 to 0 and pass for one inside it. */
	if (!ut->block_start || addr - ut->block_start > STACK_BLOCK - 8) {
		if (read_block(ut, addr) < 0)
			return _UPT_access_mem(as, addr, val, write, ut->upt);
	}
	memcpy(val, ut->block + (addr - ut->block_start), 8);
	return 0;
}

/* libunwind's x86-64 numbering, as offsets into user_regs_struct. */
static const size_t reg_offset[] = {
	offsetof(struct user_regs_struct, rax), offsetof(struct user_regs_struct, rdx),
	offsetof(struct user_regs_struct, rcx), offsetof(struct user_regs_struct, rbx),
	offsetof(struct user_regs_struct, rsi), offsetof(struct user_regs_struct, rdi),
	offsetof(struct user_regs_struct, rbp), offsetof(struct user_regs_struct, rsp),
	offsetof(struct user_regs_struct, r8), offsetof(struct user_regs_struct, r9),
	offsetof(struct user_regs_struct, r10), offsetof(struct user_regs_struct, r11),
	offsetof(struct user_regs_struct, r12), offsetof(struct user_regs_struct, r13),
	offsetof(struct user_regs_struct, r14), offsetof(struct user_regs_struct, r15),
	offsetof(struct user_regs_struct, rip),
};

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct unwind_thread *ut = current;

	if (write || reg < 0 || reg >= (int)(sizeof(reg_offset) / sizeof(reg_offset[0])))
		return _UPT_access_reg(as, reg, val, write, ut->upt);
	memcpy(val, (uint8_t *)&ut->regs + reg_offset[reg], 8);
	return 0;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
	return _UPT_find_proc_info(as, ip, pi, need, current->upt);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	_UPT_put_unwind_info(as, pi, current->upt);
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return _UPT_get_dyn_info_list_addr(as, addr, current->upt);
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	return _UPT_access_fpreg(as, reg, val, write, current->upt);
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return _UPT_resume(as, c, current->upt);
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	return _UPT_get_proc_name(as, addr, buf, len, off, current->upt);
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info, .put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr, .access_mem = access_mem,
	.access_reg = access_reg, .access_fpreg = access_fpreg, .resume = resume,
	.get_proc_name = get_proc_name,
};

int unwind_init(void)
{
	static bool failed;     /* said once, not at every call trapped */

	if (address_space)
		return 0;
	if (failed)
		return -1;
	address_space = unw_create_addr_space(&accessors, 0);
	if (!address_space) {
		failed = true;
		return error("cannot create a libunwind address space: the trap path's calls "
			     "are recorded without their stacks");
	}
	if (unw_set_caching_policy(address_space, UNW_CACHE_GLOBAL))
		warning("libunwind: no global caching: stacks will be slower to unwind");
	return 0;
}

void unwind_flush_caches(void)
{
	if (address_space)
		unw_flush_cache(address_space, 0, 0);
}

/* libunwind is set up at the first stack a thread unwinds, not at its
 * creation: under the agent most threads never unwind remotely, and its
 * address space and per-thread state took 0.4-1.2 ms of every profile's
 * start (its memory validator's pipe, pools, first-touched pages). */
struct unwind_thread *unwind_thread_new(pid_t tid)
{
	struct unwind_thread *ut = xmalloc(sizeof(*ut));

	ut->tid = tid;
	ut->upt = NULL;
	ut->upt_failed = false;
	return ut;
}

static bool ready(struct unwind_thread *ut)
{
	if (ut->upt)
		return true;
	if (ut->upt_failed || unwind_init() < 0)
		return false;
	ut->upt = _UPT_create(ut->tid);
	if (!ut->upt) {
		ut->upt_failed = true;
		error("cannot unwind thread %d: libunwind-ptrace setup failed", (int)ut->tid);
	}
	return ut->upt != NULL;
}

void unwind_thread_free(struct unwind_thread *ut)
{
	if (!ut)
		return;
	if (ut->upt)
		_UPT_destroy(ut->upt);
	free(ut);
}

/* A cursor at the registers; false when the thread's state cannot be
 * unwound. */
static bool start_at(struct unwind_thread *ut, const struct user_regs_struct *regs,
		     unw_cursor_t *cursor)
{
	if (!ready(ut))
		return false;
	ut->regs = *regs;
	ut->block_start = 0;             /* memory changed since last time */
	current = ut;
	return unw_init_remote(cursor, address_space, ut) >= 0;
}

int unwind_stack_from(struct unwind_thread *ut, const struct user_regs_struct *regs,
		      uint64_t *ips, int max)
{
	unw_cursor_t cursor;
	unw_word_t ip;
	int n = 0;

	if (max <= 0 || !start_at(ut, regs, &cursor))
		return 0;
	do {
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		ips[n++] = ip;
	} while (n < max && unw_step(&cursor) > 0);
	return n;
}

/* A frame's return address is saved just below the caller's stack
 * pointer, which the cursor has once it stepped to the caller; at a
 * function's entry, the first is at rsp itself. */
bool unwind_passes_slot(struct unwind_thread *ut, const struct user_regs_struct *regs,
			uint64_t slot, int max)
{
	unw_cursor_t cursor;
	unw_word_t sp;

	if (regs->rsp == slot)
		return true;
	if (!start_at(ut, regs, &cursor))
		return false;
	for (int n = 0; n < max && unw_step(&cursor) > 0; n++)
		if (unw_get_reg(&cursor, UNW_REG_SP, &sp) == 0 && sp - 8 == slot)
			return true;
	return false;
}

int unwind_stack(struct unwind_thread *ut, uint64_t *ips, int max)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, ut->tid, 0, &regs) < 0)
		return 0;
	return unwind_stack_from(ut, &regs, ips, max);
}
