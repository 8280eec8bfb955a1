/* Reading an allocator call: see include/alloc_event.h.  Pure. */
#include "alloc_event.h"

static const struct {
	const char *name;
	bool returns;           /* the result matters */
} fns[FN__COUNT] = {
	[FN_MALLOC]         = { "malloc", true },
	[FN_CALLOC]         = { "calloc", true },
	[FN_REALLOC]        = { "realloc", true },
	[FN_REALLOCARRAY]   = { "reallocarray", true },
	[FN_FREE]           = { "free", false },
	[FN_POSIX_MEMALIGN] = { "posix_memalign", true },
	[FN_ALIGNED_ALLOC]  = { "aligned_alloc", true },
	[FN_MEMALIGN]       = { "memalign", true },
	[FN_VALLOC]         = { "valloc", true },
	[FN_PVALLOC]        = { "pvalloc", true },
	[FN_MMAP]           = { "mmap", true },
	[FN_MUNMAP]         = { "munmap", false },
	[FN_MREMAP]         = { "mremap", true },
	[FN_DL_DEBUG_STATE] = { "_dl_debug_state", false },
	[FN_EXIT]           = { "exit", false },
	[FN_LEAK_CHECK]     = { "_ZN11__sanitizer12StopTheWorldEPFvRKNS_20SuspendedThreadsListEPvES3_", false },
	[FN_MALLOCX]        = { "mallocx", true },
	[FN_RALLOCX]        = { "rallocx", true },
	[FN_SDALLOCX]       = { "sdallocx", false },
	[FN_DALLOCX]        = { "dallocx", false },
	[FN_XALLOCX]        = { "xallocx", true },
	[FN_NEW]            = { "operator new", true },
	[FN_NEW_ALIGNED]    = { "operator new", true },
	[FN_DELETE]         = { "operator delete", false },
	[FN_PRCTL]          = { "prctl", false },
	[FN_SYSCALL]        = { "syscall", false },
	[FN_PTRACE]         = { "ptrace", false },
	[FN_EXECVE]         = { "execve", false },
	[FN_EXECVEAT]       = { "execveat", false },
	[FN_FEXECVE]        = { "fexecve", false },
};

const char *alloc_fn_name(int fn)
{
	return fn >= 0 && fn < FN__COUNT ? fns[fn].name : "?";
}

bool alloc_fn_returns(int fn)
{
	return fn >= 0 && fn < FN__COUNT && fns[fn].returns;
}

static uint64_t page_round(uint64_t v, uint64_t page)
{
	return (v + page - 1) & ~(page - 1);
}

/* mmap and mremap return -errno from the kernel (MAP_FAILED is -1). */
static bool is_error(uint64_t ret)
{
	return (int64_t)ret < 0 && (int64_t)ret > -4096;
}

/* Overflowing products make no object (calloc and reallocarray fail). */
static bool product(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static bool entry_event(const struct alloc_call *c, uint64_t page, struct alloc_event *ev)
{
	ev->addr = c->args[0];
	if (alloc_fn_frees(c->fn)) {
		ev->op = AE_FREE;
		return ev->addr != 0;
	}
	ev->op = AE_UNMAP;
	ev->size = page_round(c->args[1], page);
	return ev->size != 0;
}

/* realloc(p, 0) frees p (rallocx takes no size 0); a failed realloc
 * leaves it alone. */
static bool realloc_event(const struct alloc_call *c, struct alloc_event *ev)
{
	if (c->fn != FN_REALLOCARRAY)
		ev->size = c->args[1];
	else if (!product(c->args[1], c->args[2], &ev->size))
		return false;
	if (c->args[0] && (c->ret || (ev->size == 0 && c->fn != FN_RALLOCX))) {
		ev->old_addr = c->args[0];
		if (!c->ret) {
			ev->op = AE_FREE;
			ev->addr = c->args[0];
			return true;
		}
	}
	return c->ret != 0;
}

static bool map_event(const struct alloc_call *c, uint64_t page, struct alloc_event *ev)
{
	if (is_error(c->ret))
		return false;
	ev->mapped = true;
	ev->size = page_round(c->fn == FN_MMAP ? c->args[1] : c->args[2], page);
	if (c->fn == FN_MREMAP) {
		ev->old_addr = c->args[0];
		ev->old_size = page_round(c->args[1], page);
	}
	return true;
}

bool alloc_call_event(const struct alloc_call *c, uint64_t page, struct alloc_event *ev)
{
	*ev = (struct alloc_event){ .op = AE_ALLOC, .fn = c->fn, .addr = c->ret };
	switch (c->fn) {
	case FN_FREE: case FN_MUNMAP: case FN_DELETE: case FN_SDALLOCX: case FN_DALLOCX:
		return entry_event(c, page, ev);
	case FN_MALLOC: case FN_VALLOC: case FN_NEW: case FN_NEW_ALIGNED: case FN_MALLOCX:
		ev->size = c->args[0];
		break;
	case FN_CALLOC:
		if (!product(c->args[0], c->args[1], &ev->size))
			return false;
		break;
	case FN_PVALLOC:
		ev->size = page_round(c->args[0], page);
		break;
	case FN_ALIGNED_ALLOC: case FN_MEMALIGN:
		ev->size = c->args[1];
		break;
	case FN_REALLOC: case FN_REALLOCARRAY: case FN_RALLOCX:
		return realloc_event(c, ev);
	case FN_XALLOCX:
		/* The block, resized or not, in place: as a realloc that did
		 * not move it. */
		ev->addr = ev->old_addr = c->args[0];
		ev->size = c->ret;
		break;
	case FN_POSIX_MEMALIGN:
		ev->size = c->args[2];
		ev->addr = c->ret == 0 ? c->out : 0;
		break;
	case FN_MMAP: case FN_MREMAP:
		return map_event(c, page, ev);
	default:
		return false;
	}
	return ev->addr != 0;
}
