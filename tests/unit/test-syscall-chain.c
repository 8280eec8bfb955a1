/* The injected syscall chain's code, decoded back with Zydis: each call's
 * number and arguments in the syscall ABI's registers (a constant, or an
 * earlier call's result register), the syscall, its result kept in a
 * register the kernel leaves alone, and the final int3; refusals of a
 * chain too long, a result not made yet, or room too small. */
#include <Zydis/Zydis.h>

#include "syscall_chain.h"
#include "unit.h"

struct insn {
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};

static size_t decode_all(const uint8_t *code, size_t len, struct insn *out, size_t max)
{
	ZydisDecoder dec;
	size_t n = 0;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	for (size_t at = 0; at < len && n < max; n++) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + at, len - at, &out[n].in, out[n].op)))
			return 0;
		at += out[n].in.length;
	}
	return n;
}

/* mov reg, imm */
static void check_imm(const struct insn *x, ZydisRegister reg, uint64_t imm)
{
	CHECK_INT(x->in.mnemonic, ZYDIS_MNEMONIC_MOV);
	CHECK_INT(x->op[0].reg.value, reg);
	CHECK_INT(x->op[1].type, ZYDIS_OPERAND_TYPE_IMMEDIATE);
	CHECK_INT(x->op[1].imm.value.u, imm);
}

/* mov dst, src */
static void check_mov(const struct insn *x, ZydisRegister dst, ZydisRegister src)
{
	CHECK_INT(x->in.mnemonic, ZYDIS_MNEMONIC_MOV);
	CHECK_INT(x->op[0].reg.value, dst);
	CHECK_INT(x->op[1].type, ZYDIS_OPERAND_TYPE_REGISTER);
	CHECK_INT(x->op[1].reg.value, src);
}

static const ZydisRegister args[6] = {
	ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDX,
	ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R8, ZYDIS_REGISTER_R9,
};
static const ZydisRegister results[CHAIN_MAX] = {
	ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R12,
	ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15,
};

/* open, mmap(fd = open's), mmap(addr = the first mmap's, fd), close(fd):
 * the agent's region at an exec. */
static void test_region_chain(void)
{
	const struct chain_call calls[] = {
		{ 2, { 0x1000, 02000002 }, 0 },
		{ 9, { 0, 4096, 3, 1, 0, 0 }, 1u << 4 },
		{ 9, { 1, 4096, 5, 0x11, 0, 0 }, 1u << 0 | 1u << 4 },
		{ 3, { 0 }, 1u << 0 },
	};
	uint8_t code[CHAIN_CODE_MAX];
	struct insn x[64];
	size_t len = chain_encode(calls, 4, code, sizeof(code)), n;
	size_t k = 0;

	CHECK(len > 0);
	CHECK_INT(code[len - 1], 0xcc);
	n = decode_all(code, len, x, 64);
	CHECK_INT(n, 4 * 9 + 1);
	if (n != 4 * 9 + 1)
		return;
	for (int i = 0; i < 4; i++) {
		check_imm(&x[k++], ZYDIS_REGISTER_RAX, (uint64_t)calls[i].nr);
		for (int j = 0; j < 6; j++, k++) {
			if (calls[i].from_result & 1u << j)
				check_mov(&x[k], args[j], results[calls[i].args[j]]);
			else
				check_imm(&x[k], args[j], (uint64_t)calls[i].args[j]);
		}
		CHECK_INT(x[k++].in.mnemonic, ZYDIS_MNEMONIC_SYSCALL);
		check_mov(&x[k++], results[i], ZYDIS_REGISTER_RAX);
		CHECK_INT(chain_result_reg(i), i == 0 ? 3 : i == 1 ? 5 : 10 + i);
	}
	CHECK_INT(x[k].in.mnemonic, ZYDIS_MNEMONIC_INT3);
}

/* A negative constant stays whole (mov with a 64-bit immediate). */
static void test_wide_values(void)
{
	const struct chain_call c = { 9, { -1, (long)0x7fffffffffffULL, 0, 0, -1, 0 }, 0 };
	uint8_t code[CHAIN_CODE_MAX];
	struct insn x[16];
	size_t len = chain_encode(&c, 1, code, sizeof(code));

	CHECK_INT(decode_all(code, len, x, 16), 10);
	check_imm(&x[1], ZYDIS_REGISTER_RDI, UINT64_MAX);
	check_imm(&x[2], ZYDIS_REGISTER_RSI, 0x7fffffffffffULL);
	check_imm(&x[5], ZYDIS_REGISTER_R8, UINT64_MAX);
}

static void test_refused(void)
{
	struct chain_call calls[CHAIN_MAX + 1] = { { 39, { 0 }, 0 } };
	uint8_t code[CHAIN_CODE_MAX];

	for (int i = 1; i <= CHAIN_MAX; i++)
		calls[i] = calls[0];
	CHECK(chain_encode(calls, CHAIN_MAX, code, sizeof(code)) > 0);
	CHECK_INT(chain_encode(calls, CHAIN_MAX + 1, code, sizeof(code)), 0);
	CHECK_INT(chain_encode(calls, 0, code, sizeof(code)), 0);
	/* A result from itself or a later call: not made yet. */
	calls[1].from_result = 1;
	calls[1].args[0] = 1;
	CHECK_INT(chain_encode(calls, 2, code, sizeof(code)), 0);
	calls[1].args[0] = 0;
	CHECK(chain_encode(calls, 2, code, sizeof(code)) > 0);
	CHECK_INT(chain_encode(calls, 2, code, 20), 0);
}

int main(void)
{
	test_region_chain();
	test_wide_values();
	test_refused();
	return unit_done();
}
