/* See include/seccomp_eval.h.  The instructions are those the kernel's
 * seccomp_check_filter() accepts; anything else makes the program one
 * the kernel would not have loaded, answered with false. */
#include <string.h>

#include "seccomp_eval.h"

#define MEMWORDS 16     /* BPF_MEMWORDS */

/* The 32-bit word at byte offset off of d, as BPF_LD|BPF_W|BPF_ABS reads
 * it: aligned and inside struct seccomp_data, else false. */
static bool data_word(const struct seccomp_data *d, uint32_t off, uint32_t *w)
{
	if (off % 4 || off > sizeof(*d) - 4)
		return false;
	memcpy(w, (const uint8_t *)d + off, 4);
	return true;
}

static bool alu(uint16_t op, uint32_t *a, uint32_t v)
{
	switch (op) {
	case BPF_ADD: *a += v; return true;
	case BPF_SUB: *a -= v; return true;
	case BPF_MUL: *a *= v; return true;
	case BPF_DIV: if (!v) return false; *a /= v; return true;
	case BPF_MOD: if (!v) return false; *a %= v; return true;
	case BPF_OR:  *a |= v; return true;
	case BPF_AND: *a &= v; return true;
	case BPF_XOR: *a ^= v; return true;
	case BPF_LSH: *a = v < 32 ? *a << v : 0; return true;
	case BPF_RSH: *a = v < 32 ? *a >> v : 0; return true;
	case BPF_NEG: *a = -*a; return true;
	}
	return false;
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v, bool *taken)
{
	switch (op) {
	case BPF_JEQ:  *taken = a == v; return true;
	case BPF_JGT:  *taken = a > v; return true;
	case BPF_JGE:  *taken = a >= v; return true;
	case BPF_JSET: *taken = (a & v) != 0; return true;
	}
	return false;
}

/* Runs the load, store and arithmetic instruction i (not a jump, not a
 * return); false when it is none the kernel allows. */
static bool step(const struct sock_filter *i, const struct seccomp_data *d, uint32_t *a,
		 uint32_t *x, uint32_t *mem)
{
	uint16_t code = i->code;

	switch (BPF_CLASS(code)) {
	case BPF_LD:
		if (code == (BPF_LD | BPF_W | BPF_ABS))
			return data_word(d, i->k, a);
		if (code == (BPF_LD | BPF_W | BPF_LEN))
			return *a = sizeof(*d), true;
		if (code == (BPF_LD | BPF_IMM))
			return *a = i->k, true;
		if (code == (BPF_LD | BPF_MEM) && i->k < MEMWORDS)
			return *a = mem[i->k], true;
		return false;
	case BPF_LDX:
		if (code == (BPF_LDX | BPF_W | BPF_LEN))
			return *x = sizeof(*d), true;
		if (code == (BPF_LDX | BPF_IMM))
			return *x = i->k, true;
		if (code == (BPF_LDX | BPF_MEM) && i->k < MEMWORDS)
			return *x = mem[i->k], true;
		return false;
	case BPF_ST:
		return i->k < MEMWORDS && (mem[i->k] = *a, true);
	case BPF_STX:
		return i->k < MEMWORDS && (mem[i->k] = *x, true);
	case BPF_ALU:
		return alu(BPF_OP(code), a, BPF_SRC(code) == BPF_X ? *x : i->k);
	case BPF_MISC:
		if (code == (BPF_MISC | BPF_TAX))
			return *x = *a, true;
		if (code == (BPF_MISC | BPF_TXA))
			return *a = *x, true;
		return false;
	}
	return false;
}

bool seccomp_run(const struct seccomp_prog *prog, const struct seccomp_data *d, uint32_t *ret)
{
	uint32_t a = 0, x = 0, mem[MEMWORDS] = { 0 };

	/* Jumps go forward only: the program ends within len steps. */
	for (size_t pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *i = &prog->insns[pc];
		bool taken;

		if (BPF_CLASS(i->code) == BPF_RET) {
			if (i->code == (BPF_RET | BPF_K))
				return *ret = i->k, true;
			if (i->code == (BPF_RET | BPF_A))
				return *ret = a, true;
			return false;
		}
		if (BPF_CLASS(i->code) != BPF_JMP) {
			if (!step(i, d, &a, &x, mem))
				return false;
			continue;
		}
		if (BPF_OP(i->code) == BPF_JA) {
			if (i->k >= prog->len - pc - 1)
				return false;
			pc += i->k;
			continue;
		}
		if (!jump_taken(BPF_OP(i->code), a, BPF_SRC(i->code) == BPF_X ? x : i->k, &taken))
			return false;
		pc += taken ? i->jt : i->jf;
	}
	return false;           /* ran off its end */
}

/* The kernel's order: the lowest action, taken as signed, wins. */
static int32_t precedence(uint32_t ret)
{
	return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

bool seccomp_answer(const struct seccomp_prog *progs, size_t n, const struct seccomp_data *d,
		    uint32_t *ret)
{
	*ret = SECCOMP_RET_ALLOW;
	for (size_t i = 0; i < n; i++) {
		uint32_t r;

		if (!seccomp_run(&progs[i], d, &r))
			return false;
		if (precedence(r) < precedence(*ret))
			*ret = r;
	}
	return true;
}

bool seccomp_harmless(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRACE:
		return true;
	}
	return false;
}

const char *seccomp_action_name(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: return "kill the process";
	case SECCOMP_RET_KILL_THREAD:  return "kill the thread";
	case SECCOMP_RET_TRAP:         return "send SIGSYS";
	case SECCOMP_RET_ERRNO:        return "fail";
	case SECCOMP_RET_USER_NOTIF:   return "ask its supervisor";
	case SECCOMP_RET_TRACE:        return "ask a tracer";
	case SECCOMP_RET_LOG:          return "log";
	case SECCOMP_RET_ALLOW:        return "allow";
	}
	return "do what this kernel does not say";
}
