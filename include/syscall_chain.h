/* Syscalls injected as one piece of code: a thread stopped by ptrace runs
 * them in a row and stops once, where one injected syscall costs a stop
 * each (60 us: the agent's region took four at every exec).
 *
 * Each call's result stays in a register of its own (rbx, rbp, r12..r15,
 * which the kernel's syscall path leaves alone), where a later call can
 * take it as an argument and numamma reads them all at the final int3.
 * The encoder is pure: tests decode its bytes. */
#ifndef NUMAMMA_SYSCALL_CHAIN_H
#define NUMAMMA_SYSCALL_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_MAX 6                 /* calls, one result register each */
#define CHAIN_CODE_MAX (CHAIN_MAX * 77 + 1)

struct chain_call {
	long nr;
	long args[6];
	/* Bit j set: argument j is the result of call args[j] (an earlier
	 * one). */
	unsigned from_result;
};

/* The code running calls[0..n) then an int3, in code (cap bytes).
 * Returns its length (the int3 last), 0 when n is out of range, an
 * argument names a call not run yet, or cap is too small. */
size_t chain_encode(const struct chain_call *calls, int n, uint8_t *code, size_t cap);
/* The register holding call i's result, as numbered in x86 encodings
 * (rbx 3, rbp 5, r12 12...). */
int chain_result_reg(int i);

#endif
