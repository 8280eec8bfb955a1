/* See include/syscall_chain.h. */
#include <string.h>

#include "syscall_chain.h"

enum { RAX = 0, RDX = 2, RSI = 6, RDI = 7, R8 = 8, R9 = 9, R10 = 10 };

/* The syscall ABI's argument registers, in order. */
static const uint8_t arg_reg[6] = { RDI, RSI, RDX, R10, R8, R9 };
/* Kept across syscalls (the kernel saves all but rax, rcx and r11). */
static const uint8_t result_reg[CHAIN_MAX] = { 3, 5, 12, 13, 14, 15 };

int chain_result_reg(int i)
{
	return result_reg[i];
}

/* mov reg, imm64 (REX.W B8+r io): 10 bytes. */
static size_t mov_imm(uint8_t *p, int reg, uint64_t v)
{
	p[0] = 0x48 | (reg >= 8);
	p[1] = 0xb8 + (reg & 7);
	memcpy(p + 2, &v, 8);
	return 10;
}

/* mov dst, src (REX.W 89 /r): 3 bytes. */
static size_t mov_reg(uint8_t *p, int dst, int src)
{
	p[0] = 0x48 | (src >= 8) << 2 | (dst >= 8);
	p[1] = 0x89;
	p[2] = 0xc0 | (src & 7) << 3 | (dst & 7);
	return 3;
}

size_t chain_encode(const struct chain_call *calls, int n, uint8_t *code, size_t cap)
{
	uint8_t buf[CHAIN_CODE_MAX];
	size_t len = 0;

	if (n < 1 || n > CHAIN_MAX)
		return 0;
	for (int i = 0; i < n; i++) {
		len += mov_imm(buf + len, RAX, (uint64_t)calls[i].nr);
		for (int j = 0; j < 6; j++) {
			long a = calls[i].args[j];

			if (!(calls[i].from_result & 1u << j))
				len += mov_imm(buf + len, arg_reg[j], (uint64_t)a);
			else if (a < 0 || a >= i)
				return 0;
			else
				len += mov_reg(buf + len, arg_reg[j], result_reg[a]);
		}
		buf[len++] = 0x0f;      /* syscall */
		buf[len++] = 0x05;
		len += mov_reg(buf + len, result_reg[i], RAX);
	}
	buf[len++] = 0xcc;              /* int3: numamma takes it from here */
	if (len > cap)
		return 0;
	memcpy(code, buf, len);
	return len;
}
