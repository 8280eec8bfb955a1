/* Jump hooks: see include/jmphook.h. */
#include <string.h>
#include <Zydis/Zydis.h>

#include "jmphook.h"

static int decode(const uint8_t *code, size_t len, ZydisDecodedInstruction *in)
{
	ZydisDecoder dec;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, code, len, in)) ? 0 : -1;
}

static int rel32(uint64_t target, uint64_t next, int32_t *out)
{
	int64_t d = (int64_t)(target - next);

	*out = (int32_t)d;
	return d == *out ? 0 : -1;
}

static void put_abs_jump(uint8_t *p, uint64_t target)
{
	static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };   /* jmp *0(%rip) */

	memcpy(p, jmp, 6);
	memcpy(p + 6, &target, 8);
}

/* A relative branch, re-encoded with a 32-bit displacement from its new
 * place.  Returns its new length, or -1. */
static int move_branch(const ZydisDecodedInstruction *in, const uint8_t *code, uint64_t ip,
		       uint64_t new_ip, uint8_t *out, const char **why)
{
	uint64_t target = ip + in->length + in->raw.imm[0].value.s;
	int32_t d;
	int n;

	if (in->mnemonic == ZYDIS_MNEMONIC_JMP || in->mnemonic == ZYDIS_MNEMONIC_CALL) {
		out[0] = in->mnemonic == ZYDIS_MNEMONIC_JMP ? 0xe9 : 0xe8;
		n = 5;
	} else if (in->meta.category == ZYDIS_CATEGORY_COND_BR && (code[0] & 0xf0) == 0x70) {
		out[0] = 0x0f;
		out[1] = 0x80 | (code[0] & 0xf);
		n = 6;
	} else if (in->meta.category == ZYDIS_CATEGORY_COND_BR && code[0] == 0x0f) {
		out[0] = 0x0f;
		out[1] = code[1];
		n = 6;
	} else {
		*why = "a relative branch that cannot be moved";
		return -1;
	}
	if (rel32(target, new_ip + n, &d)) {
		*why = "a branch target out of reach of the slot";
		return -1;
	}
	memcpy(out + n - 4, &d, 4);
	return n;
}

/* One instruction to its new place: rip-relative operands keep naming
 * the same address.  Returns the new length, or -1. */
static int move_insn(const ZydisDecodedInstruction *in, const uint8_t *code, uint64_t ip,
		     uint64_t new_ip, uint8_t *out, const char **why)
{
	if (in->attributes & ZYDIS_ATTRIB_IS_RELATIVE) {
		if (in->raw.imm[0].is_relative)
			return move_branch(in, code, ip, new_ip, out, why);
		if (!(in->attributes & ZYDIS_ATTRIB_HAS_MODRM)) {
			*why = "a relative instruction that cannot be moved";
			return -1;
		}
	}
	if (in->meta.category == ZYDIS_CATEGORY_RET || in->mnemonic == ZYDIS_MNEMONIC_INT3) {
		*why = "a function shorter than the jump";
		return -1;
	}
	memcpy(out, code, in->length);
	if (in->attributes & ZYDIS_ATTRIB_HAS_MODRM && in->raw.modrm.mod == 0 &&
	    in->raw.modrm.rm == 5) {
		int64_t disp = in->raw.disp.value + (int64_t)(ip - new_ip);
		int32_t d32 = (int32_t)disp;

		if (disp != d32 || in->raw.disp.size != 32) {
			*why = "a rip-relative operand out of reach of the slot";
			return -1;
		}
		memcpy(out + in->raw.disp.offset, &d32, 4);
	}
	return in->length;
}

static void put_thunk(uint8_t *slot, uint32_t number, uint64_t entry)
{
	slot[0] = 0x41;         /* mov $number, %r11d */
	slot[1] = 0xbb;
	memcpy(slot + 2, &number, 4);
	put_abs_jump(slot + 6, entry);
}

/* Is everything from at to the jump's end alignment padding (nops,
 * int3), which nothing runs? */
static bool padding_to_jump_end(const uint8_t *code, size_t len, size_t at)
{
	while (at < JMPHOOK_JMP_LEN) {
		ZydisDecodedInstruction in;

		if (decode(code + at, len - at, &in) ||
		    (in.mnemonic != ZYDIS_MNEMONIC_NOP && in.mnemonic != ZYDIS_MNEMONIC_INT3))
			return false;
		at += in.length;
	}
	return true;
}

int jmphook_prepare(struct jmphook *h, uint64_t addr, const uint8_t *code, size_t len,
		    uint64_t slot_addr, uint32_t number, uint64_t entry, uint8_t *slot,
		    const char **why)
{
	uint64_t copy = slot_addr + JMPHOOK_ORIGINAL;
	size_t at = 0, out = 0;

	memset(h, 0, sizeof(*h));
	memset(slot, 0xcc, JMPHOOK_SLOT_SIZE);
	h->addr = addr;
	h->slot = slot_addr;
	put_thunk(slot, number, entry);
	while (at < JMPHOOK_JMP_LEN) {
		ZydisDecodedInstruction in;
		int n;

		if (decode(code + at, len - at, &in)) {
			*why = "an undecodable instruction";
			return -1;
		}
		/* A function that returns before the jump's end, then padding
		 * up to the next one (the loader's _dl_debug_state() is a lone
		 * ret): the jump covers padding; the copy ends with the ret. */
		if (in.meta.category == ZYDIS_CATEGORY_RET &&
		    padding_to_jump_end(code, len, at + in.length)) {
			memcpy(slot + JMPHOOK_ORIGINAL + out, code + at, in.length);
			h->from[h->ninsn] = at;
			h->to[h->ninsn++] = out;
			h->len = JMPHOOK_JMP_LEN;
			memcpy(h->orig, code, JMPHOOK_JMP_LEN);
			return 0;
		}
		n = move_insn(&in, code + at, addr + at, copy + out,
			      slot + JMPHOOK_ORIGINAL + out, why);
		if (n < 0)
			return -1;
		h->from[h->ninsn] = at;
		h->to[h->ninsn++] = out;
		at += in.length;
		out += n;
	}
	if (JMPHOOK_ORIGINAL + out + 14 > JMPHOOK_SLOT_SIZE) {
		*why = "replaced instructions too long";
		return -1;
	}
	put_abs_jump(slot + JMPHOOK_ORIGINAL + out, addr + at);
	h->len = at;
	memcpy(h->orig, code, at);
	return 0;
}

void jmphook_jump(const struct jmphook *h, uint8_t out[JMPHOOK_JMP_LEN])
{
	int32_t d = (int32_t)(int64_t)(h->slot - (h->addr + JMPHOOK_JMP_LEN));

	out[0] = 0xe9;
	memcpy(out + 1, &d, 4);
}

bool jmphook_branch_inside(const struct jmphook *h, const uint8_t *body, size_t size)
{
	size_t at = 0;

	while (at < size) {
		ZydisDecodedInstruction in;

		if (decode(body + at, size - at, &in)) {
			at++;           /* data or padding: resynchronise */
			continue;
		}
		if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && in.raw.imm[0].is_relative) {
			uint64_t target = h->addr + at + in.length + in.raw.imm[0].value.s;

			if (target > h->addr && target < h->addr + h->len)
				return true;
		}
		at += in.length;
	}
	return false;
}

uint64_t jmphook_moved_rip(const struct jmphook *h, uint64_t rip)
{
	for (int i = 1; i < h->ninsn; i++)
		if (rip == h->addr + h->from[i])
			return h->slot + JMPHOOK_ORIGINAL + h->to[i];
	return 0;
}

int jmphook_run_length(const uint64_t *addrs, int n)
{
	int k = n > 0;

	for (; k < n; k++) {
		uint64_t prev_end = addrs[k - 1] + JMPHOOK_JMP_LEN;

		if (addrs[k] < prev_end || addrs[k] / 4096 > (prev_end - 1) / 4096 + 1 ||
		    addrs[k] + JMPHOOK_JMP_LEN - addrs[0] > JMPHOOK_RUN_MAX)
			break;
	}
	return k;
}
