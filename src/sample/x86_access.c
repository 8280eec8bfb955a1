/* The memory access a sampled thread was making: see x86_access.h.
 *
 * The emulation keeps the 16 general registers with a "known" bit each,
 * and the arithmetic flags with a known mask.  Any instruction it does
 * not compute makes what it writes (Zydis lists every register operand,
 * hidden ones included, and the flags) unknown, and the search goes on:
 * most instructions in a loop body (vector arithmetic, stores of results)
 * touch nothing the address depends on.  An access is refused only when
 * its own address registers were lost. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "error.h"
#include "x86_access.h"

#define MAX_INSN 15
#define FUNC_MAX_BYTES 65536          /* longer functions are not mapped */
#define NO_FALL_THROUGH 0x80000000u   /* x86_func_map.insn flag */
#define FIRST_PAGE_END 4096ULL        /* page 0 is never an access's */

#define FLAG_CF 0x001ULL
#define FLAG_PF 0x004ULL
#define FLAG_ZF 0x040ULL
#define FLAG_SF 0x080ULL
#define FLAG_OF 0x800ULL
#define ARITH_FLAGS (FLAG_CF | FLAG_PF | FLAG_ZF | FLAG_SF | FLAG_OF)

struct reader {
	ZydisDecoder dec;
	x86_code_reader read;
	void *arg;
	struct x86_insn_cache *cache;   /* NULL: none */
};

/* The emulated thread.  General registers by Zydis id: rax rcx rdx rbx
 * rsp rbp rsi rdi r8 .. r15. */
struct emu {
	uint64_t gpr[16];
	uint16_t known;
	uint64_t rip, flags, flags_known, fs_base;
	struct reader rd;
	bool (*constant)(void *arg, uint64_t addr);     /* x86_code's */
	uint64_t lowest_addr;                           /* x86_code's, at least a page */
};

struct x86_func_map {
	uint64_t start;
	uint32_t n, nr_targets;
	uint32_t *insn;            /* offsets of instruction starts | NO_FALL_THROUGH */
	uint32_t *targets;         /* offsets of direct branch targets, sorted */
};

struct insn {
	uint64_t ip;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};

/* One decoded instruction and the bytes it was decoded from. */
struct insn_slot {
	uint8_t len;               /* 0: empty */
	uint8_t bytes[MAX_INSN];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};

/* Direct-mapped by ip, but a position's slot is handed out at its first
 * use, in that order: the slots (1.1 KB each, Zydis's operands) fill
 * their pages one after another, where slots placed by the hash touched
 * a fresh page at nearly every instruction a short profile decoded (150
 * page faults of gcc -O2 -c's profile, each 10-18 us in a VM that traps
 * them). */
struct x86_insn_cache {
	uint64_t mask, hits, misses;
	uint32_t *slot_of;         /* by position: its slot + 1, 0 before its first use */
	uint32_t used;
	struct insn_slot *slots;   /* mapped: untouched slots cost nothing */
};

/* perf's number of each general register, in Zydis id order. */
static const uint8_t perf_of_id[16] = {
	PERF_REG_X86_AX, PERF_REG_X86_CX, PERF_REG_X86_DX, PERF_REG_X86_BX,
	PERF_REG_X86_SP, PERF_REG_X86_BP, PERF_REG_X86_SI, PERF_REG_X86_DI,
	PERF_REG_X86_R8, PERF_REG_X86_R9, PERF_REG_X86_R10, PERF_REG_X86_R11,
	PERF_REG_X86_R12, PERF_REG_X86_R13, PERF_REG_X86_R14, PERF_REG_X86_R15,
};

static const char *const resolution_names[X86_NR_RESOLUTIONS] = {
	[X86_AT_IP] = "at_ip", [X86_BACKWARD] = "backward", [X86_REPEAT] = "repeat",
	[X86_FORWARD] = "forward",
	[X86_NO_CODE] = "no_code", [X86_GATHER] = "gather", [X86_UNKNOWN_REG] = "unknown_reg",
	[X86_UNKNOWN_BRANCH] = "unknown_branch", [X86_NO_FS_BASE] = "no_fs_base",
	[X86_NO_ACCESS] = "no_access", [X86_NOT_USER_ADDR] = "not_user_address",
};

const char *x86_resolution_name(enum x86_resolution how)
{
	return how > 0 && how < X86_NR_RESOLUTIONS ? resolution_names[how] : "?";
}

static uint64_t width_mask(unsigned bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned bits)
{
	return bits >= 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

static uint64_t top_bit(uint64_t v, unsigned bits)
{
	return v >> (bits - 1) & 1;
}

/* ---- registers ---- */

/* Zydis id (0-15) of a general register of any width, or -1. */
static int gpr_id(ZydisRegister r)
{
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8: case ZYDIS_REGCLASS_GPR16:
	case ZYDIS_REGCLASS_GPR32: case ZYDIS_REGCLASS_GPR64:
		return ZydisRegisterGetId(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r));
	default:
		return -1;
	}
}

static int is_high_byte(ZydisRegister r)
{
	return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH;
}

static unsigned reg_bits(ZydisRegister r)
{
	return ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
}

/* 0 and *v, or -1 when r is no general register or its value was lost. */
static int reg_get(const struct emu *e, ZydisRegister r, uint64_t *v)
{
	int id = gpr_id(r);

	if (id < 0 || !(e->known >> id & 1))
		return -1;
	*v = is_high_byte(r) ? e->gpr[id] >> 8 & 0xff : e->gpr[id] & width_mask(reg_bits(r));
	return 0;
}

/* Writes as the cpu does: a 32-bit write clears the upper half, 8 and
 * 16-bit writes keep the rest (unknown if it was). */
static void reg_set(struct emu *e, ZydisRegister r, uint64_t v)
{
	int id = gpr_id(r);
	unsigned bits = reg_bits(r);
	uint64_t keep;

	if (id < 0)
		return;
	if (bits >= 32) {
		e->gpr[id] = v & width_mask(bits);
		e->known |= 1u << id;
		return;
	}
	keep = is_high_byte(r) ? ~0xff00ULL : ~width_mask(bits);
	v = is_high_byte(r) ? (v & 0xff) << 8 : v & width_mask(bits);
	e->gpr[id] = (e->gpr[id] & keep) | v;
}

static unsigned gpr_bit(ZydisRegister r)
{
	int id = gpr_id(r);

	return id < 0 ? 0 : 1u << id;
}

/* The general registers x writes, hidden operands included, as bits by
 * Zydis id. */
static unsigned gprs_written(const struct insn *x)
{
	unsigned bits = 0;
	int i;

	for (i = 0; i < x->in.operand_count; i++)
		if (x->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (x->op[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			bits |= gpr_bit(x->op[i].reg.value);
	return bits;
}

/* ---- decoding ---- */

struct x86_insn_cache *x86_insn_cache_new(unsigned slots)
{
	struct x86_insn_cache *c = xcalloc(1, sizeof(*c));

	c->slot_of = xcalloc(slots, sizeof(*c->slot_of));
	c->slots = xcalloc_sparse(slots, sizeof(*c->slots));
	c->mask = slots - 1;
	return c;
}

void x86_insn_cache_free(struct x86_insn_cache *c)
{
	if (!c)
		return;
	xfree_sparse(c->slots, c->mask + 1, sizeof(*c->slots));
	free(c->slot_of);
	free(c);
}

void x86_insn_cache_counts(const struct x86_insn_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

/* ip's slot; NULL when its position has none and take is false. */
static struct insn_slot *insn_slot(struct x86_insn_cache *c, uint64_t ip, bool take)
{
	uint32_t *slot = &c->slot_of[(ip * 0x9e3779b97f4a7c15ULL >> 32) & c->mask];

	if (!*slot) {
		if (!take)
			return NULL;
		*slot = ++c->used;
	}
	return &c->slots[*slot - 1];
}

/* x from the cache when the n bytes read at x->ip begin with those its
 * slot was decoded from: the decoder reads no further than an
 * instruction's length, so the result would be the same. */
static int insn_cached(struct x86_insn_cache *c, const uint8_t *buf, size_t n, struct insn *x)
{
	const struct insn_slot *s = insn_slot(c, x->ip, false);

	if (!s || !s->len || s->len > n || memcmp(s->bytes, buf, s->len))
		return 0;
	x->in = s->in;
	memcpy(x->op, s->op, s->in.operand_count * sizeof(*x->op));
	/* As ZydisDecoderDecodeFull leaves them. */
	memset(x->op + s->in.operand_count, 0,
	       (ZYDIS_MAX_OPERAND_COUNT - s->in.operand_count) * sizeof(*x->op));
	c->hits++;
	return 1;
}

static void insn_keep(struct x86_insn_cache *c, const uint8_t *buf, const struct insn *x)
{
	struct insn_slot *s = insn_slot(c, x->ip, true);

	s->len = x->in.length;
	memcpy(s->bytes, buf, s->len);
	s->in = x->in;
	memcpy(s->op, x->op, x->in.operand_count * sizeof(*s->op));
	c->misses++;
}

static void reader_init(struct reader *r, x86_code_reader read, void *arg, struct x86_insn_cache *cache)
{
	ZydisDecoderInit(&r->dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	r->read = read;
	r->arg = arg;
	r->cache = cache;
}

static void emu_init(struct emu *e, const struct x86_regs *regs, const struct x86_code *code)
{
	int i;

	for (i = 0; i < 16; i++)
		e->gpr[i] = regs->r[perf_of_id[i]];
	e->known = 0xffff;
	e->rip = regs->r[PERF_REG_X86_IP];
	e->flags = regs->r[PERF_REG_X86_FLAGS];
	e->flags_known = ARITH_FLAGS;
	e->fs_base = regs->fs_base;
	reader_init(&e->rd, code->read, code->arg, code->insns);
	e->constant = code->constant;
	e->lowest_addr = code->lowest_addr > FIRST_PAGE_END ? code->lowest_addr : FIRST_PAGE_END;
}

static int decode(const struct reader *r, uint64_t ip, struct insn *x)
{
	uint8_t buf[MAX_INSN];
	size_t n = r->read(r->arg, ip, buf, sizeof(buf));

	x->ip = ip;
	if (!n)
		return -1;
	if (r->cache && insn_cached(r->cache, buf, n, x))
		return 0;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&r->dec, buf, n, &x->in, x->op)))
		return -1;
	if (r->cache)
		insn_keep(r->cache, buf, x);
	return 0;
}

/* Forgets whatever x writes: registers, flags. */
static void lose_written(struct emu *e, const struct insn *x)
{
	const ZydisAccessedFlags *f = x->in.cpu_flags;

	e->known &= ~gprs_written(x);
	if (f)
		e->flags_known &= ~(uint64_t)(f->modified | f->set_0 | f->set_1 | f->undefined);
}

/* jmp, call, ret, syscall...: whatever changes rip other than by
 * going on. */
static int writes_rip(const struct insn *x)
{
	int i;

	for (i = 0; i < x->in.operand_count; i++)
		if (x->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER && x->op[i].reg.value == ZYDIS_REGISTER_RIP &&
		    (x->op[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			return 1;
	return 0;
}

/* A rep string instruction with rcx 0 touches nothing. */
static int rep_skipped(const struct emu *e, const struct insn *x)
{
	uint64_t rcx;

	return (x->in.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE)) &&
	       !reg_get(e, x->in.address_width == 32 ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_RCX, &rcx) &&
	       !rcx;
}

/* A rip-relative read of memory the program cannot write (see
 * x86_code.constant). */
static bool reads_constant(const struct emu *e, const struct insn *x, const ZydisDecodedOperand *op)
{
	return e->constant && op->mem.base == ZYDIS_REGISTER_RIP &&
	       !(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
	       e->constant(e->rd.arg, x->ip + x->in.length + (uint64_t)op->mem.disp.value);
}

/* The memory operand that is x's access, or NULL: explicit before hidden
 * (call [rax] reads its target, then pushes), a write before a read (movs:
 * its destination).  lea computes an address and nop's operand is never
 * accessed; a constant is no access (call [rip+slot] of a relocated GOT:
 * its push). */
static const ZydisDecodedOperand *access_operand(const struct emu *e, const struct insn *x)
{
	const ZydisDecodedOperand *best = NULL;
	int i, rank, best_rank = 0;

	if (x->in.meta.category == ZYDIS_CATEGORY_NOP || x->in.meta.category == ZYDIS_CATEGORY_WIDENOP ||
	    rep_skipped(e, x))
		return NULL;
	for (i = 0; i < x->in.operand_count; i++) {
		const ZydisDecodedOperand *op = &x->op[i];

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    (op->mem.type != ZYDIS_MEMOP_TYPE_MEM && op->mem.type != ZYDIS_MEMOP_TYPE_VSIB) ||
		    reads_constant(e, x, op))
			continue;
		rank = 1 + 2 * (op->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT) +
		       !!(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
		if (rank > best_rank) {
			best = op;
			best_rank = rank;
		}
	}
	return best;
}

/* base + index * scale + disp (+ fs_base), from e's registers. */
static enum x86_resolution mem_addr(const struct emu *e, const struct insn *x,
				    const ZydisDecodedOperandMem *m, uint64_t *addr)
{
	uint64_t base = 0, index = 0;

	if (m->type == ZYDIS_MEMOP_TYPE_VSIB)
		return X86_GATHER;
	if (m->base == ZYDIS_REGISTER_RIP)
		base = x->ip + x->in.length;
	else if (m->base != ZYDIS_REGISTER_NONE && reg_get(e, m->base, &base))
		return X86_UNKNOWN_REG;
	if (m->index != ZYDIS_REGISTER_NONE && reg_get(e, m->index, &index))
		return X86_UNKNOWN_REG;
	*addr = (base + index * m->scale + (uint64_t)m->disp.value) & width_mask(x->in.address_width);
	if (m->segment == ZYDIS_REGISTER_FS) {
		if (!e->fs_base)
			return X86_NO_FS_BASE;
		*addr += e->fs_base;
	} else if (m->segment == ZYDIS_REGISTER_GS) {
		return X86_UNKNOWN_REG;       /* user gs_base: not sampled */
	}
	return 0;
}

/* Fills out with x's access through op; how, or why not. */
static enum x86_resolution access_of(const struct emu *e, const struct insn *x,
				     const ZydisDecodedOperand *op, enum x86_resolution how,
				     struct x86_access *out)
{
	enum x86_resolution r = mem_addr(e, x, &op->mem, &out->addr);
	int write = !!(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);

	if (r)
		return r;
	out->ip = x->ip;
	out->size = op->size / 8;
	out->kind = write ? 'W' : 'R';
	/* push and call: Zydis says [rsp], the slot is below rsp as sampled. */
	if (write && op->mem.base == ZYDIS_REGISTER_RSP &&
	    (gprs_written(x) & gpr_bit(ZYDIS_REGISTER_RSP)))
		out->addr -= out->size;
	if (out->addr < e->lowest_addr || (int64_t)out->addr < 0)
		return X86_NOT_USER_ADDR;
	return how;
}

/* ---- emulation ---- */

/* The 16 conditions of Jcc/CMOVcc/SETcc, by the low nibble of the opcode,
 * in pairs (cc, not cc): the flags each pair tests. */
static const uint64_t cond_flags[8] = {
	FLAG_OF, FLAG_CF, FLAG_ZF, FLAG_CF | FLAG_ZF, FLAG_SF, FLAG_PF,
	FLAG_SF | FLAG_OF, FLAG_ZF | FLAG_SF | FLAG_OF,
};

/* 1 or 0, or -1 when a flag it tests is unknown. */
static int condition(const struct emu *e, unsigned cc)
{
	uint64_t f = e->flags;
	int sf_ne_of = !(f & FLAG_SF) != !(f & FLAG_OF), r;

	if ((e->flags_known & cond_flags[cc >> 1]) != cond_flags[cc >> 1])
		return -1;
	switch (cc >> 1) {
	case 0: r = !!(f & FLAG_OF); break;
	case 1: r = !!(f & FLAG_CF); break;
	case 2: r = !!(f & FLAG_ZF); break;
	case 3: r = (f & (FLAG_CF | FLAG_ZF)) != 0; break;
	case 4: r = !!(f & FLAG_SF); break;
	case 5: r = !!(f & FLAG_PF); break;
	case 6: r = sf_ne_of; break;
	default: r = (f & FLAG_ZF) || sf_ne_of; break;
	}
	return cc & 1 ? !r : r;
}

static void set_flags(struct emu *e, uint64_t which, uint64_t r, unsigned bits, int cf, int of)
{
	uint64_t f = 0;

	r &= width_mask(bits);
	f |= cf ? FLAG_CF : 0;
	f |= of ? FLAG_OF : 0;
	f |= r ? 0 : FLAG_ZF;
	f |= top_bit(r, bits) ? FLAG_SF : 0;
	f |= __builtin_parityll(r & 0xff) ? 0 : FLAG_PF;
	e->flags = (e->flags & ~which) | (f & which);
	e->flags_known |= which;
}

/* Shifts by count (masked as the cpu does); a count of 0 changes no
 * flag.  OF is left to the caller's undefined mask. */
static void shift(struct emu *e, ZydisMnemonic m, uint64_t a, uint64_t count, unsigned bits, uint64_t *r)
{
	int64_t sa = (int64_t)sign_extend(a, bits);
	int cf;

	count &= bits == 64 ? 63 : 31;
	if (!count) {
		*r = a;
		return;
	}
	if (m == ZYDIS_MNEMONIC_SHL) {
		*r = a << count;
		cf = count <= bits && (a >> (bits - count) & 1);
	} else if (m == ZYDIS_MNEMONIC_SHR) {
		*r = a >> count;
		cf = a >> (count - 1) & 1;
	} else {
		*r = (uint64_t)(sa >> count);
		cf = sa >> (count - 1) & 1;
	}
	set_flags(e, ARITH_FLAGS, *r, bits, cf, 0);
}

/* r = a op b at width bits, with its flags; -1 when op is not one of the
 * arithmetic the emulation knows. */
static int alu(struct emu *e, ZydisMnemonic m, uint64_t a, uint64_t b, unsigned bits, uint64_t *r)
{
	uint64_t mask = width_mask(bits), which = ARITH_FLAGS;
	int cf = 0, of = 0;

	a &= mask;
	b &= mask;
	switch (m) {
	case ZYDIS_MNEMONIC_INC:
		which &= ~FLAG_CF;
		/* fall through */
	case ZYDIS_MNEMONIC_ADD:
		*r = (a + b) & mask;
		cf = *r < a;
		of = top_bit((a ^ *r) & (b ^ *r), bits);
		break;
	case ZYDIS_MNEMONIC_DEC:
		which &= ~FLAG_CF;
		/* fall through */
	case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_CMP:
		*r = (a - b) & mask;
		cf = a < b;
		of = top_bit((a ^ b) & (a ^ *r), bits);
		break;
	case ZYDIS_MNEMONIC_NEG:
		*r = (0 - a) & mask;
		cf = a != 0;
		of = top_bit(a & *r, bits);
		break;
	case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_TEST: *r = a & b; break;
	case ZYDIS_MNEMONIC_OR: *r = a | b; break;
	case ZYDIS_MNEMONIC_XOR: *r = a ^ b; break;
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
		shift(e, m, a, b, bits, r);
		return 0;
	default:
		return -1;
	}
	set_flags(e, which, *r, bits, cf, of);
	return 0;
}

/* A register or immediate operand's value (immediates sign-extended as
 * the cpu does). */
static int value(const struct emu *e, const ZydisDecodedOperand *op, uint64_t *v)
{
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		*v = op->imm.value.u;
		return 0;
	}
	return op->type == ZYDIS_OPERAND_TYPE_REGISTER ? reg_get(e, op->reg.value, v) : -1;
}

/* xor r, r and sub r, r: zero, whatever r held. */
static int zeroing(const struct insn *x)
{
	return (x->in.mnemonic == ZYDIS_MNEMONIC_XOR || x->in.mnemonic == ZYDIS_MNEMONIC_SUB) &&
	       x->op[1].type == ZYDIS_OPERAND_TYPE_REGISTER && x->op[1].reg.value == x->op[0].reg.value;
}

/* Moves of a register, an immediate or an address into a register. */
static int move(struct emu *e, const struct insn *x, ZydisRegister dst, const ZydisDecodedOperand *s)
{
	uint64_t v;
	int cond;

	switch (x->in.mnemonic) {
	case ZYDIS_MNEMONIC_LEA:
		if (s->mem.segment == ZYDIS_REGISTER_FS || s->mem.segment == ZYDIS_REGISTER_GS ||
		    mem_addr(e, x, &s->mem, &v))
			return -1;
		break;
	case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
		if (value(e, s, &v))
			return -1;
		v = sign_extend(v, s->size);
		break;
	default:
		if (x->in.meta.category == ZYDIS_CATEGORY_CMOV) {
			/* Not taken, a 32-bit cmov still clears the upper half. */
			cond = condition(e, x->in.opcode & 0xf);
			if (cond < 0 || (cond ? value(e, s, &v) : reg_get(e, dst, &v)))
				return -1;
		} else if (value(e, s, &v)) {
			return -1;
		}
	}
	reg_set(e, dst, v);
	return 0;
}

/* Index arithmetic that sets no flag the emulation keeps: cdqe (an int
 * index widened), not, imul (whose flags it drops). */
static int index_arith(struct emu *e, const struct insn *x)
{
	const ZydisDecodedOperand *d = &x->op[0];
	unsigned n = x->in.operand_count_visible;
	uint64_t a, b;

	switch (x->in.mnemonic) {
	case ZYDIS_MNEMONIC_CDQE:
		if (reg_get(e, ZYDIS_REGISTER_EAX, &a))
			return -1;
		reg_set(e, ZYDIS_REGISTER_RAX, sign_extend(a, 32));
		return 0;
	case ZYDIS_MNEMONIC_NOT:
		if (n != 1 || reg_get(e, d->reg.value, &a))
			return -1;
		reg_set(e, d->reg.value, ~a);
		return 0;
	default:        /* imul r, r/imm or imul r, r, imm */
		if (n == 3 ? value(e, &x->op[1], &a) || value(e, &x->op[2], &b)
			   : n != 2 || reg_get(e, d->reg.value, &a) || value(e, &x->op[1], &b))
			return -1;
		reg_set(e, d->reg.value, a * b);
		e->flags_known &= ~ARITH_FLAGS;
		return 0;
	}
}

/* Computes x on e when the emulation knows how; -1 otherwise. */
static int emulate(struct emu *e, const struct insn *x)
{
	const ZydisDecodedOperand *d = &x->op[0], *s = &x->op[1];
	unsigned n = x->in.operand_count_visible;
	ZydisMnemonic m = x->in.mnemonic;
	uint64_t a = 0, b = 1, r;

	if (m == ZYDIS_MNEMONIC_CDQE)
		return index_arith(e, x);
	if (!n || d->type != ZYDIS_OPERAND_TYPE_REGISTER || gpr_id(d->reg.value) < 0)
		return -1;
	if (m == ZYDIS_MNEMONIC_NOT || m == ZYDIS_MNEMONIC_IMUL)
		return index_arith(e, x);
	if (n == 2 && (m == ZYDIS_MNEMONIC_MOV || m == ZYDIS_MNEMONIC_MOVZX || m == ZYDIS_MNEMONIC_MOVSX ||
		       m == ZYDIS_MNEMONIC_MOVSXD || m == ZYDIS_MNEMONIC_LEA ||
		       x->in.meta.category == ZYDIS_CATEGORY_CMOV))
		return move(e, x, d->reg.value, s);
	if (n == 2 && zeroing(x))
		b = 0;
	else if (reg_get(e, d->reg.value, &a) || (n > 1 && value(e, s, &b)))
		return -1;
	if (alu(e, m, a, b, d->size, &r))
		return -1;
	if (m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST)
		reg_set(e, d->reg.value, r);
	if (x->in.cpu_flags)
		e->flags_known &= ~(uint64_t)x->in.cpu_flags->undefined;
	return 0;
}

/* jmp and Jcc: where they go, or why not known. */
static enum x86_resolution branch(struct emu *e, const struct insn *x)
{
	const ZydisDecodedOperand *t = &x->op[0];
	uint64_t next = x->ip + x->in.length, target, rcx;
	int taken = 1;

	switch (x->in.mnemonic) {
	case ZYDIS_MNEMONIC_JCXZ: case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JRCXZ:
		if (reg_get(e, x->in.mnemonic == ZYDIS_MNEMONIC_JRCXZ ? ZYDIS_REGISTER_RCX :
			    x->in.mnemonic == ZYDIS_MNEMONIC_JECXZ ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_CX, &rcx))
			return X86_UNKNOWN_BRANCH;
		taken = !rcx;
		break;
	case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
		return X86_NO_ACCESS;
	default:
		if (x->in.meta.category == ZYDIS_CATEGORY_COND_BR &&
		    (taken = condition(e, x->in.opcode & 0xf)) < 0)
			return X86_UNKNOWN_BRANCH;
	}
	if (t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && t->imm.is_relative)
		target = next + t->imm.value.u;
	else if (t->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return X86_NO_ACCESS;      /* far */
	else if (reg_get(e, t->reg.value, &target))
		return X86_UNKNOWN_BRANCH;
	e->rip = taken ? target : next;
	return 0;
}

/* Executes x (no memory access) on e; 0, or why the search stops. */
static enum x86_resolution step(struct emu *e, const struct insn *x)
{
	ZydisInstructionCategory c = x->in.meta.category;

	if (c == ZYDIS_CATEGORY_COND_BR || c == ZYDIS_CATEGORY_UNCOND_BR)
		return branch(e, x);
	/* syscall, int, ret far...: the kernel or another context runs next. */
	if (c == ZYDIS_CATEGORY_SYSCALL || c == ZYDIS_CATEGORY_INTERRUPT || writes_rip(x))
		return X86_NO_ACCESS;
	if (!rep_skipped(e, x) && emulate(e, x))
		lose_written(e, x);
	e->rip = x->ip + x->in.length;
	return 0;
}

/* From x at ip (no access), the next access within X86_FORWARD_MAX
 * instructions. */
static enum x86_resolution forward(struct emu *e, struct insn *x, struct x86_access *out)
{
	const ZydisDecodedOperand *op;
	enum x86_resolution r;
	unsigned steps;

	for (steps = 1; steps <= X86_FORWARD_MAX; steps++) {
		if ((r = step(e, x)))
			return r;
		if (decode(&e->rd, e->rip, x))
			return X86_NO_CODE;
		if ((op = access_operand(e, x))) {
			out->steps = steps;
			return access_of(e, x, op, X86_FORWARD, out);
		}
	}
	return X86_NO_ACCESS;
}

/* ---- backward ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether control reaches the instruction after in only from elsewhere
 * (no_fall_through() without the operands). */
static int ends_flow(const ZydisDecodedInstruction *in)
{
	ZydisInstructionCategory c = in->meta.category;

	return c == ZYDIS_CATEGORY_UNCOND_BR || c == ZYDIS_CATEGORY_RET || c == ZYDIS_CATEGORY_CALL ||
	       c == ZYDIS_CATEGORY_SYSCALL || c == ZYDIS_CATEGORY_INTERRUPT;
}

/* The function's bytes are read once and decoded without operands: a
 * length, a category and a relative target are all a map needs.  Read an
 * instruction at a time with its operands, python's functions cost the
 * clock sampler about 80 us per sample in a function not met before. */
struct x86_func_map *x86_func_map_build(uint64_t start, uint64_t end, x86_code_reader read, void *arg)
{
	ZydisDecoder dec;
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction in;
	struct x86_func_map *m;
	uint8_t *bytes;
	size_t len, got, off;

	if (end <= start || end - start > FUNC_MAX_BYTES)
		return NULL;
	len = (size_t)(end - start);
	/* The last instruction may end past end (glibc's FDE of __restore_rt
	 * starts a byte before it, inside a nop). */
	bytes = xmalloc(len + MAX_INSN);
	got = read(arg, start, bytes, len + MAX_INSN);
	if (got < len) {
		free(bytes);
		return NULL;
	}
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	/* Lengths, categories and raw immediates are decoded alike without
	 * the rest (4.1 million of cc1's instructions compared), 18% sooner. */
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE);
	m = xcalloc(1, sizeof(*m));
	m->start = start;
	m->insn = xmalloc(len * sizeof(*m->insn));
	m->targets = xmalloc(len * sizeof(*m->targets));
	for (off = 0; off < len; off += in.length) {
		uint64_t target;

		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, &ctx, bytes + off, got - off, &in))) {
			x86_func_map_free(m);
			free(bytes);
			return NULL;
		}
		m->insn[m->n++] = (uint32_t)off | (ends_flow(&in) ? NO_FALL_THROUGH : 0);
		target = start + off + in.length + (uint64_t)in.raw.imm[0].value.s;
		if (in.raw.imm[0].is_relative && target >= start && target < end)
			m->targets[m->nr_targets++] = (uint32_t)(target - start);
	}
	free(bytes);
	qsort(m->targets, m->nr_targets, sizeof(*m->targets), cmp_u32);
	/* Sized for one instruction per byte: keep what was used. */
	m->insn = xrealloc(m->insn, m->n * sizeof(*m->insn));
	m->targets = xrealloc(m->targets, (m->nr_targets ? m->nr_targets : 1) * sizeof(*m->targets));
	return m;
}

void x86_func_map_free(struct x86_func_map *m)
{
	if (!m)
		return;
	free(m->insn);
	free(m->targets);
	free(m);
}

/* Index of the instruction starting at offset off, or -1. */
static ssize_t insn_at(const struct x86_func_map *m, uint32_t off)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = m->insn[mid] & ~NO_FALL_THROUGH;

		if (v == off)
			return (ssize_t)mid;
		if (v < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

uint64_t x86_func_map_predecessor(const struct x86_func_map *m, uint64_t ip)
{
	uint32_t off = (uint32_t)(ip - m->start);
	ssize_t i;

	if (ip <= m->start || ip - m->start >= FUNC_MAX_BYTES || (i = insn_at(m, off)) <= 0 ||
	    (m->insn[i - 1] & NO_FALL_THROUGH) ||
	    bsearch(&off, m->targets, m->nr_targets, sizeof(*m->targets), cmp_u32))
		return 0;
	return m->start + m->insn[i - 1];
}

/* Whether x changed a register its own address uses (pop, movs, a load
 * into its base): its address can then not be known from after. */
static int moved_own_address(const struct insn *x, const ZydisDecodedOperand *op)
{
	return !!(gprs_written(x) & (gpr_bit(op->mem.base) | gpr_bit(op->mem.index)));
}

/* Could an instruction decoded at rip - k end at rip?  Its length alone
 * says, without operands or the cache: decoded from the k bytes before
 * rip (before, the MAX_INSN bytes before rip), it must take all of them. */
static bool ends_at_rip(const struct emu *e, const uint8_t *before, uint64_t k)
{
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction in;

	return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&e->rd.dec, &ctx, before + MAX_INSN - k,
							  k, &in)) && in.length == k;
}

/* Does some instruction with an access end at rip, decoded from one of
 * the 15 bytes before it?  The one before rip, whatever it is, would be
 * among them: where none is, the function's map (a decode of all of it,
 * tens of microseconds in LLVM's large functions, at each sample in a
 * function not met before) is not built for nothing.  The bytes before
 * rip are read once and only the starts whose length fits are decoded
 * in full: fifteen full decodes a sample, each through the instruction
 * cache, touched fifteen of its slots (its 2 MiB faulted in page by
 * page over a profile's first samples). */
static bool access_may_end_at(const struct emu *e)
{
	uint8_t before[MAX_INSN];
	bool have_before = e->rip > MAX_INSN &&
			   e->rd.read(e->rd.arg, e->rip - MAX_INSN, before, MAX_INSN) == MAX_INSN;

	for (uint64_t k = 1; k <= MAX_INSN && k < e->rip; k++) {
		struct insn x;

		if ((!have_before || ends_at_rip(e, before, k)) && !decode(&e->rd, e->rip - k, &x) &&
		    x.in.length == k && access_operand(e, &x))
			return true;
	}
	return false;
}

/* The instruction just before ip when the only way to ip is falling
 * through it, and its access (NULL: none, or not known). */
static const ZydisDecodedOperand *access_before(const struct emu *e, const struct x86_code *code,
						struct insn *prev)
{
	uint64_t before = code->predecessor ? code->predecessor(code->arg, e->rip, false) : 0;

	if (before == X86_PREDECESSOR_UNKNOWN)
		before = access_may_end_at(e) ? code->predecessor(code->arg, e->rip, true) : 0;
	if (!before || decode(&e->rd, before, prev) || prev->ip + prev->in.length != e->rip)
		return NULL;
	return access_operand(e, prev);
}

/* The stalled access before ip, whose load changed a register of its own
 * address (mov rsi, [rax+rsi*8]; a list's mov rax, [rax]): found at its
 * next run, emulating forward from x at ip, other accesses stepped over
 * (what they load unknown), within X86_FORWARD_MAX instructions. */
static enum x86_resolution repeat(struct emu *e, struct insn *x, uint64_t stalled_ip,
				  struct x86_access *out)
{
	const ZydisDecodedOperand *op;
	enum x86_resolution r;

	for (unsigned steps = 1; steps <= X86_FORWARD_MAX; steps++) {
		if ((r = step(e, x)))
			return r;
		if (decode(&e->rd, e->rip, x))
			return X86_NO_CODE;
		if (x->ip == stalled_ip) {
			if (!(op = access_operand(e, x)))
				return X86_NO_ACCESS;
			out->steps = steps;
			return access_of(e, x, op, X86_REPEAT, out);
		}
	}
	return X86_NO_ACCESS;
}

/* The access the thread stalled on, when known: the one just before ip
 * (a clock interrupt is taken once the instruction that kept the others
 * from retiring has), at its address then or at its next run. */
static enum x86_resolution stalled_access(const struct emu *e, const struct insn *x,
					  const struct x86_code *code, struct x86_access *out)
{
	const ZydisDecodedOperand *op;
	struct insn prev, ahead = *x;
	struct emu run = *e;

	if (!(op = access_before(e, code, &prev)))
		return X86_NO_ACCESS;
	if (!moved_own_address(&prev, op))
		return access_of(e, &prev, op, X86_BACKWARD, out);
	return repeat(&run, &ahead, prev.ip, out);
}

enum x86_resolution x86_find_access(const struct x86_regs *regs, const struct x86_code *code,
				    struct x86_access *out)
{
	const ZydisDecodedOperand *op;
	enum x86_resolution how;
	struct insn x;
	struct emu e;

	memset(out, 0, sizeof(*out));
	emu_init(&e, regs, code);
	if (decode(&e.rd, e.rip, &x))
		return X86_NO_CODE;
	how = stalled_access(&e, &x, code, out);
	if (how == X86_BACKWARD || how == X86_REPEAT)
		return how;
	memset(out, 0, sizeof(*out));
	if ((op = access_operand(&e, &x)))
		return access_of(&e, &x, op, X86_AT_IP, out);
	return forward(&e, &x, out);
}
