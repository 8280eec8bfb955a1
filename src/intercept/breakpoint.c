/* Breakpoints that never disarm: see include/breakpoint.h. */
#include <errno.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "breakpoint.h"
#include "error.h"
#include "tracer_int.h"
#include "watchdog.h"

/* Open addressing on the breakpoint address: bp_find() runs on every
 * trap, so it must not scan. */
struct bp_table {
	struct bp *slots;       /* addr == 0: empty */
	size_t cap, n;
};

struct bp_table *bp_table_new(void)
{
	struct bp_table *bt = xcalloc(1, sizeof(*bt));

	bt->cap = 64;
	bt->slots = xcalloc(bt->cap, sizeof(*bt->slots));
	return bt;
}

struct bp_table *bp_table_copy(const struct bp_table *src)
{
	struct bp_table *bt = xmalloc(sizeof(*bt));

	*bt = *src;
	bt->slots = xmalloc(bt->cap * sizeof(*bt->slots));
	memcpy(bt->slots, src->slots, bt->cap * sizeof(*bt->slots));
	return bt;
}

void bp_table_free(struct bp_table *bt)
{
	if (!bt)
		return;
	free(bt->slots);
	free(bt);
}

size_t bp_count(const struct bp_table *bt)
{
	return bt->n;
}

int bp_leave_xol(const struct bp_table *bt, uint64_t *rip)
{
	for (size_t i = 0; i < bt->cap; i++) {
		const struct bp *b = &bt->slots[i];

		if (!b->addr || b->action != BP_XOL)
			continue;
		/* Before the copy ran: run the original; after it, at the jump
		 * back: continue after the original. */
		if (*rip == b->xol) {
			*rip = b->addr;
			return 1;
		}
		if (*rip == b->xol + b->len) {
			*rip = b->addr + b->len;
			return 1;
		}
	}
	return 0;
}

static size_t bp_hash(uint64_t addr, size_t cap)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static struct bp *bp_slot(const struct bp_table *bt, uint64_t addr)
{
	size_t i = bp_hash(addr, bt->cap);

	while (bt->slots[i].addr && bt->slots[i].addr != addr)
		i = (i + 1) & (bt->cap - 1);
	return &bt->slots[i];
}

const struct bp *bp_find(const struct bp_table *bt, uint64_t addr)
{
	const struct bp *b = bp_slot(bt, addr);
	return b->addr ? b : NULL;
}

void bp_table_add(struct bp_table *bt, const struct bp *b)
{
	if (2 * (bt->n + 1) > bt->cap) {
		struct bp_table bigger = { xcalloc(bt->cap * 2, sizeof(struct bp)), bt->cap * 2, 0 };

		for (size_t i = 0; i < bt->cap; i++)
			if (bt->slots[i].addr)
				*bp_slot(&bigger, bt->slots[i].addr) = bt->slots[i];
		free(bt->slots);
		bt->slots = bigger.slots;
		bt->cap = bigger.cap;
	}
	*bp_slot(bt, b->addr) = *b;
	bt->n++;
}

int bp_jcc_taken(unsigned cc, uint64_t fl)
{
	int cf = !!(fl & 0x1), pf = !!(fl & 0x4), zf = !!(fl & 0x40),
	    sf = !!(fl & 0x80), of = !!(fl & 0x800);
	int r;

	switch (cc >> 1) {
	case 0: r = of; break;                  /* jo */
	case 1: r = cf; break;                  /* jb */
	case 2: r = zf; break;                  /* je */
	case 3: r = cf || zf; break;            /* jbe */
	case 4: r = sf; break;                  /* js */
	case 5: r = pf; break;                  /* jp */
	case 6: r = sf != of; break;            /* jl */
	default: r = zf || sf != of; break;     /* jle */
	}
	return (cc & 1) ? !r : r;
}

/* Relative branches are emulated: moving them would need re-encoding,
 * and emulating costs nothing extra at a trap we take anyway. */
static int prepare_branch(struct bp *b, const ZydisDecodedInstruction *in,
			  const uint8_t *code, const char **why)
{
	int64_t rel = in->raw.imm[0].value.s;

	b->target = b->addr + in->length + rel;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
		b->action = BP_EMUL_JMP;
		return 0;
	case ZYDIS_MNEMONIC_CALL:
		b->action = BP_EMUL_CALL;
		return 0;
	default:
		if (in->meta.category == ZYDIS_CATEGORY_COND_BR &&
		    in->mnemonic != ZYDIS_MNEMONIC_JCXZ && in->mnemonic != ZYDIS_MNEMONIC_JECXZ &&
		    in->mnemonic != ZYDIS_MNEMONIC_JRCXZ) {
			/* 7x rel8 or 0f 8x rel32: the condition is the low nibble. */
			b->cond = (code[0] == 0x0f ? code[1] : code[0]) & 0xf;
			b->action = BP_EMUL_JCC;
			return 0;
		}
		*why = "relative branch that cannot be emulated";
		return -1;
	}
}

/* Copies the instruction to the slot, adjusting a rip-relative
 * displacement so it still names the same address from there, then a
 * `jmp *0(%rip)` back to the next original instruction. */
static int prepare_xol(struct bp *b, const ZydisDecodedInstruction *in,
		       uint64_t xol_addr, uint8_t *slot, const char **why)
{
	static const uint8_t jmp_abs[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	uint64_t back = b->addr + in->length;

	memcpy(slot, b->orig, in->length);
	if (in->attributes & ZYDIS_ATTRIB_HAS_MODRM && in->raw.modrm.mod == 0 &&
	    in->raw.modrm.rm == 5) {
		int64_t disp = in->raw.disp.value + (int64_t)(b->addr - xol_addr);
		int32_t d32 = (int32_t)disp;

		if (disp != d32 || in->raw.disp.size != 32) {
			*why = "rip-relative operand out of reach of the scratch page";
			return -1;
		}
		memcpy(slot + in->raw.disp.offset, &d32, 4);
	}
	memcpy(slot + in->length, jmp_abs, sizeof(jmp_abs));
	memcpy(slot + in->length + sizeof(jmp_abs), &back, 8);
	b->xol = xol_addr;
	b->action = BP_XOL;
	return 0;
}

int bp_prepare(struct bp *b, const uint8_t *code, size_t len, uint64_t xol_addr,
	       uint8_t *slot, const char **why)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, code, len, &in))) {
		*why = "undecodable instruction";
		return -1;
	}
	b->len = in.length;
	memcpy(b->orig, code, in.length);
	if (in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) {
		if (in.raw.imm[0].is_relative)
			return prepare_branch(b, &in, code, why);
		if (in.meta.category == ZYDIS_CATEGORY_COND_BR ||
		    in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
		    in.meta.category == ZYDIS_CATEGORY_CALL) {
			*why = "relative branch that cannot be emulated";
			return -1;
		}
	}
	if (in.mnemonic == ZYDIS_MNEMONIC_RET && in.operand_count_visible == 0) {
		b->action = BP_EMUL_RET;
		return 0;
	}
	if (in.meta.category == ZYDIS_CATEGORY_RET || in.mnemonic == ZYDIS_MNEMONIC_INT3) {
		*why = "instruction that cannot run out of line";
		return -1;
	}
	return prepare_xol(b, &in, xol_addr, slot, why);
}

int bp_step_over(struct proc *p, const struct bp *b, struct user_regs_struct *regs)
{
	uint64_t next = b->addr + b->len;

	switch (b->action) {
	case BP_XOL:
		regs->rip = b->xol;
		return 0;
	case BP_EMUL_JMP:
		regs->rip = b->target;
		return 0;
	case BP_EMUL_CALL:
		regs->rsp -= 8;
		regs->rip = b->target;
		return tracee_write(p, regs->rsp, &next, 8);
	case BP_EMUL_JCC:
		regs->rip = bp_jcc_taken(b->cond, regs->eflags) ? b->target : next;
		return 0;
	case BP_EMUL_RET:
		if (tracee_read(p, regs->rsp, &next, 8))
			return -1;
		regs->rip = next;
		regs->rsp += 8;
		return 0;
	}
	return -1;
}

int bp_insert(struct tracer *tr, struct tcb *t, uint64_t addr, int fn)
{
	struct proc *p = t->proc;
	struct bp b = { .addr = addr, .fn = fn };
	uint8_t code[16], slot[BP_SLOT_SIZE];
	const char *why = NULL;
	uint64_t xol;
	static const uint8_t int3 = 0xcc;

	if (bp_find(p->bps, addr))
		return 0;
	if (tracee_read(p, addr, code, sizeof(code)))
		return error("cannot read code at %#lx in process %d", (unsigned long)addr, p->pid);
	xol = xol_slot_near(tr, t, addr, BP_SLOT_SIZE);
	if (!xol)
		return p->no_scratch ? -1 :
		       error("no scratch page near %#lx in process %d", (unsigned long)addr, p->pid);
	if (bp_prepare(&b, code, sizeof(code), xol, slot, &why) < 0) {
		warning("cannot intercept the function at %#lx: %s", (unsigned long)addr, why);
		return -1;
	}
	if ((b.action == BP_XOL && tracee_write(p, xol, slot, sizeof(slot))) ||
	    tracee_write(p, addr, &int3, 1))
		return error("cannot write a breakpoint at %#lx in process %d",
			     (unsigned long)addr, p->pid);
	bp_table_add(p->bps, &b);
	watchdog_note_breakpoint(p->pid, addr, b.orig[0]);
	return 0;
}

void bp_remove_all(struct proc *p)
{
	struct bp_table *bt = p->bps;

	for (size_t i = 0; i < bt->cap; i++) {
		struct bp *b = &bt->slots[i];

		if (b->addr && tracee_write(p, b->addr, b->orig, 1))
			debug("cannot restore %#lx in %d", (unsigned long)b->addr, p->pid);
		b->addr = 0;
	}
	bt->n = 0;
}
