/* Software breakpoints that stay armed while threads run.
 *
 * The displaced instruction is never restored: it is relocated into an
 * out-of-line slot (followed by a jump back) in a scratch page mapped near
 * it, or emulated when it is a relative branch.  Restoring the byte and
 * single-stepping misses about half the calls once two threads run
 * (measured here), so it is never done. */
#ifndef NUMAMMA_BREAKPOINT_H
#define NUMAMMA_BREAKPOINT_H

#include <stdint.h>
#include <sys/user.h>

struct proc;
struct tcb;
struct tracer;

enum bp_action {
	BP_XOL,          /* run the relocated copy, then jump back */
	BP_EMUL_JMP,     /* jmp rel: rip = target */
	BP_EMUL_CALL,    /* call rel: push next, rip = target */
	BP_EMUL_JCC,     /* jcc rel: evaluate the condition from eflags */
	BP_EMUL_RET,     /* ret (_dl_debug_state is just that): pop rip */
};

struct bp {
	uint64_t addr;
	int fn;                 /* hook id (enum alloc_fn) */
	enum bp_action action;
	uint8_t orig[16];
	uint8_t len;            /* length of the displaced instruction */
	uint8_t cond;           /* jcc condition code (low nibble of opcode) */
	uint64_t target;        /* branch target for emulation */
	uint64_t xol;           /* out-of-line slot address */
};

struct bp_table *bp_table_new(void);
struct bp_table *bp_table_copy(const struct bp_table *src);
void bp_table_free(struct bp_table *bt);
const struct bp *bp_find(const struct bp_table *bt, uint64_t addr);
/* Records a prepared breakpoint (bp_insert's bookkeeping). */
void bp_table_add(struct bp_table *bt, const struct bp *b);
size_t bp_count(const struct bp_table *bt);
/* A thread whose rip is inside a breakpoint's out-of-line slot: moves rip
 * to the equivalent place in the original code.  Returns 0 when it was
 * not in a slot. */
int bp_leave_xol(const struct bp_table *bt, uint64_t *rip);

/* Decodes the instruction at addr (code = its bytes) and fills b's
 * action, len, target and the relocated slot bytes for an out-of-line
 * copy at xol_addr (slot must hold BP_SLOT_SIZE).  Pure: unit-tested.
 * Returns 0, or -1 with *why set when the instruction can't be moved. */
#define BP_SLOT_SIZE 32
int bp_prepare(struct bp *b, const uint8_t *code, size_t len, uint64_t xol_addr,
	       uint8_t *slot, const char **why);
/* Applies a breakpoint hit to regs (rip = the breakpoint address):
 * moves rip to the slot or emulates.  Returns 0, or -1 if the stack
 * access of an emulated call or ret failed. */
int bp_step_over(struct proc *p, const struct bp *b, struct user_regs_struct *regs);
/* Pure: does jcc condition cc (0..15) hold for these flags? */
int bp_jcc_taken(unsigned cc, uint64_t eflags);

/* Installs a breakpoint in the process (thread t stopped, for injecting
 * the scratch mmap when needed).  0, or -1 + warning. */
int bp_insert(struct tracer *tr, struct tcb *t, uint64_t addr, int fn);
/* Restores every original byte (detach, --no-follow child). */
void bp_remove_all(struct proc *p);

#endif
