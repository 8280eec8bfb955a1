/* Internals shared by the tracer's modules (tracer.c, tracee.c,
 * breakpoint.c, hooks.c).  Not for the subcommands. */
#ifndef NUMAMMA_TRACER_INT_H
#define NUMAMMA_TRACER_INT_H

#include <signal.h>
#include <sys/user.h>

#include "tracer.h"
#include "u64map.h"

struct nm_db;

/* inject_syscall()'s answer when the thread vanished mid-way. */
#define INJECT_FAILED (-100000L)
/* Would the stopped thread t's seccomp filters let it run system call nr
 * with args (the syscall instruction at ip) without harm?  false: why.
 * *filters (unless NULL): how many it has, -1 when numamma may not read
 * them. */
bool tracee_may_call(struct tcb *t, long nr, const long args[6], uint64_t ip, char *why,
		     size_t len, int *filters);
/* Does no filter stand between the stopped thread t of a launched
 * program and any call (one request to the kernel, where each
 * tracee_may_call() makes one)?  false also where it cannot tell: then
 * ask tracee_may_call() call by call. */
bool tracee_unfiltered(struct tcb *t);
/* The seccomp filters stacked on thread tid, from /proc; -1 unknown. */
int tracee_filters(pid_t tid);
/* The name of a system call numamma injects, for messages. */
const char *tracee_call_name(long nr);

struct deferred_status {
	pid_t tid;
	int status;
};

#define TCB_HASH 1024

/* A stack's whole placement (mbind's mode and nodemask); mode 0: none
 * (left where first touched). */
struct agent_placement {
	uint64_t mode, nodemask;
};

struct tracer {
	struct tracer_config cfg;
	struct proc *procs;
	struct tcb *tcb_hash[TCB_HASH];
	int nr_tcbs;
	int epoll_fd, signal_fd;
	/* The signal mask numamma came with, before it blocked its own: the
	 * launched program's, as it would have it alone. */
	sigset_t program_mask;
	pid_t main_pid;
	const char *main_name;     /* as the user named it, for its exec's error */
	int main_status;
	bool stopping;             /* detach: requested, or the program is done */
	bool main_exited;          /* the launched process is gone */
	bool main_let_go;          /* untraced since LeakSanitizer's check or a ptrace call */
	uint64_t deadline_ns;      /* --duration */
	/* Statuses seen while waiting for something else, oldest first
	 * from deferred_head; never dropped. */
	struct deferred_status *deferred;
	size_t ndeferred, deferred_head, capdeferred;
	/* New threads whose first stop came before their creator's event. */
	pid_t *early;
	int nearly, capearly;
	struct nm_db *db;
	bool agent_used;
	bool told_address_limit;     /* the agent's region against a ulimit -v, said */
	bool told_leak_check;       /* a process let go for LeakSanitizer, said */
	bool told_ptrace;           /* a process let go for a ptrace call, said */
	bool told_privileged_exec;  /* a process let go to exec with its privilege, said */
	bool told_no_allocator;     /* a static program without malloc, said */
	uint64_t calls_lost;    /* not recorded: agents (processes ended or let go), traps */
	bool watchpoints;       /* the sampler sets debug registers */
	uint64_t agent_busy_ns;    /* when a drain last found records */
	uint64_t agent_tokens;     /* regions numbered (struct agent_ctl's token) */
	/* What the agents learnt (agent_host.c), for the next processes:
	 * the stacks of every process (hash -> callsite id) and those an
	 * executable's processes sent (its key -> hashes); the unwind rules
	 * they computed (a frame's id -> seen; a file's key -> rules). */
	struct u64map agent_stacks, agent_exe_stacks, agent_rule_ids, agent_file_rules;
	/* run: the stacks an executable's processes decided (its key ->
	 * their agent_spare_key()s, each with 0 where spared, else an index
	 * + 1 into agent_placements), for its next processes. */
	struct u64map agent_exe_decided;
	struct agent_placement *agent_placements;      /* distinct ones */
	size_t nagent_placements;
	/* run: what every heap block and mapping gets (agent_ctl's kinds),
	 * once decided, for the regions made after. */
	struct agent_placement agent_kinds[2];
	bool agent_kinds_decided[2];
	/* config.alloc_frames: each stack's frames (hash -> struct
	 * stack_frames *), for the events of the agent's calls. */
	struct u64map agent_stack_frames;
	struct tcb *placing;       /* tracer_placing() */
	uint64_t spare_key;        /* its stack's (agent_spare_key()), while it is */
	bool placing_maps;         /* its block is a mapping */
	bool statics_due;          /* a process has modules whose statics wait */
};

struct tcb *tcb_new(struct tracer *tr, pid_t tid, struct proc *p);
struct proc *proc_new(struct tracer *tr, pid_t pid, pid_t ppid);
/* What the tracer asks of every traced thread (launch and attach). */
#define TRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | \
		       PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* A process whose data we keep: EV_PROCESS_START, once, when there is a
 * profile to keep it in (exe: NULL, or the path it runs). */
void proc_record(struct tracer *tr, struct proc *p, const char *exe);
/* Hands ev (kind, pid, t and what the kind needs set) to on_event, with
 * the time. */
void tracer_emit(struct tracer *tr, struct nm_event *ev);
/* (Re)opens /proc/MM_TID/mem: after exec, or when the main thread is gone. */
int proc_open_mem(struct proc *p);
void tracer_install_die_routine(struct tracer *tr);
/* Runs a thread stopped inside a syscall (the exec event) to that
 * syscall's exit stop, so that registers set afterwards are not
 * overwritten by its return.  0, or -1 when the thread is gone. */
int tracee_finish_syscall(struct tracer *tr, struct tcb *t);
/* The fields of /proc/TID/stat after the command name (which may hold
 * spaces and parentheses), read into buf; NULL when gone. */
const char *tracee_stat_fields(pid_t tid, char *buf, size_t size);
/* SIGCHLD and the stop requests (INT, TERM, HUP): what the tracer reads
 * through its signalfd, and what the watchdog forwards. */
void tracer_signals(sigset_t *mask);
/* (Re)makes the signalfd in the tracer's epoll set.  A signalfd wakes the
 * epoll sets of the process that made it: the tracer forked from the
 * watchdog needs its own, or SIGCHLD would wake it only at each tick. */
int tracer_open_signalfd(struct tracer *tr);
/* Attach mode's exit: removes every trap of ours and detaches. */
void tracer_detach_all(struct tracer *tr);
/* The same for the threads of one process (only), or of all (NULL);
 * held: one of them in a stop of numamma's already (NULL: none).  Each
 * is left marked TCB_DETACHED, its tcb to free. */
void tracer_detach_threads(struct tracer *tr, struct proc *only, const struct tcb *held);
/* Queues a wait status seen while waiting for something else. */
void tracer_defer_status(struct tracer *tr, pid_t tid, int status);
/* Is the SIGTRAP of siginfo si, which thread t reports, one the watch
 * sampler's watchpoints raised (dropped, never the program's)? */
bool tracer_watch_trap(struct tracer *tr, struct tcb *t, const siginfo_t *si);
struct tcb *tcb_find(struct tracer *tr, pid_t tid);

/* hooks.c: allocator interception through breakpoints (enum alloc_fn:
 * alloc_event.h). */
/* Hooks every module loaded since the last call; records their statics,
 * or leaves them to hooks_record_statics() (tracer_config.statics_at_once). */
void hooks_install(struct tracer *tr, struct tcb *t);
/* t's process lost its agent before it ran (a fork child that could not
 * have a region of its own): its allocators hooked with breakpoints
 * instead, in the code its parent's hooks were taken out of. */
void hooks_trap_instead(struct tracer *tr, struct tcb *t);
void hooks_on_entry(struct tracer *tr, struct tcb *t, int fn, struct user_regs_struct *regs);
void hooks_on_return(struct tracer *tr, struct tcb *t, struct user_regs_struct *regs);
/* Records /proc/PID/maps regions not seen before as mapping objects. */
void hooks_record_mappings(struct tracer *tr, struct proc *p);
/* Is a module, by its path, one whose frames on top of a stack are the
 * allocator's, not its caller's (libc, libstdc++)?  hooks_user_frames()
 * skips them, and the agent's walks (ctl->call_depth) count past them. */
bool hooks_wrapper_module(const char *path);
/* The statics of the modules hooked since they were last recorded, in
 * every process (tracer_config.statics_at_once). */
void hooks_record_statics(struct tracer *tr);
/* t's copies of its modules' thread-local variables, once t has a
 * thread pointer (a launched program's main thread gets its own from
 * the loader, after the exec's stop) and its process's modules are
 * read: told once per thread and image, an EV_TLS per module (the
 * layout made at the first, proc.tls_mods). */
void hooks_record_tls(struct tracer *tr, struct tcb *t);
void pending_clear(struct tcb *t);
/* Pure: is header[2] (prev_size, size), read at start with len bytes of
 * anonymous memory from there, glibc's header of a block it mmapped?
 * Returns the bytes the block's mmap spans (0: no) and the block the
 * program holds in *addr, *size. */
uint64_t mmapped_chunk(uint64_t start, uint64_t len, const uint64_t header[2],
		       uint64_t *addr, uint64_t *size);

/* The frames of a call stack given as return addresses (rets[0]: the
 * allocator's caller), starting at the user's frame (wrappers such as
 * operator new skipped), depth at most.  Returns how many. */
int hooks_user_frames(const struct proc *p, const uint64_t *rets, int n, int depth,
		      struct nm_frame *frames);

/* agent_host.c: the in-process recorder (agent/) and its jump hooks. */
struct loaded_module;
/* Injects the agent into t's process when the intercept mode and the
 * program allow (once; a refusal is remembered). */
void agent_setup(struct tracer *tr, struct tcb *t);
/* Starts the agents' clock calibration (a millisecond at least). */
void agent_clock_start(void);
/* Hooks the allocator fn at addr (its symbol's size: size) with a jump to
 * the agent.  0, or -1: use a breakpoint.  The loader's _dl_debug_state
 * (FN_DL_DEBUG_STATE, p->r_debug known) too: its calls stop the thread
 * in the agent, at agent_loader_trap_at(), except at RT_ADD. */
int agent_hook(struct tracer *tr, struct tcb *t, const struct loaded_module *m, uint64_t addr,
	       uint64_t size, int fn);
/* Hooks a throwing operator new at addr whose nothrow form, at nothrow,
 * is hooked already: the agent calls that form's original in its place,
 * and the throwing one, with no agent frame on the stack, when it fails.
 * 0, or -1: not hooked (no breakpoint either). */
int agent_hook_new(struct tracer *tr, struct tcb *t, const struct loaded_module *m,
		   uint64_t addr, uint64_t size, int fn, uint64_t nothrow);
/* Writes the hooks agent_hook() and agent_hook_new() made ready in p (its
 * process stopped meanwhile). */
void agent_hooks_commit(struct proc *p);
/* Is at (a trap's address) the agent's stop for the loader's events? */
bool agent_loader_trap_at(const struct proc *p, uint64_t at);
/* ... its stop at a call numamma may let the process go at (the
 * function, enum alloc_fn, and its first two arguments in rdi, rsi and
 * rdx)? */
bool agent_call_trap_at(const struct proc *p, uint64_t at);
/* Tells the agent where the process's modules and their unwind data are. */
void agent_modules(struct tracer *tr, struct proc *p);
/* The loader is about to unmap modules: until agent_modules() says what
 * is left, the agent reads no module's unwind data (walks end at their
 * first frame) rather than data that may be gone. */
void agent_modules_withdraw(struct proc *p);
/* Turns p's waiting records into events.  Returns the slots read. */
size_t agent_drain(struct tracer *tr, struct proc *p);
/* t, stopped by its agent (config.place_blocks) after the call that made
 * a block, or before the free of a block in its set of placed ones: its
 * records read, with EV_PLACE_STOP after a block's making; a released
 * block leaves the set.  regs: agent_call_trap()'s (the function, the
 * block, whether a release, the stack's hash).  owner: the process whose
 * region the call ran on. */
void agent_block_stop(struct tracer *tr, struct tcb *t, struct proc *owner,
		      const struct user_regs_struct *regs);
/* tracer_stop_at_release() and tracer_decide_blocks() in owner's
 * region: for the stack of the block being placed, or every block of
 * its kind. */
void agent_stop_at_release(struct proc *owner, uint64_t addr);
void agent_decide_stack(struct tracer *tr, struct proc *owner, const struct agent_placement *how);
void agent_decide_kind(struct tracer *tr, struct proc *owner, const struct agent_placement *how);
/* The last drain, once no thread of p can write (exec, the last thread
 * gone): what a thread killed half-way through a record left is skipped. */
void agent_drain_final(struct tracer *tr, struct proc *p);
/* The unwind rules p's agent computed, learnt by file for the next
 * processes that map the same files (their rule caches start with
 * them): at p's exec, before its new image's agent is set up, or once p
 * is gone and its parent told (cc1's 4,800 rules took up to 4 ms of its
 * exit stop, gcc's driver waiting for it). */
void agent_learn(struct tracer *tr, struct proc *p);
/* Drains every process; returns the ms until the next drain is due, -1
 * when no process has an agent. */
int agent_drain_all(struct tracer *tr);
/* Process pid's agent rang numamma's doorbell (AGENT_DOORBELL_SIGNAL):
 * counted; the loop drains next. */
void agent_heard_doorbell(struct tracer *tr, pid_t pid);
/* The agent's key for t: its TCB's address, fs_base, or for a vfork
 * child whose exec cleared it, its parent's, kept at the vfork. */
uint64_t tcb_address(struct tcb *t);
/* Thread tid's entry in p's agent, its TCB at tcb (tcb_address()),
 * made now: the agent then never asks its tid.  stack: what its walks
 * may read (a struct tcb's reach); NULL: as it was (a vfork child runs
 * on its parent's stack). */
void agent_name_thread(struct proc *p, pid_t tid, uint64_t tcb, const uint64_t stack[2]);
/* The same for a vfork child, child, on the TCB of lender, the thread
 * that vforked: the agent gives the entry back to lender at lender's
 * first call once the child is done. */
void agent_lend_thread(struct proc *p, pid_t child, uint64_t tcb, pid_t lender);
/* Thread t's seccomp filter checked for the agent's own system calls,
 * its futex and its page probe (p: the process whose agent t writes
 * into). */
void agent_check_calls(struct proc *p, struct tcb *t);
/* Where p's agent waits for word of its thread pointer (its filter would
 * kill the agent's arch_prctl), whether t, stopped, has one now. */
void agent_look_at_thread_pointer(struct proc *p, struct tcb *t);
/* tid's entries in p's agent go; tcb: its TCB's address (fs_base), the
 * agent's key for it, or 0 when unknown (then every entry is looked at). */
void agent_forget_tid(struct proc *p, pid_t tid, uint64_t tcb);
void agent_fork_child(struct tracer *tr, struct tcb *t, struct proc *parent);
/* At the fork event, parent stopped there: p, a fork child whose owner
 * page the kernel zeroed, has its region made ready, its agent to map it
 * at its first call.  False: it needs its region before it runs
 * (agent_fork_child()). */
bool agent_fork_ahead(struct tracer *tr, struct tcb *parent, struct proc *p);
/* Is at the agent's stop for a region it could not map itself? */
bool agent_region_trap_at(const struct proc *p, uint64_t at);
/* owner's region, mapped through t (its thread, or one of a process
 * sharing its memory) by injected calls. */
void agent_own_region(struct tracer *tr, struct tcb *t, struct proc *owner);
/* The original bytes back at every hook of from's in p: false where one
 * could not be written (p non-dumpable, numamma without CAP_SYS_PTRACE). */
bool agent_unhook(struct proc *p, const struct proc *from);
/* Process pid runs holder's agent region and hooks: a fork child numamma
 * could neither give a region of its own nor unhook, or one that shares
 * holder's memory (same_memory: clone(CLONE_VM), not a thread).  Neither
 * records from now, their calls counted, until agent_unshared() says
 * every such process is gone. */
void agent_share(struct proc *holder, pid_t pid, bool same_memory);
void agent_unshared(struct proc *holder);
void agent_detach(struct tracer *tr, struct proc *p);
/* numamma's work on regions while it waits: an ended one unmapped, or
 * the next one made.  Whether it did any (it is then asked again). */
bool agent_idle(struct tracer *tr);
/* Every region of numamma's unmapped: the program is done. */
void agent_regions_end(void);
void agent_forget(struct proc *p);

#endif
