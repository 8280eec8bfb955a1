/* The ptrace tracer: launches or attaches, follows threads, forks and
 * execs, and turns each wait status into an event it dispatches (strace's
 * `while (dispatch_event(next_event()))`).  Allocation interception and
 * sampling plug in through struct tracer_config. */
#ifndef NUMAMMA_TRACER_H
#define NUMAMMA_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "alloc_event.h"
#include "elfsyms.h"
#include "model.h"
#include "modmap.h"
#include "trace_event.h"

/* The modules with thread-local storage whose copies are objects: the
 * executable's first, then the libraries loaded with it. */
#define TLS_MODULES_MAX 8

struct agent_proc;
struct bp_table;
struct unwind_thread;
struct tracer;

/* One allocator call in flight on a thread whose return was hijacked. */
struct pending_call {
	int fn;                 /* enum alloc_fn */
	uint64_t ret_addr;      /* the caller's real return address */
	uint64_t sp;            /* rsp at entry: where ret_addr was */
	uint64_t args[4];
	uint64_t ns;
	int64_t callsite_id;
	int nframes;
	struct nm_frame *frames; /* owned; for run mode's policy matching */
};

#define MAX_PENDING 8

/* A traced process: one address space (threads share it). */
struct proc {
	pid_t pid;
	pid_t ppid;
	pid_t mm_tid;           /* a thread to reach the address space through
				 * /proc (pid, unless the main thread is gone) */
	int refs;               /* threads pointing here */
	int running;            /* of those, not TCB_EXITING: 0, none can write */
	int next_rank;          /* creation order of the next thread */
	int mem_fd;             /* /proc/PID/mem */
	bool ignored;           /* --no-follow child: step over, record nothing */
	bool vfork_child;       /* shares its parent's memory until exec */
	/* Shares its parent's memory, both running: clone(CLONE_VM) without
	 * CLONE_THREAD or CLONE_VFORK (reported as a fork). */
	bool clone_vm;
	bool hooks_ready;       /* breakpoints installed in loaded modules */
	bool attached;          /* attach mode: hook at the first stop */
	/* Why numamma did not inject a call (its seccomp filter), first
	 * time: said where nothing else worked. */
	char refused[160];
	bool no_scratch;        /* no scratch page could be mapped: said, not tried again */
	bool said_unreachable;  /* its memory out of reach: said, calls counted */
	bool before_exec;       /* launched, still numamma's forked copy */
	bool recorded;          /* has its row in the database */
	bool agent_refused;     /* the agent does not apply: traps only */
	uint64_t page_size;
	uint64_t scratch;       /* our first page in the tracee (0: none yet) */
	uint64_t syscall_insn;  /* a `syscall` instruction to inject with */
	int nr_xol;             /* out-of-line areas, one near each far module */
	struct xol_area { uint64_t base; uint32_t used; } xol[16];
	struct bp_table *bps;
	struct agent_proc *agent;       /* NULL: allocators are trapped */
	/* The agent's mapping, made since mods.maps was read: where no
	 * out-of-line page is tried. */
	uint64_t agent_start, agent_end;
	/* A vfork child (the parent's agent records its calls) or a fork
	 * child not yet given its own agent region: the parent. */
	pid_t agent_parent;
	/* A process that runs another's agent region (agent_share()): that
	 * process, the holder. */
	pid_t agent_shares;
	struct modmap mods;
	int mods_hooked;        /* modmap generation already hooked */
	int mods_statics;       /* ... whose statics are recorded (hooks.c) */
	/* When the modules were last read to be hooked (or the exec that
	 * emptied the address space): those found later were mapped since.
	 * statics_since_ns: the same for the oldest of those whose statics
	 * are not recorded yet.  known_due: the statics of the last read's
	 * modules are to be recorded, and that said (EV_MODULES_KNOWN). */
	uint64_t mods_read_ns, statics_since_ns;
	bool known_due;
	/* When the mappings were last looked at (hooks_record_mappings()):
	 * a mapping found later was made since. */
	uint64_t maps_seen_ns;
	uint64_t r_debug;       /* the loader's struct r_debug; 0: not found */
	/* The static thread-local storage of its modules (hooks_record_tls()):
	 * each module's block lies offset bytes below a thread's pointer.
	 * tls_state 0: not laid out yet in this image, 1: done. */
	struct tls_module {
		struct elf_tls tls;
		uint64_t offset;
	} tls_mods[TLS_MODULES_MAX];
	int ntls_mods, tls_state;
	/* Allocation wrappers (operator new...): skipped at the top of call
	 * stacks so that a stack starts at the user's frame. */
	int nr_wrappers;
	struct { uint64_t start, end; } wrappers[32];
	/* Mappings already recorded as objects, sorted by start. */
	struct { uint64_t start, end; } *mapreg;
	size_t nmapreg, capmapreg;
	struct proc *next;
};

/* A traced thread (strace's struct tcb). */
struct tcb {
	pid_t tid;
	struct proc *proc;
	int rank;
	unsigned flags;
	int npending;
	struct pending_call pending[MAX_PENDING];
	struct unwind_thread *unwind;
	int stashed_sig;        /* signal seen while we injected code */
	/* A vfork child's key in its parent's agent: the TCB it shares with
	 * the thread that vforked (fs_base), which its exec clears; and that
	 * thread, whose the TCB's entry is again once the child is done. */
	uint64_t vfork_tcb;
	pid_t vfork_parent_tid;
	/* Its stack's mapping, as found at its first stop and its exec
	 * (tcb_stack()) or, for a fork child on the stack of the thread that
	 * forked, that thread's; and what the agent's walks of its may read
	 * (the mapping, or down to its limit); 0, 0: unknown. */
	uint64_t stack[2], reach[2];
	/* Its last free's return address slot and what it held (hooks.c,
	 * inside_a_free()); free_sp 0: none since its last other call. */
	uint64_t free_sp, free_ret;
	struct tcb *next;
};

enum {
	TCB_STARTED   = 1 << 0, /* saw its first stop: sampler/stack set up */
	TCB_EXITING   = 1 << 1, /* saw its exit event, or died */
	TCB_DETACHED  = 1 << 2, /* let go (--no-follow child): forget it */
	TCB_AT_EXEC   = 1 << 3, /* at its exec's stop, the image's first code
				 * not run yet, the process's one thread */
	TCB_STOP_LATER = 1 << 4, /* detach: a vfork parent, stopped once its
				  * child is let go (detach.c) */
	TCB_EXIT_STOP = 1 << 5,  /* traced with PTRACE_O_TRACEEXIT (exit_stops()) */
	TCB_TLS_KNOWN = 1 << 6,  /* its thread-local block told (hooks_record_tls()) */
};

/* How allocator calls are intercepted (--intercept). */
enum intercept_mode {
	INTERCEPT_AUTO,         /* the agent where it applies, else traps */
	INTERCEPT_AGENT,        /* the agent, traps where it cannot be used */
	INTERCEPT_TRAP,         /* a breakpoint and a ptrace stop per call */
};

struct tracer_config {
	bool follow_forks;
	int call_depth;
	bool alloc_frames;      /* events carry their frames (run mode matches them) */
	enum intercept_mode intercept;
	int attach;             /* attach mode: pid to attach, 0 for launch */
	double duration;        /* attach: seconds, 0 = until the process ends */
	void *ctx;
	/* Every event of the traced programs (include/trace_event.h). */
	void (*on_event)(void *ctx, const struct nm_event *ev);
	/* Periodic; returns ms to the next tick (-1 none). */
	int (*on_tick)(void *ctx, uint64_t now_ns);
	void (*on_ready)(void *ctx, void *ptr);   /* epoll ptr != NULL */
	/* Around each pass over the agents' records, which reads those
	 * written before the pass began: the samplers' rings are read before
	 * it, so that each sample is matched when the records before it are
	 * applied (on_event), and the samples taken before until_ns left
	 * after it (optional). */
	void (*before_drain)(void *ctx);
	void (*after_drain)(void *ctx, uint64_t until_ns);
	/* A call a few records ahead will look up addr of pid: what it will
	 * read can be fetched now (optional; changes nothing).  entry: the
	 * call is nearer, and addr's own entry is fetched, found through
	 * what the call further ahead fetched. */
	void (*prefetch)(void *ctx, pid_t pid, uint64_t addr, bool entry);
	/* A block its thread frees at its very next call may come as one
	 * event (alloc_event.freed_ns): nobody acts on the block between. */
	bool pair_frees;
	/* Statics are recorded as their module is hooked, the program
	 * stopped: run mode places them before they are touched.  Else
	 * after the program is resumed. */
	bool statics_at_once;
	/* A stop at each call of exit(), for EV_EXIT_CALL (run mode checks
	 * where the pages landed then); profiles have no use for it. */
	bool exit_calls;
	/* run mode: the agent stops a thread once it recorded a block that
	 * holds a whole page, for on_event to place the block then
	 * (EV_PLACE_STOP): else its records are read while it runs on. */
	bool place_blocks;
};


struct tracer *tracer_new(const struct tracer_config *cfg);
/* The thread stopped for EV_PLACE_STOP while its process's records are
 * read, before that event: the EV_OBJECT of its block comes then, with
 * no stopped thread (the agent's); NULL at other times. */
struct tcb *tracer_placing(struct tracer *tr);
/* The block at addr, placed at t's stop for it, stops its thread again
 * before it is freed (its EV_RELEASE then comes while its pages are
 * there): the agent's calls go on without a stop. */
void tracer_stop_at_release(struct tracer *tr, struct tcb *t, uint64_t addr);
/* In EV_PLACE_STOP: what every block made where t's was (its kind, its
 * stack) gets from now on, or (every) every block of its kind, in every
 * process: left where first touched (mode 0), its agent stopping for
 * them no more; or the same whole placement (mbind mode over nodemask,
 * their whole pages), made by its agent without a stop, the blocks
 * coming as EV_OBJECT events with placed set. */
void tracer_decide_blocks(struct tracer *tr, struct tcb *t, bool every, int mode,
			  uint64_t nodemask);
int tracer_epoll_fd(struct tracer *tr);
/* Launches argv (PATH lookup like execvp), checks it first: on error
 * prints one line and exits 126/127.  Returns the pid. */
pid_t tracer_launch(struct tracer *tr, char **argv);
/* Checks that pid can be attached to (exists, not a zombie, not traced,
 * 64-bit).  -1 + one error line.  Nothing is touched. */
int attach_check(pid_t pid);
/* Attaches to every thread of pid.  -1 + error line, nothing left attached. */
int tracer_attach(struct tracer *tr, pid_t pid);
/* Runs until every tracee is gone (or detached).  Returns the wait status
 * of the launched/attached process. */
int tracer_loop(struct tracer *tr);
/* Ends tracing at the next event: every thread is detached as at the end
 * of an attach, and a launched program runs on untraced; tracer_loop()
 * then waits for it and returns its status. */
void tracer_let_go(struct tracer *tr);
/* Mirrors a wait status: exits with the program's code or dies of its
 * signal. */
_Noreturn void exit_like(int status);
struct nm_db;
void tracer_set_db(struct tracer *tr, struct nm_db *db);
struct proc *tracer_procs(struct tracer *tr);
/* Did any process run with the agent? */
bool tracer_agent_used(struct tracer *tr);
/* Allocator calls the agents could not record (a process with more
 * threads at once than the agent's table holds), in processes ended or
 * let go so far. */
uint64_t tracer_calls_lost(struct tracer *tr);
/* The sampler watches words with debug registers: a trap of theirs that
 * reaches the program is not passed on (see stray_watch_trap()). */
void tracer_set_watchpoints(struct tracer *tr, bool on);
/* Writes the process's row once the database exists. */
void tracer_record_process(struct tracer *tr, struct proc *p);
/* Reads /proc/PID/maps again and records the regions not seen before
 * (none where it cannot be read: the process is gone). */
void tracer_refresh_mappings(struct tracer *tr, struct proc *p);

/* Helpers for hooks that run while a thread is stopped. */
int tracee_read(struct proc *p, uint64_t addr, void *buf, size_t len);
/* The NUL-terminated string at addr, into buf (size bytes at most, its
 * NUL included).  0, or -1: unreadable, or longer. */
int tracee_read_string(struct proc *p, uint64_t addr, char *buf, size_t size);
int tracee_write(struct proc *p, uint64_t addr, const void *buf, size_t len);
/* The TRACEE_AHEAD_BYTES at each of addrs[0..n) of p, read in one system
 * call for the tracee_read()s within them that follow (tracee_write()
 * keeps them true), until tracee_read_ahead_end(). */
#define TRACEE_AHEAD_BYTES 32
void tracee_read_ahead(struct proc *p, const uint64_t *addrs, int n);
void tracee_read_ahead_end(void);
int tracee_getregs(pid_t tid, struct user_regs_struct *regs);
int tracee_setregs(pid_t tid, const struct user_regs_struct *regs);
/* Runs syscall nr with args in the stopped thread t and returns its
 * result (negative errno), or a value < -4095 when the thread vanished. */
long inject_syscall(struct tracer *tr, struct tcb *t, long nr, const long args[6]);
/* Runs calls[0..n) in a row in the stopped thread t, in one stop (see
 * include/syscall_chain.h), and gives each one's result (a negative
 * errno on failure) in results: every call runs, whatever an earlier
 * one returned.  0, or -1 when the scratch page is missing or the thread
 * vanished or stopped for something else: some calls may have run. */
struct chain_call;
int inject_chain(struct tracer *tr, struct tcb *t, const struct chain_call *calls, int n,
		 long *results);
/* Layout of the first scratch page. */
enum {
	SCRATCH_TRAMPOLINE = 0,   /* int3: hijacked returns land here */
	SCRATCH_SYSCALL    = 8,   /* syscall: injected syscalls run here */
	SCRATCH_DATA       = 64,  /* injected syscalls' pointer arguments */
	SCRATCH_DATA_SIZE  = 448,
	SCRATCH_CHAIN      = 512, /* inject_chain()'s code */
	SCRATCH_CHAIN_SIZE = 512,
	SCRATCH_XOL        = 1024, /* out-of-line slots */
	/* The next page, the kernel's to zero in a fork child (once the
	 * agent asked): a word numamma sets, nonzero in the process the page
	 * was mapped for (struct agent_ctl's owner_at). */
	SCRATCH_OWNER      = 4096,
	SCRATCH_SIZE       = 8192,
};
/* Maps the process's scratch page if needed, near `near` so that
 * rip-relative code relocated there still reaches its target.  Returns
 * the page's address, or 0 (+ warning). */
uint64_t scratch_ensure(struct tracer *tr, struct tcb *t, uint64_t near);
/* Calls that ride with the scratch page's mapping at an exec's stop, in
 * the same stop: their from_result arguments name calls among
 * themselves; ran tells whether they did (else the caller makes them). */
struct chain_rider {
	const struct chain_call *calls;
	int n;
	long *ret;              /* n results */
	bool ran;
};
uint64_t scratch_ensure_with(struct tracer *tr, struct tcb *t, uint64_t near,
			     struct chain_rider *rider);
/* At an exec's stop, before scratch_ensure*(): len bytes written below
 * the stack pointer, where the new image has nothing yet, for a rider's
 * pointer arguments.  Their address; 0 when not written. */
uint64_t tracee_exec_data(struct tcb *t, const void *data, size_t len);
/* An out-of-line slot within +-1.5 GiB of addr, mapping a new area when
 * needed.  0 when none could be had. */
uint64_t xol_slot_near(struct tracer *tr, struct tcb *t, uint64_t addr, size_t size);

#endif
