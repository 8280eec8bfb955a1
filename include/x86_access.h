/* Which memory access a thread was making when a clock sample
 * interrupted it, from the code bytes around the sampled ip and the
 * sampled user registers.  Pure: the code comes from a reader callback,
 * so that tests/unit/ decodes byte sequences.
 *
 * The access is looked for, in this order:
 *   backward  when the function holding ip is known: the instruction just
 *             before ip, if the only way to ip is falling through it
 *             (x86_func_map_predecessor) and it did not change the
 *             registers its address uses.  This is the access the thread
 *             stalled on: a clock interrupt is taken after the load that
 *             kept the instruction from retiring, so the access at ip,
 *             not run yet, is the next one (a load that misses, then an
 *             update of a small array that hits: the samples are the
 *             load's);
 *   repeat    that instruction's access when its load changed a register
 *             of its own address (mov rsi, [rax+rsi*8]; a list's
 *             mov rax, [rax]): at its next run, emulating forward as
 *             below, other accesses stepped over (what they load
 *             unknown): the same object, the next element;
 *   at_ip     the instruction at ip has a memory operand: its effective
 *             address from the registers as sampled (not yet executed);
 *   forward   otherwise the next access, emulating up to X86_FORWARD_MAX
 *             register-only instructions (mov, lea, add, sub, and, or,
 *             xor, inc, dec, neg, not, imul, shifts, movzx/movsx, cdqe,
 *             cmov) and following jmp and Jcc with flags from the
 *             sampled FLAGS and those the emulation computed.  An
 *             instruction it does not emulate makes the registers (and
 *             flags) it writes unknown.
 * A rip-relative read of a constant (x86_code.constant) is no access
 * in any of these.  An access whose address cannot be computed is
 * refused with a reason, never guessed. */
#ifndef NUMAMMA_X86_ACCESS_H
#define NUMAMMA_X86_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/perf_regs.h>

/* sample_regs_user asking for AX..SS and R8..R15: perf refuses DS, ES,
 * FS and GS in user samples. */
#define X86_SAMPLE_REGS_MASK 0xff0fffULL
#define X86_FORWARD_MAX 32

/* The sampled registers, by perf register number (PERF_REG_X86_*). */
struct x86_regs {
	uint64_t r[PERF_REG_X86_64_MAX];
	uint64_t fs_base;          /* 0: unknown */
};

/* Copies up to len code bytes at addr into buf; returns how many it
 * could (0: unreadable). */
typedef size_t (*x86_code_reader)(void *arg, uint64_t addr, uint8_t *buf, size_t len);

/* Decoded instructions kept across samples: a sampled thread comes back
 * to the same few instructions, and decoding them anew cost more than
 * the rest of a sample's search.  An entry is found by the address, but
 * used only when the bytes read at it now are the bytes it was decoded
 * from (decoding depends on nothing else): code that changed (another
 * process, an exec, a JIT, a library loaded in place of another) is
 * decoded again.  The bytes still come from the reader each time, so the
 * reader's own rules (its per-process cache, cleared at exec) hold. */
struct x86_insn_cache;
/* slots: a power of two. */
struct x86_insn_cache *x86_insn_cache_new(unsigned slots);
void x86_insn_cache_free(struct x86_insn_cache *c);
/* Decodes answered from the cache, and decoded. */
void x86_insn_cache_counts(const struct x86_insn_cache *c, uint64_t *hits, uint64_t *misses);

/* The code of the sampled process. */
#define X86_PREDECESSOR_UNKNOWN UINT64_MAX

struct x86_code {
	x86_code_reader read;
	/* The instruction before ip when it is the only way to ip (see
	 * x86_func_map_predecessor), 0 when not or not known.  build false:
	 * only from what is at hand (a map built before),
	 * X86_PREDECESSOR_UNKNOWN when that does not tell; then asked again,
	 * to build, only if an access may end at ip.  NULL: never known. */
	uint64_t (*predecessor)(void *arg, uint64_t ip, bool build);
	void *arg;
	struct x86_insn_cache *insns;   /* NULL: every instruction decoded */
	/* Is addr in memory the program cannot write (a module's constants,
	 * its GOT once relocated)?  A rip-relative read there is no data
	 * access: a compiler reloads a constant from its pool at each turn
	 * of a loop (mulsd .LC0(%rip)), always from the cache, and a sample
	 * of a loop bound by arithmetic landed on it more than on any array.
	 * NULL: never. */
	bool (*constant)(void *arg, uint64_t addr);
	/* The lowest address a program can map (vm.mmap_min_addr; 0: one
	 * page).  An access computed below it, or in the kernel's half, was
	 * never made: the code was reached another way than the decoding
	 * took it (a switch table's jump, a cold part jumping back into its
	 * function), and its address is refused, not guessed. */
	uint64_t lowest_addr;
};

/* A function's layout, decoded once from its start: where its
 * instructions start, which of them fall through to the next, and the
 * targets of its direct branches.  Built by the caller, who keeps it per
 * function: decoding a whole function for every sample would cost more
 * than the sampling. */
struct x86_func_map;
/* NULL when [start, end) is too long (64 KiB) or does not decode as code
 * from start to end. */
struct x86_func_map *x86_func_map_build(uint64_t start, uint64_t end, x86_code_reader read, void *arg);
void x86_func_map_free(struct x86_func_map *m);
/* The instruction just before ip when ip is an instruction start of the
 * function, that instruction falls through to it (no jmp, ret or call:
 * after a call, ip is reached by the callee's ret), and no direct branch
 * of the function targets ip.  0 otherwise (indirect branches, switch
 * tables, cannot be seen: a function using one to reach ip is taken as
 * falling through). */
uint64_t x86_func_map_predecessor(const struct x86_func_map *m, uint64_t ip);

enum x86_resolution {
	X86_AT_IP = 1,
	X86_BACKWARD,
	X86_REPEAT,
	X86_FORWARD,
	/* Refusals: */
	X86_NO_CODE,        /* code unreadable, or not an instruction */
	X86_GATHER,         /* vector gather/scatter: one address per lane */
	X86_UNKNOWN_REG,    /* an address register lost by the emulation, or gs */
	X86_UNKNOWN_BRANCH, /* a branch on flags or a register it lost */
	X86_NO_FS_BASE,     /* fs-relative, the thread's fs_base unknown */
	X86_NO_ACCESS,      /* none within reach: syscall, far jump, loop, the bound */
	X86_NOT_USER_ADDR,  /* computed below lowest_addr or in the kernel's half */
	X86_NR_RESOLUTIONS
};

struct x86_access {
	uint64_t addr, ip;         /* the data address, the accessing instruction */
	unsigned size;             /* bytes */
	char kind;                 /* 'R' or 'W' (read-modify-write: 'W') */
	unsigned steps;            /* forward, repeat: instructions emulated before it */
};

/* Finds the access; X86_BACKWARD, X86_REPEAT, X86_AT_IP or X86_FORWARD
 * with *out filled, or the reason it could not. */
enum x86_resolution x86_find_access(const struct x86_regs *regs, const struct x86_code *code,
				    struct x86_access *out);

/* "at_ip", "backward", "repeat", "forward", "no_code", "gather", ... */
const char *x86_resolution_name(enum x86_resolution how);

#endif
