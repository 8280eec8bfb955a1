/* An allocator call, as the EV_ALLOC kind of the one event type
 * (include/trace_event.h) carries it: what both producers (the trap path
 * in src/intercept/hooks.c, the in-process agent drained by
 * src/intercept/agent_host.c) make of a call, for the recorder
 * (src/record/recorder.c), which feeds objtrack, the callsite totals and
 * run mode's placer.
 *
 * The allocator argument/result logic is here too, pure, so that both
 * producers read an allocator call the same way (tests/unit/test-alloc-call.c).
 * Freestanding: the agent's ABI header includes it. */
#ifndef NUMAMMA_ALLOC_EVENT_H
#define NUMAMMA_ALLOC_EVENT_H

#include <stdbool.h>
#include <stdint.h>

/* The functions numamma intercepts.  The agent's records name them by
 * these numbers: append only. */
enum alloc_fn {
	FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_REALLOCARRAY, FN_FREE,
	FN_POSIX_MEMALIGN, FN_ALIGNED_ALLOC, FN_MEMALIGN, FN_VALLOC, FN_PVALLOC,
	FN_MMAP, FN_MUNMAP, FN_MREMAP,
	FN_DL_DEBUG_STATE,
	FN_EXIT,
	/* Not an allocator: the sanitizers' StopTheWorld(), where
	 * LeakSanitizer's check starts to ptrace the program's threads
	 * (numamma lets the process go there: tracer.c). */
	FN_LEAK_CHECK,
	/* jemalloc's own API: mallocx (size, flags), rallocx (block, size,
	 * flags), sdallocx (block, size, flags), dallocx (block, flags),
	 * xallocx (block, size, extra, flags: resizes in place, returns the
	 * block's size now). */
	FN_MALLOCX, FN_RALLOCX, FN_SDALLOCX, FN_DALLOCX, FN_XALLOCX,
	/* An allocator library's own C++ operators (jemalloc, tcmalloc,
	 * mimalloc define them beside malloc, and do not call it): new and
	 * new[] (size), their align_val_t forms (size, alignment), delete
	 * and delete[] in every form (the block first). */
	FN_NEW, FN_NEW_ALIGNED, FN_DELETE,
	/* Not allocators: where a program installs a seccomp filter
	 * (prctl(PR_SET_SECCOMP), or the seccomp call through syscall(3)),
	 * which may kill for the agent's own system calls.  Hooked by the
	 * agent only, never trapped; no record. */
	FN_PRCTL, FN_SYSCALL,
	/* Not allocators: where a process asks to be traced or to trace
	 * one (a debugger, strace, a check for one), which numamma's own
	 * tracing would make fail, and where it execs (a program the kernel
	 * would run without its set-user-ID bit or file capabilities under
	 * an unprivileged tracer): numamma lets the process go there
	 * (tracer.c).  The agent's hook, else a breakpoint; no record.
	 * The execs (execve, execveat, fexecve) only where numamma is not
	 * root. */
	FN_PTRACE, FN_EXECVE, FN_EXECVEAT, FN_FEXECVE,
	FN__COUNT
};

/* prctl, syscall, ptrace and the execs: hooked, never recorded. */
static inline bool alloc_fn_controls(int fn)
{
	return fn >= FN_PRCTL && fn < FN__COUNT;
}

/* execve, execveat, fexecve: hooked only where numamma is not root. */
static inline bool alloc_fn_execs(int fn)
{
	return fn >= FN_EXECVE && fn <= FN_FEXECVE;
}

/* free, operator delete and jemalloc's: the block at the first argument
 * is released. */
static inline bool alloc_fn_frees(int fn)
{
	return fn == FN_FREE || fn == FN_DELETE || fn == FN_SDALLOCX || fn == FN_DALLOCX;
}

/* mmap, munmap and mremap: which an allocator's free may call itself,
 * within this many bytes of stack below the free's entry (glibc's setting
 * up an arena: five frames deeper). */
static inline bool alloc_fn_maps(int fn)
{
	return fn == FN_MMAP || fn == FN_MUNMAP || fn == FN_MREMAP;
}
#define ALLOC_FREE_FRAMES_MAX (16ULL << 10)

enum alloc_op {
	AE_ALLOC,       /* a new object [addr, addr+size); see old_* */
	AE_FREE,        /* the heap block at addr is released */
	AE_UNMAP,       /* [addr, addr+size) is unmapped */
};

/* One allocator call as its producer saw it. */
struct alloc_call {
	int fn;                 /* enum alloc_fn */
	uint64_t args[3];       /* rdi, rsi, rdx at entry */
	uint64_t ret;           /* rax at return */
	uint64_t out;           /* posix_memalign: *memptr after a 0 return */
};

struct nm_frame;

struct alloc_event {
	enum alloc_op op;
	int fn;                 /* enum alloc_fn */
	bool mapped;            /* AE_ALLOC: an mmap/mremap object, not heap */
	int32_t pid, tid;
	/* Its process has had more than one thread: another's call may be
	 * read between a realloc's release and its record (recorder.c). */
	bool threaded;
	uint64_t ns;            /* CLOCK_MONOTONIC */
	uint64_t addr, size;
	/* AE_ALLOC by realloc: the block it released (0: none); by mremap:
	 * the range it moved from (old_size bytes). */
	uint64_t old_addr, old_size;
	/* AE_ALLOC: the time the thread's very next call freed the block (0:
	 * not yet); that free makes no event of its own. */
	uint64_t freed_ns;
	int64_t callsite_id;    /* 0: no stack */
	/* A word the producer keeps with its stack for the recorder (which
	 * notes there the counters it charged, and finds them again without
	 * a lookup); NULL: none. */
	uint64_t *site_memo;
	const struct nm_frame *frames;  /* the stack, when the producer has it */
	int nframes;
	/* run: the producer placed the block itself (AE_PLACED, and
	 * AE_PLACE_FAILED when its mbind failed, AE_PLACED_FRESH when none of
	 * its pages was there yet): the agent, where the block's rule is
	 * whole (tracer_decide_blocks()). */
	int placed;
};
enum { AE_PLACED = 1, AE_PLACE_FAILED = 2, AE_PLACED_FRESH = 4 };

/* Pure.  The event an allocator call makes; false when it makes none
 * (a failed call, free(NULL), a call numamma does not follow).  Entry-only
 * functions (free, munmap) are read from their arguments alone.
 * ev->pid, tid, ns, callsite and frames are left to the caller. */
bool alloc_call_event(const struct alloc_call *c, uint64_t page_size, struct alloc_event *ev);
/* Does fn's event depend on its result (so its return must be seen)? */
bool alloc_fn_returns(int fn);
/* The allocator's name ("malloc", "operator new"). */
const char *alloc_fn_name(int fn);

#endif
