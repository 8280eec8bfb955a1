/* The unwind rule of one code address, read where the loader mapped it:
 * the module's .eh_frame_hdr gives the FDE covering the address (binary
 * search in its table; or in numamma's, agent_cfi_fdes(), for a module
 * without one), and the FDE's CIE's initial instructions, then
 * the FDE's own, are run up to the address.  The agent asks only for
 * return addresses it has not met before (agent_unwind_rule caches
 * them), so no table of every row of every module is built: cc1's took
 * numamma 18 ms to build and 7 ms to copy per process.
 *
 * A rule says what a walk needs, like the kernel's ORC entries: CFA =
 * rsp|rbp + k, rbp saved at CFA + j or unchanged, the return address at
 * CFA - 8.  Anything else (DWARF expressions, the return address
 * elsewhere) is AGENT_CFA_END, the walk's end.
 *
 * Every byte read is checked against the bounds of the module's sections
 * (struct agent_module): damaged unwind data gives no rule, never a read
 * elsewhere.  Freestanding (no libc, no memcpy): compiled into the agent,
 * and natively into the tests. */
#include <stdbool.h>

#include "agent.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16
#define MAX_REMEMBERED 8

/* Bytes in [p, end) of the program's memory, read in place; or a copy
 * of them, delta bytes below where they are loaded (numamma's, for
 * agent_cfi_fdes()). */
struct reader {
	const uint8_t *p, *end;
	bool bad;
	uint64_t delta;
};

static uint8_t byte(struct reader *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static uint64_t uleb(struct reader *r)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		b = byte(r);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80 && !r->bad);
	return v;
}

static int64_t sleb(struct reader *r)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		b = byte(r);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80 && !r->bad);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;     /* the sign, unsigned: no shift into int64_t's */
	return (int64_t)v;
}

/* A little-endian value of size bytes. */
static uint64_t fixed(struct reader *r, int size)
{
	uint64_t v = 0;

	if (r->end - r->p < size) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < size; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += size;
	return v;
}

/* A pointer in DW_EH_PE encoding enc: absolute or pc-relative (to where
 * the value itself is loaded). */
static uint64_t pointer(struct reader *r, uint8_t enc)
{
	uint64_t at = (uint64_t)(uintptr_t)r->p + r->delta, v;

	switch (enc & 0x0f) {
	case 0x00: v = fixed(r, 8); break;
	case 0x01: v = uleb(r); break;
	case 0x02: v = fixed(r, 2); break;
	case 0x03: v = fixed(r, 4); break;
	case 0x04: v = fixed(r, 8); break;
	case 0x09: v = (uint64_t)sleb(r); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(r, 4); break;
	case 0x0c: v = fixed(r, 8); break;
	default: r->bad = true; return 0;
	}
	if ((enc & 0x70) == 0x10)
		v += at;
	else if (enc & 0x70)
		r->bad = true;          /* text-, data- or func-relative: unused on x86-64 */
	return v;
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	bool has_aug_data;
	const uint8_t *insns, *end;
};

/* The CIE whose content (after its length and id) is r, ending at end. */
static bool parse_cie(struct reader *r, const uint8_t *end, struct cie *c)
{
	uint8_t version = byte(r);
	const uint8_t *aug = r->p;

	while (r->p < end && *r->p)
		r->p++;
	if (r->p++ >= end)
		return false;
	c->code_align = uleb(r);
	c->data_align = sleb(r);
	c->fde_enc = 0;
	c->has_aug_data = false;
	if (version == 1)
		byte(r);                /* the return address column */
	else
		uleb(r);
	if (aug[0] == 'z') {
		uint64_t n = uleb(r);
		const uint8_t *data_end = r->p + n;

		c->has_aug_data = true;
		for (const uint8_t *a = aug + 1; *a && !r->bad; a++) {
			if (*a == 'R')
				c->fde_enc = byte(r);
			else if (*a == 'P')
				pointer(r, byte(r));
			else if (*a == 'L')
				byte(r);
			else if (*a != 'S')
				break;
		}
		r->p = data_end;
	} else if (aug[0]) {
		return false;           /* an augmentation we cannot skip */
	}
	c->insns = r->p;
	c->end = end;
	return !r->bad && r->p <= end;
}

/* The rules a rule needs. */
enum { SAME, SAVED, OTHER };
struct state {
	int64_t cfa_off, rbp_off, ra_off;
	uint64_t cfa_reg;
	bool cfa_expr;
	uint8_t rbp, ra;
};

struct machine {
	const struct cie *cie;
	struct state s, initial, stack[MAX_REMEMBERED];
	int depth;
	uint64_t loc;
	uint64_t ip;            /* the address whose row is wanted */
	bool found;             /* s is the row covering ip */
};

/* Only rbp's and the return address's rules matter. */
static void set_rule(struct state *s, uint64_t reg, uint8_t rule, int64_t off)
{
	if (reg == REG_RBP) {
		s->rbp = rule;
		s->rbp_off = off;
	} else if (reg == REG_RA) {
		s->ra = rule;
		s->ra_off = off;
	}
}

static void restore_rule(struct state *s, const struct state *initial, uint64_t reg)
{
	if (reg == REG_RBP)
		set_rule(s, reg, initial->rbp, initial->rbp_off);
	else if (reg == REG_RA)
		set_rule(s, reg, initial->ra, initial->ra_off);
}

/* The next row starts delta code units on: past ip, the current row is
 * ip's. */
static void advance(struct machine *m, uint64_t delta)
{
	uint64_t to = m->loc + delta * m->cie->code_align;

	if (m->ip < to)
		m->found = true;
	else
		m->loc = to;
}

/* One extended instruction (opcode's high bits 0).  false: unknown. */
static bool extended(struct machine *m, struct reader *r, uint8_t op)
{
	struct state *s = &m->s;
	uint64_t reg;

	switch (op) {
	case 0x00: return true;                                         /* nop */
	case 0x02: advance(m, byte(r)); return true;
	case 0x03: advance(m, fixed(r, 2)); return true;
	case 0x04: advance(m, fixed(r, 4)); return true;
	case 0x05: reg = uleb(r); set_rule(s, reg, SAVED, (int64_t)uleb(r) * m->cie->data_align); return true;
	case 0x06: restore_rule(s, &m->initial, uleb(r)); return true;
	case 0x07: case 0x08: set_rule(s, uleb(r), SAME, 0); return true;   /* undefined, same */
	case 0x09: reg = uleb(r); uleb(r); set_rule(s, reg, OTHER, 0); return true;
	case 0x0a: if (m->depth == MAX_REMEMBERED) return false;
		m->stack[m->depth++] = *s; return true;
	case 0x0b: if (!m->depth) return false;
		*s = m->stack[--m->depth]; return true;
	case 0x0c: s->cfa_reg = uleb(r); s->cfa_off = (int64_t)uleb(r); s->cfa_expr = false; return true;
	case 0x0d: s->cfa_reg = uleb(r); s->cfa_expr = false; return true;
	case 0x0e: s->cfa_off = (int64_t)uleb(r); return true;
	case 0x0f: r->p += uleb(r); s->cfa_expr = true; return true;
	case 0x10: case 0x16: reg = uleb(r); r->p += uleb(r); set_rule(s, reg, OTHER, 0); return true;
	case 0x11: reg = uleb(r); set_rule(s, reg, SAVED, sleb(r) * m->cie->data_align); return true;
	case 0x12: s->cfa_reg = uleb(r); s->cfa_off = sleb(r) * m->cie->data_align; s->cfa_expr = false; return true;
	case 0x13: s->cfa_off = sleb(r) * m->cie->data_align; return true;
	case 0x14: case 0x15: reg = uleb(r); (op == 0x14 ? (void)uleb(r) : (void)sleb(r));
		set_rule(s, reg, OTHER, 0); return true;
	case 0x2e: uleb(r); return true;                                /* GNU_args_size */
	case 0x2f: reg = uleb(r); set_rule(s, reg, SAVED, -(int64_t)uleb(r) * m->cie->data_align); return true;
	default: return false;
	}
}

/* Runs instructions until ip's row is reached or they end; false when
 * one is unknown or runs past its bounds before that. */
static bool run(struct machine *m, const uint8_t *p, const uint8_t *end)
{
	struct reader r = { .p = p, .end = end };

	while (r.p < r.end && !r.bad && !m->found) {
		uint8_t op = byte(&r);

		switch (op >> 6) {
		case 1: advance(m, op & 0x3f); break;
		case 2: set_rule(&m->s, op & 0x3f, SAVED, (int64_t)uleb(&r) * m->cie->data_align); break;
		case 3: restore_rule(&m->s, &m->initial, op & 0x3f); break;
		default:
			if (!extended(m, &r, op))
				return false;
		}
	}
	return !r.bad || m->found;
}

static void to_rule(const struct state *s, struct agent_rule *out)
{
	*out = (struct agent_rule){ .cfa_reg = AGENT_CFA_END };
	if (!s->cfa_expr && (s->cfa_reg == REG_RSP || s->cfa_reg == REG_RBP) &&
	    s->ra == SAVED && s->ra_off == -8 && s->rbp != OTHER &&
	    (s->rbp == SAME || s->rbp_off != 0) &&
	    s->cfa_off == (int32_t)s->cfa_off && s->rbp_off == (int32_t)s->rbp_off) {
		out->cfa_reg = s->cfa_reg == REG_RSP ? AGENT_CFA_RSP : AGENT_CFA_RBP;
		out->cfa_off = (int32_t)s->cfa_off;
		out->rbp_off = s->rbp == SAVED ? (int32_t)s->rbp_off : 0;
	}
}

static int32_t s32_at(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

/* Where entry i of .eh_frame_hdr's table says its function starts. */
static uint64_t start_at(const uint8_t *hdr, const uint8_t *table, uint64_t i)
{
	return (uint64_t)(uintptr_t)hdr + (uint64_t)(int64_t)s32_at(table + 8 * i);
}

/* Where ip's entry would be among count if functions were of one size
 * (the first or last entry when ip is outside them). */
static uint64_t guess(const uint8_t *hdr, const uint8_t *table, uint64_t count, uint64_t ip)
{
	uint64_t first = start_at(hdr, table, 0), last = start_at(hdr, table, count - 1);

	if (ip <= first)
		return 0;
	if (ip >= last || ip - first > UINT32_MAX || count > UINT32_MAX)
		return count - 1;
	return (ip - first) * (count - 1) / (last - first);
}

/* The FDE whose start is the last at or below ip in .eh_frame_hdr's
 * table (sorted by start; pairs of datarel sdata4, as every x86-64
 * linker writes it), or NULL.  The search starts where ip's entry would
 * be if functions were of one size, and widens its step from there until
 * it brackets ip, then halves it: a binary search's last steps each
 * miss the cache, a guess is usually a few lines from the entry (random
 * addresses of libLLVM, 120,000 entries: 141 -> 132 ns a rule; cc1
 * computes 4,600 rules in a compile of 26 ms). */
static const uint8_t *fde_in_hdr(const struct agent_module *m, uint64_t ip)
{
	const uint8_t *hdr = (const uint8_t *)(uintptr_t)m->eh_hdr, *table;
	struct reader r = { .p = hdr, .end = (const uint8_t *)(uintptr_t)m->eh_hdr_end };
	uint8_t version = byte(&r), ptr_enc = byte(&r), count_enc = byte(&r), table_enc = byte(&r);
	uint64_t count, lo, hi, step;

	if (version != 1 || table_enc != 0x3b)
		return 0;
	pointer(&r, ptr_enc);
	count = pointer(&r, count_enc);
	if (r.bad || count > (uint64_t)(r.end - r.p) / 8)
		return 0;
	if (!count)
		return 0;
	table = r.p;
	/* Entries [0, lo) start at or below ip, [hi, count) above it. */
	lo = guess(hdr, table, count, ip);
	if (start_at(hdr, table, lo) <= ip) {
		for (step = 1, lo++; lo + step - 1 < count && start_at(hdr, table, lo + step - 1) <= ip;
		     step *= 2)
			lo += step;
		hi = lo + step - 1 < count ? lo + step - 1 : count;
	} else {
		for (step = 1, hi = lo; hi >= step && start_at(hdr, table, hi - step) > ip; step *= 2)
			hi -= step;
		lo = hi >= step ? hi - step + 1 : 0;
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (start_at(hdr, table, mid) <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? hdr + s32_at(table + 8 * (lo - 1) + 4) : 0;
}

/* The FDE whose start is the last at or below ip in numamma's table of
 * the module's FDEs, or NULL. */
static const uint8_t *fde_in_table(const struct agent_module *m, uint64_t ip)
{
	const struct agent_fde *t = (const struct agent_fde *)(uintptr_t)m->eh_hdr;
	uint64_t lo = 0, hi = (m->eh_hdr_end - m->eh_hdr) / sizeof(*t);

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (t[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (const uint8_t *)(uintptr_t)t[lo - 1].fde : 0;
}

static const uint8_t *fde_of(const struct agent_module *m, uint64_t ip)
{
	if (!m->eh_hdr)
		return 0;
	return m->fde_table ? fde_in_table(m, ip) : fde_in_hdr(m, ip);
}

/* An entry of .eh_frame at p: its content in [*start, *end).  false
 * when it lies outside the section or has a 64-bit length. */
static bool entry_at(const struct agent_module *m, const uint8_t *p, const uint8_t **start,
		     const uint8_t **end)
{
	const uint8_t *lo = (const uint8_t *)(uintptr_t)m->eh_frame;
	const uint8_t *hi = (const uint8_t *)(uintptr_t)m->eh_frame_end;
	uint32_t len;

	if (p < lo || p > hi || hi - p < 8)
		return false;
	len = (uint32_t)s32_at(p);
	if (len < 4 || len == 0xffffffff || len > (uint64_t)(hi - p - 4))
		return false;
	*start = p + 4;
	*end = p + 4 + len;
	return true;
}

int agent_cfi_rule(const struct agent_module *m, uint64_t ip, struct agent_rule *out)
{
	const uint8_t *fde = fde_of(m, ip), *start, *end, *cie_start, *cie_end;
	struct reader r, cr;
	struct cie c;
	struct machine mc;
	uint64_t begin, range;
	uint32_t id;

	if (!fde || !entry_at(m, fde, &start, &end))
		return 0;
	r = (struct reader){ .p = start, .end = end };
	id = (uint32_t)fixed(&r, 4);
	if (!id || !entry_at(m, start - id, &cie_start, &cie_end))
		return 0;
	cr = (struct reader){ .p = cie_start, .end = cie_end };
	if (fixed(&cr, 4) != 0 || !parse_cie(&cr, cie_end, &c))
		return 0;
	begin = pointer(&r, c.fde_enc);
	range = pointer(&r, c.fde_enc & 0x0f);
	if (r.bad || ip < begin || ip - begin >= range)
		return 0;
	if (c.has_aug_data)
		r.p += uleb(&r);
	mc.cie = &c;
	mc.s = (struct state){ .rbp = SAME, .ra = OTHER };
	mc.depth = 0;
	mc.loc = begin;
	mc.ip = UINT64_MAX;     /* the CIE's rules hold from the FDE's start */
	mc.found = false;
	if (r.bad || r.p > end || !run(&mc, c.insns, c.end))
		return 0;
	mc.initial = mc.s;
	mc.depth = 0;
	mc.loc = begin;
	mc.ip = ip;
	if (!run(&mc, r.p, end))
		return 0;
	to_rule(&mc.s, out);
	return 1;
}

/* numamma's side, for a module without .eh_frame_hdr: the FDEs of its
 * .eh_frame, a copy of which is [eh, eh + size), loaded at at; up to max
 * of them in out, in the section's order.  An FDE whose CIE cannot be
 * read is left out, as is the rest of the section after a damaged entry
 * (its length no longer says where the next one starts). */
uint64_t agent_cfi_fdes(const uint8_t *eh, uint64_t size, uint64_t at, struct agent_fde *out,
			uint64_t max)
{
	const uint8_t *end = eh + size, *p = eh, *cie_at = 0;
	struct cie c = { 0 };
	uint64_t n = 0;

	while (n < max && end - p >= 8) {
		uint32_t len = (uint32_t)s32_at(p), id = (uint32_t)s32_at(p + 4);
		const uint8_t *next = p + 4 + len;
		struct reader r = { .p = p + 8, .end = next, .delta = at - (uint64_t)(uintptr_t)eh };

		if (!len || len == 0xffffffff || len > (uint64_t)(end - p - 4))
			break;          /* the terminator, a 64-bit length, damage */
		if (id && (uint64_t)(p + 4 - eh) >= id) {
			const uint8_t *cie = p + 4 - id;
			struct reader cr = { .p = cie + 8, .end = cie + 4 + (uint32_t)s32_at(cie) };

			if (cie != cie_at && (cr.end > end || s32_at(cie + 4) != 0 ||
					      !parse_cie(&cr, cr.end, &c)))
				cie_at = 0;
			else
				cie_at = cie;
			if (cie_at) {
				uint64_t start = pointer(&r, c.fde_enc);

				if (!r.bad && start)
					out[n++] = (struct agent_fde){ start, at + (uint64_t)(p - eh) };
			}
		}
		p = next;
	}
	return n;
}
