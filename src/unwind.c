/* Remote unwinding of stopped tracees with libunwind-ptrace.
 *
 * All tracees share one address space with UNW_CACHE_GLOBAL: libunwind
 * then keeps the register-save rules it found per ip, which spares
 * re-reading the ELF unwind tables on every allocation's stack.  The
 * cache is keyed by ip only, so whoever sees code mapped or unmapped
 * (exec, dlclose, munmap) must call unwind_flush_caches(). */
#include <libunwind-ptrace.h>
#include <stdlib.h>

#include "error.h"
#include "unwind.h"

struct unwind_thread {
	pid_t tid;
	void *upt;          /* _UPT_create()'s per-thread accessor state */
};

static unw_addr_space_t address_space;

int unwind_init(void)
{
	if (address_space)
		return 0;
	address_space = unw_create_addr_space(&_UPT_accessors, 0);
	if (!address_space)
		return error("cannot create a libunwind address space");
	if (unw_set_caching_policy(address_space, UNW_CACHE_GLOBAL))
		warning("libunwind: no global caching: stacks will be slower to unwind");
	return 0;
}

void unwind_flush_caches(void)
{
	if (address_space)
		unw_flush_cache(address_space, 0, 0);
}

struct unwind_thread *unwind_thread_new(pid_t tid)
{
	struct unwind_thread *ut;

	if (unwind_init() < 0)
		return NULL;
	ut = xmalloc(sizeof(*ut));
	ut->tid = tid;
	ut->upt = _UPT_create(tid);
	if (!ut->upt) {
		free(ut);
		error("cannot unwind thread %d: libunwind-ptrace setup failed", (int)tid);
		return NULL;
	}
	return ut;
}

void unwind_thread_free(struct unwind_thread *ut)
{
	if (!ut)
		return;
	_UPT_destroy(ut->upt);
	free(ut);
}

int unwind_stack(struct unwind_thread *ut, uint64_t *ips, int max)
{
	unw_cursor_t cursor;
	unw_word_t ip;
	int n = 0;

	if (max <= 0 || unw_init_remote(&cursor, address_space, ut->upt) < 0)
		return 0;
	do {
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		ips[n++] = ip;
	} while (n < max && unw_step(&cursor) > 0);
	return n;
}
