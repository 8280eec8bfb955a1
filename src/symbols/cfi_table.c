/* The agent's unwind table for one ELF file, from its .eh_frame: each row
 * of each FDE becomes "CFA = rsp|rbp + k, rbp saved at CFA + j or
 * unchanged, return address at CFA - 8", like the kernel's ORC entries.
 * Rows that need more (DWARF expressions, the return address elsewhere)
 * end a walk there, as does code no FDE covers.
 *
 * The call frame instructions are run here, once per FDE: asking libdw
 * for each row (dwarf_cfi_addrframe) reruns the FDE from its start every
 * time, 0.8 s for gcc's cc1. */
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfi_table.h"
#include "error.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/* .eh_frame's bytes and where they are loaded (for pc-relative values). */
struct reader {
	const uint8_t *p, *end, *base;
	uint64_t vaddr;
	bool bad;
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
	int64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		b = byte(r);
		if (shift < 64)
			v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80 && !r->bad);
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

static uint64_t fixed(struct reader *r, int size)
{
	uint64_t v = 0;

	if (r->end - r->p < size) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, size);
	r->p += size;
	return v;
}

/* A pointer in DW_EH_PE encoding enc: absolute or pc-relative values. */
static uint64_t pointer(struct reader *r, uint8_t enc)
{
	uint64_t at = r->vaddr + (r->p - r->base), v;

	switch (enc & 0x0f) {
	case 0x00: v = fixed(r, 8); break;
	case 0x01: v = uleb(r); break;
	case 0x02: v = fixed(r, 2); break;
	case 0x03: v = fixed(r, 4); break;
	case 0x04: v = fixed(r, 8); break;
	case 0x09: v = sleb(r); break;
	case 0x0a: v = (int64_t)(int16_t)fixed(r, 2); break;
	case 0x0b: v = (int64_t)(int32_t)fixed(r, 4); break;
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
	uint64_t ra;
	uint8_t fde_enc;
	bool has_aug_data;
	const uint8_t *insns, *end;
};

static bool parse_cie(struct reader *r, const uint8_t *end, struct cie *c)
{
	uint8_t version = byte(r);
	const char *aug = (const char *)r->p;
	size_t len = strnlen(aug, end - r->p);

	r->p += len + 1;
	memset(c, 0, sizeof(*c));
	c->code_align = uleb(r);
	c->data_align = sleb(r);
	c->ra = version == 1 ? byte(r) : uleb(r);
	if (aug[0] == 'z') {
		uint64_t n = uleb(r);
		const uint8_t *data_end = r->p + n;

		c->has_aug_data = true;
		for (const char *a = aug + 1; *a && !r->bad; a++) {
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

/* The rules a row needs. */
enum { SAME, SAVED, OTHER };
struct state {
	uint64_t cfa_reg;
	int64_t cfa_off;
	bool cfa_expr;
	int rbp, ra;
	int64_t rbp_off, ra_off;
};

struct rows {
	struct agent_unwind *v;
	size_t n, cap;
	size_t *fdes;           /* index of each FDE's first row */
	size_t nfdes, fdes_cap;
};

static void emit(struct rows *rows, const struct state *s, uint64_t from, uint64_t to)
{
	struct agent_unwind e = { .start = from, .len = (uint32_t)(to - from), .cfa_reg = AGENT_CFA_END };

	if (to <= from || to - from > UINT32_MAX)
		return;
	if (!s->cfa_expr && (s->cfa_reg == REG_RSP || s->cfa_reg == REG_RBP) &&
	    s->ra == SAVED && s->ra_off == -8 && s->rbp != OTHER &&
	    (s->rbp == SAME || s->rbp_off != 0)) {
		e.cfa_reg = s->cfa_reg == REG_RSP ? AGENT_CFA_RSP : AGENT_CFA_RBP;
		e.cfa_off = (int32_t)s->cfa_off;
		e.rbp_off = s->rbp == SAVED ? (int32_t)s->rbp_off : 0;
	}
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 4096;
		rows->v = xrealloc(rows->v, rows->cap * sizeof(*rows->v));
	}
	rows->v[rows->n++] = e;
}

/* A register's rule: only rbp's and the return address's matter. */
static void set_rule(struct state *s, uint64_t reg, int rule, int64_t off)
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

#define MAX_REMEMBERED 16

struct machine {
	const struct cie *cie;
	struct state s, initial, stack[MAX_REMEMBERED];
	int depth;
	uint64_t loc;
	struct rows *rows;      /* NULL: running the CIE's initial rules */
};

static void advance(struct machine *m, uint64_t delta)
{
	uint64_t to = m->loc + delta * m->cie->code_align;

	if (m->rows)
		emit(m->rows, &m->s, m->loc, to);
	m->loc = to;
}

/* One extended instruction (opcode's high bits 0).  false: stop. */
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

/* Runs instructions; false when one is unknown (the rest of the FDE is
 * then left out: code no row covers ends a walk). */
static bool run(struct machine *m, const uint8_t *p, const uint8_t *end)
{
	struct reader r = { .p = p, .end = end };

	while (r.p < r.end && !r.bad) {
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
	return !r.bad;
}

static void fde_rows(const struct cie *c, struct reader *r, const uint8_t *end, struct rows *rows)
{
	uint64_t begin = pointer(r, c->fde_enc), range = pointer(r, c->fde_enc & 0x0f);
	struct machine m = { .cie = c, .s = { .rbp = SAME, .ra = OTHER } };

	if (c->has_aug_data)
		r->p += uleb(r);
	if (r->bad || !range || r->p > end || !run(&m, c->insns, c->end))
		return;
	m.initial = m.s;
	m.depth = 0;
	m.loc = begin;
	m.rows = rows;
	if (run(&m, r->p, end))
		emit(rows, &m.s, m.loc, begin + range);
}

/* The CIE an FDE names: id bytes back from its CIE pointer. */
static bool fde_cie(const struct reader *r, const uint8_t *ptr, uint32_t id, struct cie *c)
{
	const uint8_t *at = ptr - id;
	struct reader cr = *r;
	uint32_t len;

	if (at < r->base || r->end - at < 8)
		return false;
	memcpy(&len, at, 4);
	if (len < 4 || len > (uint64_t)(r->end - at - 4))
		return false;
	cr.p = at + 8;
	return parse_cie(&cr, at + 4 + len, c);
}

/* A section's bytes and load address. */
struct section {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;
};

/* The CIE of the last FDE read. */
struct cie_cache {
	const uint8_t *at;
	struct cie c;
	bool ok;
};

/* The entry of .eh_frame at start (its length word read, len bytes
 * follow): an FDE's rows, a CIE nothing.  The CIE of the previous FDE is
 * kept: consecutive FDEs mostly share theirs. */
static void parse_entry(struct reader *r, const uint8_t *start, uint32_t len, struct rows *rows,
			struct cie_cache *cc)
{
	const uint8_t *end = start + len;
	uint32_t id;

	r->p = start;
	id = (uint32_t)fixed(r, 4);
	if (!id)
		return;
	if (cc->at != start - id) {
		cc->at = start - id;
		cc->ok = fde_cie(r, start, id, &cc->c);
	}
	if (!cc->ok)
		return;
	if (rows->nfdes == rows->fdes_cap) {
		rows->fdes_cap = rows->fdes_cap ? 2 * rows->fdes_cap : 256;
		rows->fdes = xrealloc(rows->fdes, rows->fdes_cap * sizeof(*rows->fdes));
	}
	rows->fdes[rows->nfdes++] = rows->n;
	fde_rows(&cc->c, r, end, rows);
}

/* Walks .eh_frame: each FDE with its CIE. */
static void parse_eh_frame(const uint8_t *data, size_t size, uint64_t vaddr, struct rows *rows)
{
	struct reader r = { .p = data, .end = data + size, .base = data, .vaddr = vaddr };
	struct cie_cache cc = { 0 };

	while (r.end - r.p >= 8) {
		uint32_t len = (uint32_t)fixed(&r, 4);
		const uint8_t *start = r.p;

		if (len == 0)
			break;                  /* the terminator */
		if (len == 0xffffffff || len > (uint64_t)(r.end - start))
			return;                 /* 64-bit lengths: not in .eh_frame */
		parse_entry(&r, start, len, rows, &cc);
		r.p = start + len;
		r.bad = false;
	}
}

/* .eh_frame_hdr's search table lists the FDEs by start address: read in
 * that order, their rows come out sorted, and 40,000 FDEs (cc1) need no
 * sorting.  False when the header is missing or encoded otherwise than
 * every x86-64 linker writes it (table of datarel sdata4 pairs). */
static bool parse_in_hdr_order(const struct section *hdr, const struct section *eh,
			       struct rows *rows)
{
	struct reader h = { .p = hdr->data, .end = hdr->data + hdr->size, .base = hdr->data,
			    .vaddr = hdr->vaddr };
	struct reader r = { .p = eh->data, .end = eh->data + eh->size, .base = eh->data,
			    .vaddr = eh->vaddr };
	struct cie_cache cc = { 0 };
	uint8_t version = byte(&h), ptr_enc = byte(&h), count_enc = byte(&h), table_enc = byte(&h);
	uint64_t count;

	if (version != 1 || table_enc != 0x3b)
		return false;
	pointer(&h, ptr_enc);
	count = pointer(&h, count_enc);
	if (h.bad || count > (uint64_t)(h.end - h.p) / 8)
		return false;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t fde, off;
		uint32_t len;

		fixed(&h, 4);           /* the FDE's start: its order is all we need */
		fde = hdr->vaddr + (int64_t)(int32_t)fixed(&h, 4);
		off = fde - eh->vaddr;
		if (fde < eh->vaddr || off > eh->size - 8)
			continue;
		memcpy(&len, eh->data + off, 4);
		if (len < 4 || len == 0xffffffff || len > eh->size - off - 4)
			continue;
		parse_entry(&r, eh->data + off + 4, len, rows, &cc);
		r.bad = false;
	}
	return true;
}

static int by_start(const void *a, const void *b)
{
	const struct agent_unwind *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

struct run {
	size_t first, n;
	uint64_t start;
};

static int by_run_start(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Each FDE's rows ascend, and FDEs seldom overlap: sorting the FDEs
 * (40,000 for cc1) instead of their rows (440,000) is enough when the
 * result ascends strictly.  When it does not (overlaps, equal starts,
 * whose order qsort leaves open), false, and the rows are sorted one by
 * one. */
static bool sort_fdes(struct rows *rows)
{
	struct run *runs;
	struct agent_unwind *v;
	size_t nruns = 0, k = 0;
	bool ok = true;

	if (!rows->n)
		return true;
	runs = xmalloc(rows->nfdes * sizeof(*runs));
	v = xmalloc(rows->n * sizeof(*v));

	for (size_t i = 0; i < rows->nfdes; i++) {
		size_t end = i + 1 < rows->nfdes ? rows->fdes[i + 1] : rows->n;

		if (end > rows->fdes[i])
			runs[nruns++] = (struct run){ rows->fdes[i], end - rows->fdes[i],
						      rows->v[rows->fdes[i]].start };
	}
	qsort(runs, nruns, sizeof(*runs), by_run_start);
	for (size_t r = 0; r < nruns && ok; r++)
		for (size_t i = runs[r].first; i < runs[r].first + runs[r].n && ok; i++) {
			ok = !k || rows->v[i].start > v[k - 1].start;
			v[k++] = rows->v[i];
		}
	free(runs);
	if (ok) {
		free(rows->v);
		rows->v = v;
		rows->cap = rows->n;
	} else {
		free(v);
	}
	return ok;
}

static bool ascending(const struct rows *rows)
{
	for (size_t i = 1; i < rows->n; i++)
		if (rows->v[i].start <= rows->v[i - 1].start)
			return false;
	return true;
}

/* Sorted, overlaps dropped, neighbours with one rule merged. */
static void tidy(struct rows *rows)
{
	size_t k = 0;

	if (!ascending(rows) && !sort_fdes(rows))
		qsort(rows->v, rows->n, sizeof(*rows->v), by_start);
	for (size_t i = 0; i < rows->n; i++) {
		struct agent_unwind *e = &rows->v[i], *last = k ? &rows->v[k - 1] : NULL;

		if (last && last->start + last->len > e->start)
			continue;
		if (last && last->start + last->len == e->start && last->cfa_reg == e->cfa_reg &&
		    last->cfa_off == e->cfa_off && last->rbp_off == e->rbp_off &&
		    (uint64_t)last->len + e->len <= UINT32_MAX) {
			last->len += e->len;
			continue;
		}
		rows->v[k++] = *e;
	}
	rows->n = k;
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* The bytes of section name, or false. */
static bool section_data(Elf *elf, const char *name, struct section *out)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, name, &sh);
	Elf_Data *d = scn && sh.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;

	if (!d || !d->d_buf)
		return false;
	*out = (struct section){ d->d_buf, d->d_size, sh.sh_addr };
	return true;
}

size_t cfi_table_build(const char *path, struct agent_unwind **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct rows rows = { 0 };
	struct section eh, hdr;
	Elf *elf;

	*out = NULL;
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && section_data(elf, ".eh_frame", &eh) &&
	    !(section_data(elf, ".eh_frame_hdr", &hdr) && parse_in_hdr_order(&hdr, &eh, &rows)))
		parse_eh_frame(eh.data, eh.size, eh.vaddr, &rows);
	if (elf)
		elf_end(elf);
	close(fd);
	tidy(&rows);
	free(rows.fdes);
	*out = rows.v;
	return rows.n;
}
