/* The agent's unwind table for one ELF file, from its .eh_frame: each row
 * of each FDE (libdw interprets the CFI and says over which addresses a
 * row holds) becomes "CFA = rsp|rbp + k, rbp saved at CFA + j or
 * unchanged, return address at CFA - 8", like the kernel's ORC entries.
 * Rows that need more (DWARF expressions, the return address elsewhere)
 * end a walk there, as does code no FDE covers.
 *
 * The FDEs are found through .eh_frame_hdr's sorted search table, which
 * the linker writes for every x86-64 executable and library. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfi_table.h"
#include "error.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

struct rows {
	struct agent_unwind *v;
	size_t n, cap;
};

static void push(struct rows *r, const struct agent_unwind *e)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = *e;
}

/* "saved at CFA + k": libdw writes it as call_frame_cfa, then plus_uconst
 * or consts + plus (or nothing for k = 0). */
static int saved_at_cfa(const Dwarf_Op *ops, size_t n, int32_t *k)
{
	if (n == 0 || ops[0].atom != DW_OP_call_frame_cfa)
		return -1;
	if (n == 1)
		*k = 0;
	else if (n == 2 && ops[1].atom == DW_OP_plus_uconst)
		*k = (int32_t)ops[1].number;
	else if (n == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
		*k = (int32_t)(int64_t)ops[1].number;
	else
		return -1;
	return 0;
}

/* The row's rule; AGENT_CFA_END when the walk must stop here. */
static void row_rule(Dwarf_Frame *fr, struct agent_unwind *e)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	int32_t k;
	uint8_t reg;

	e->cfa_reg = AGENT_CFA_END;
	if (dwarf_frame_cfa(fr, &ops, &n) || n != 1 || ops[0].atom != DW_OP_bregx)
		return;
	if (ops[0].number == REG_RSP)
		reg = AGENT_CFA_RSP;
	else if (ops[0].number == REG_RBP)
		reg = AGENT_CFA_RBP;
	else
		return;
	e->cfa_off = (int32_t)(int64_t)ops[0].number2;
	/* Undefined (n == 0, ops NULL): the outermost frame. */
	if (dwarf_frame_register(fr, REG_RA, mem, &ops, &n) || saved_at_cfa(ops, n, &k) || k != -8)
		return;
	if (dwarf_frame_register(fr, REG_RBP, mem, &ops, &n))
		return;
	e->rbp_off = 0;                 /* unchanged (or undefined: unused) */
	if (n && (saved_at_cfa(ops, n, &e->rbp_off) || e->rbp_off == 0))
		return;
	e->cfa_reg = reg;
}

/* The rows of the FDE starting at loc, up to next at most. */
static void fde_rows(Dwarf_CFI *cfi, uint64_t loc, uint64_t next, struct rows *r)
{
	uint64_t at = loc;

	while (at < next) {
		Dwarf_Frame *fr;
		Dwarf_Addr start, end;
		struct agent_unwind e = { 0 };

		if (dwarf_cfi_addrframe(cfi, at, &fr))
			return;
		if (dwarf_frame_info(fr, &start, &end, NULL) < 0 || end <= at || start > at) {
			free(fr);
			return;
		}
		if (end > next)
			end = next;
		row_rule(fr, &e);
		free(fr);
		e.start = at;
		e.len = (uint32_t)(end - at);
		/* Neighbouring rows with one rule are one entry. */
		if (r->n && r->v[r->n - 1].start + r->v[r->n - 1].len == e.start &&
		    r->v[r->n - 1].cfa_reg == e.cfa_reg && r->v[r->n - 1].cfa_off == e.cfa_off &&
		    r->v[r->n - 1].rbp_off == e.rbp_off && (uint64_t)r->v[r->n - 1].len + e.len < UINT32_MAX)
			r->v[r->n - 1].len += e.len;
		else
			push(r, &e);
		at = end;
	}
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The FDEs' start addresses, sorted, from .eh_frame_hdr (the encodings
 * every linker writes: pcrel sdata4 pointer, udata4 count, datarel
 * sdata4 table).  Returns the count, 0 when there is none to read. */
static size_t fde_starts(Elf *elf, uint64_t **out)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, ".eh_frame_hdr", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	const uint8_t *b;
	uint32_t count;

	if (!d || d->d_size < 12)
		return 0;
	b = d->d_buf;
	if (b[0] != 1 || b[1] != 0x1b || b[2] != 0x03 || b[3] != 0x3b)
		return 0;
	memcpy(&count, b + 8, 4);
	if (12 + (uint64_t)count * 8 > d->d_size)
		return 0;
	*out = xmalloc((count + 1) * sizeof(**out));
	for (uint32_t i = 0; i < count; i++) {
		int32_t rel;

		memcpy(&rel, b + 12 + i * 8, 4);
		(*out)[i] = sh.sh_addr + (int64_t)rel;
	}
	qsort(*out, count, sizeof(**out), cmp_u64);
	return count;
}

size_t cfi_table_build(const char *path, struct agent_unwind **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Dwarf_CFI *cfi;
	uint64_t *starts = NULL;
	size_t n;
	struct rows r = { 0 };

	*out = NULL;
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	n = cfi ? fde_starts(elf, &starts) : 0;
	for (size_t i = 0; i < n; i++)
		fde_rows(cfi, starts[i], i + 1 < n ? starts[i + 1] : UINT64_MAX, &r);
	free(starts);
	if (cfi)
		dwarf_cfi_end(cfi);
	if (elf)
		elf_end(elf);
	close(fd);
	*out = r.v;
	return r.n;
}
