/* Hooks that jump: the first instructions of a function are replaced by a
 * 5-byte `jmp rel32` to a thunk in a slot near it; the thunk loads the
 * hook's number into %r11 and jumps to the agent, which runs the
 * original through the relocated copy of the replaced instructions that
 * follows the thunk in the slot:
 *
 *   slot + 0    mov $number, %r11d ; jmp *agent_entry
 *   slot + 24   the replaced instructions, relocated ; jmp *(addr + len)
 *
 * Preparing is pure (tests/unit/test-jmphook.c); the process side is in
 * agent_host.c. */
#ifndef NUMAMMA_JMPHOOK_H
#define NUMAMMA_JMPHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JMPHOOK_SLOT_SIZE 96
#define JMPHOOK_JMP_LEN 5
#define JMPHOOK_ORIGINAL 24     /* the relocated copy's offset in the slot */

struct jmphook {
	uint64_t addr;          /* the hooked function */
	uint64_t slot;          /* its slot's address */
	uint8_t orig[16];       /* the bytes replaced... */
	uint8_t len;            /* ...len of them: whole instructions, >= 5;
				 * 5 for a function that returns within 5
				 * bytes, padding after it */
	uint8_t ninsn;
	uint8_t from[8];        /* instruction i starts at addr + from[i]... */
	uint8_t to[8];          /* ...and its copy at slot + ORIGINAL + to[i] */
};

/* Fills h and the slot's bytes (JMPHOOK_SLOT_SIZE) for a hook at addr,
 * code holding the function's first len bytes.  0, or -1 with *why. */
int jmphook_prepare(struct jmphook *h, uint64_t addr, const uint8_t *code, size_t len,
		    uint64_t slot_addr, uint32_t number, uint64_t entry, uint8_t *slot,
		    const char **why);
/* The 5 bytes written at h->addr. */
void jmphook_jump(const struct jmphook *h, uint8_t out[JMPHOOK_JMP_LEN]);
/* Does a relative branch of the function's body (size bytes at h->addr)
 * land inside the replaced bytes, past their first?  Then the hook would
 * break it. */
bool jmphook_branch_inside(const struct jmphook *h, const uint8_t *body, size_t size);
/* A thread stopped at rip inside the replaced bytes (attach, detach):
 * where the same instruction is in the slot's copy.  0 when rip is not
 * at one of the replaced instructions past the first. */
uint64_t jmphook_moved_rip(const struct jmphook *h, uint64_t rip);
/* Jumps at addrs[0..n) (in address order, apart) written a run at a
 * time, the code between them written back as it was: how many, from
 * addrs[0], the first run holds.  A run's jumps lie in one page or in
 * pages next to each other, within JMPHOOK_RUN_MAX bytes: every page
 * written holds a jump, which makes it the process's own copy anyway. */
#define JMPHOOK_RUN_MAX (16u << 10)
int jmphook_run_length(const uint64_t *addrs, int n);

#endif
