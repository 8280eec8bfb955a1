/* The agent's unwind rules (agent/cfi.c) read in place from this very
 * process's modules, as the agent reads them in a program's:
 *  - the return addresses agent_walk finds from a function's entry are
 *    the ones glibc's backtrace() finds (libgcc's DWARF unwinder), libc's
 *    qsort frames included;
 *  - the rule at each of thousands of addresses of libc and of this
 *    program is the one libdw computes from the same CFI;
 *  - unwind data cut short or made of random bytes gives no rule and
 *    reads nothing outside its bounds (the sanitizer run checks that);
 *  - the table numamma builds for a module without .eh_frame_hdr (a
 *    static program's), from a copy of .eh_frame, holds the FDEs the
 *    linker's table holds, and gives the same rules. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../agent/cfi.c"
#include "../../agent/core.c"
#include "elfsyms.h"
#include "error.h"
#include "unit.h"

void agent_sys_wait(uint32_t *word, uint32_t val) { }
uint64_t agent_sys_tsc(void) { return 0; }
void agent_sys_doorbell(int32_t pid) { }
int agent_sys_readable(uint64_t addr, int32_t tid) { return 0; }

static struct agent_ctl *ctl;
static struct loaded {
	struct agent_module m;
	char *path;
	uint64_t bias;
} mods[64];
static uint32_t nmods;

/* A module as numamma publishes it: its sections where they are loaded. */
static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *path = info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
	struct elf_module *m;
	struct agent_module e = { .start = UINT64_MAX };
	uint64_t hdr, hdr_size, eh, eh_size;

	if (strstr(path, "linux-vdso") || nmods == 64 || !(m = elfmod_open(path)))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < e.start)
			e.start = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > e.end)
			e.end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (elfmod_section_range(m, ".eh_frame_hdr", &hdr, &hdr_size) &&
	    elfmod_section_range(m, ".eh_frame", &eh, &eh_size)) {
		e.eh_hdr = info->dlpi_addr + hdr;
		e.eh_hdr_end = e.eh_hdr + hdr_size;
		e.eh_frame = info->dlpi_addr + eh;
		e.eh_frame_end = e.eh_frame + eh_size;
	}
	elfmod_close(m);
	mods[nmods++] = (struct loaded){ e, xstrdup(path), info->dlpi_addr };
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	return x->m.start < y->m.start ? -1 : x->m.start > y->m.start;
}

static void publish(void)
{
	struct agent_module *out = agent_at(ctl, AGENT_OFF_MODULES);

	qsort(mods, nmods, sizeof(*mods), by_start);
	for (uint32_t i = 0; i < nmods; i++)
		out[i] = mods[i].m;
	ctl->modules = nmods;
}

/* ---- the walk against backtrace() ---- */

static uint64_t walked[32];
static int nwalked;

/* Called by capture() with the stack as it is at a function's entry. */
void walk_from_entry(uint64_t rsp, uint64_t rbp)
{
	nwalked = agent_walk(ctl, rsp, rbp, walked, 32, &(struct agent_span){ rsp, UINT64_MAX - 8, 0, 0 });
}

void capture(void);
__asm__(".text\n.globl capture\ncapture:\n"
	"\tmov %rsp, %rdi\n\tmov %rbp, %rsi\n\tsub $8, %rsp\n"
	"\tcall walk_from_entry\n\tadd $8, %rsp\n\tret\n");

static void *traced[32];
static int ntraced;

static int compare(const void *a, const void *b)
{
	static int once;

	if (!once++) {
		capture();
		ntraced = backtrace(traced, 32);
	}
	return *(const int *)a - *(const int *)b;
}

static __attribute__((noinline)) void sort_some(void)
{
	int v[4] = { 3, 1, 2, 0 };

	qsort(v, 4, sizeof(v[0]), compare);
}

static void test_walk(void)
{
	int skip;

	sort_some();
	/* backtrace()'s [0] is compare itself (or, under a sanitizer, its
	 * interceptor of backtrace, then compare), then compare's callers:
	 * ours start at capture's caller, compare. */
	skip = ntraced - nwalked;
	CHECK(nwalked >= 5);
	CHECK(skip == 0 || skip == 1);
	for (int i = 1; i < nwalked && i + skip < ntraced; i++)
		CHECK_INT(walked[i], (uint64_t)traced[i + skip]);
	if (unit_failures || getenv("V"))
		for (int i = 0; i < 12; i++)
			fprintf(stderr, "%d: walked %#lx traced %p\n", i,
				i < nwalked ? (unsigned long)walked[i] : 0UL, i < ntraced ? traced[i] : NULL);
}

/* ---- rules against libdw's ---- */

/* libdw's frame at vaddr as a rule: the CFA as breg7/breg6 + k, the
 * return address at CFA - 8, rbp unchanged or saved at CFA + j; anything
 * else AGENT_CFA_END.  false when no FDE covers vaddr. */
static bool libdw_rule(Dwarf_CFI *cfi, uint64_t vaddr, struct agent_rule *out)
{
	Dwarf_Frame *f;
	Dwarf_Op mem[3], *ops;
	size_t n;
	bool ra_ok, rbp_ok = false, cfa_ok;
	int64_t cfa_off = 0, rbp_off = 0;
	int cfa_reg = 0;

	*out = (struct agent_rule){ .cfa_reg = AGENT_CFA_END };
	if (dwarf_cfi_addrframe(cfi, vaddr, &f))
		return false;
	/* DW_OP_bregx reg, offset (what libdw gives), or DW_OP_bregN offset. */
	cfa_ok = !dwarf_frame_cfa(f, &ops, &n) && n == 1;
	if (cfa_ok && ops[0].atom == DW_OP_bregx) {
		cfa_reg = (int)ops[0].number;
		cfa_off = (int64_t)ops[0].number2;
	} else if (cfa_ok && ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		cfa_reg = ops[0].atom - DW_OP_breg0;
		cfa_off = (int64_t)ops[0].number;
	}
	cfa_ok = cfa_ok && (cfa_reg == 7 || cfa_reg == 6);
	cfa_reg = cfa_reg == 7 ? AGENT_CFA_RSP : AGENT_CFA_RBP;
	ra_ok = !dwarf_frame_register(f, 16, mem, &ops, &n) && n == 2 && ops == mem &&
		ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst &&
		(int64_t)ops[1].number == -8;
	if (!dwarf_frame_register(f, 6, mem, &ops, &n)) {
		if (n == 0) {
			rbp_ok = true;
		} else if (n == 2 && ops == mem && ops[0].atom == DW_OP_call_frame_cfa &&
			   ops[1].atom == DW_OP_plus_uconst) {
			rbp_ok = true;
			rbp_off = (int64_t)ops[1].number;
		}
	}
	if (cfa_ok && ra_ok && rbp_ok && cfa_off == (int32_t)cfa_off && rbp_off == (int32_t)rbp_off)
		*out = (struct agent_rule){ (int32_t)cfa_off, (int32_t)rbp_off, (uint8_t)cfa_reg };
	free(f);
	return true;
}

/* Up to 48 addresses from each FDE's start, then every 64th: prologues,
 * bodies and epilogues. */
static void compare_module(const struct agent_module *m, const char *path, uint64_t bias)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Dwarf_CFI *cfi;
	const uint8_t *hdr = (const uint8_t *)(uintptr_t)m->eh_hdr;
	uint64_t count, checked = 0, differ = 0;

	CHECK(fd >= 0 && m->eh_hdr);
	if (fd < 0 || !m->eh_hdr)
		return;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	CHECK(cfi != NULL);
	/* The table: 4 header bytes, eh_frame_ptr and count as udata4/sdata4. */
	CHECK(hdr[1] == 0x1b && hdr[2] == 0x03 && hdr[3] == 0x3b);
	count = (uint32_t)s32_at(hdr + 8);
	for (uint64_t i = 0; cfi && i < count; i++) {
		uint64_t start = m->eh_hdr + (int64_t)s32_at(hdr + 12 + 8 * i);
		uint64_t next = i + 1 < count ? m->eh_hdr + (int64_t)s32_at(hdr + 12 + 8 * (i + 1)) :
						start + 4096;

		for (uint64_t ip = start; ip < next && ip < m->end; ip += ip - start < 48 ? 1 : 64) {
			struct agent_rule ours, theirs;
			int got = agent_cfi_rule(m, ip, &ours);
			bool covered = libdw_rule(cfi, ip - bias, &theirs);

			checked++;
			if (got != covered || (got && (ours.cfa_reg != theirs.cfa_reg ||
			    (ours.cfa_reg != AGENT_CFA_END && (ours.cfa_off != theirs.cfa_off ||
							       ours.rbp_off != theirs.rbp_off))))) {
				if (differ++ < 5)
					fprintf(stderr, "%s+%#lx: ours %d (%d %d %d), libdw %d (%d %d %d)\n",
						path, (unsigned long)(ip - bias), got, ours.cfa_reg,
						ours.cfa_off, ours.rbp_off, covered, theirs.cfa_reg,
						theirs.cfa_off, theirs.rbp_off);
			}
		}
	}
	fprintf(stderr, "%s: %lu addresses, %lu differ\n", path, (unsigned long)checked,
		(unsigned long)differ);
	CHECK(checked > 1000);
	CHECK_INT(differ, 0);
	if (elf)
		elf_end(elf);
	close(fd);
}

/* This program's code and libc's (where qsort and malloc are). */
static void test_against_libdw(void)
{
	const void *code[] = { (const void *)compare, (const void *)qsort };

	for (size_t k = 0; k < sizeof(code) / sizeof(code[0]); k++) {
		const struct agent_module *m = agent_module_of(ctl, (uint64_t)(uintptr_t)code[k]);

		CHECK(m != NULL);
		for (uint32_t i = 0; m && i < nmods; i++)
			if (mods[i].m.start == m->start)
				compare_module(m, mods[i].path, mods[i].bias);
	}
}

static int by_fde_start(const void *a, const void *b)
{
	const struct agent_fde *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* m's FDEs read from a copy of its .eh_frame, as numamma reads them from
 * the file: the table numamma would build, sorted; how many. */
static uint64_t fde_table_of(const struct agent_module *m, struct agent_fde **table)
{
	uint64_t size = m->eh_frame_end - m->eh_frame, n, kept = 0;
	uint8_t *copy = malloc(size);

	*table = malloc(size / 16 * sizeof(**table));
	memcpy(copy, (const void *)(uintptr_t)m->eh_frame, size);
	n = agent_cfi_fdes(copy, size, m->eh_frame, *table, size / 16);
	for (uint64_t i = 0; i < n; i++)
		if ((*table)[i].start >= m->start && (*table)[i].start < m->end)
			(*table)[kept++] = (*table)[i];
	qsort(*table, kept, sizeof(**table), by_fde_start);
	/* A copy cut in the middle of an entry: the entries before it. */
	CHECK(agent_cfi_fdes(copy, size / 2, m->eh_frame, *table + kept, size / 16 - kept) < n);
	free(copy);
	return kept;
}

static void compare_tables(const struct agent_module *m)
{
	const uint8_t *hdr = (const uint8_t *)(uintptr_t)m->eh_hdr;
	uint64_t count = (uint32_t)s32_at(hdr + 8), n, same = 0, rules = 0, differ = 0;
	struct agent_module tabled = *m;
	struct agent_fde *t;

	n = fde_table_of(m, &t);
	for (uint64_t i = 0; i < count && i < n; i++)
		same += t[i].start == m->eh_hdr + (uint64_t)(int64_t)s32_at(hdr + 12 + 8 * i) &&
			t[i].fde == m->eh_hdr + (uint64_t)(int64_t)s32_at(hdr + 16 + 8 * i);
	CHECK_INT(n, count);
	CHECK_INT(same, count);
	tabled.eh_hdr = (uint64_t)(uintptr_t)t;
	tabled.eh_hdr_end = tabled.eh_hdr + n * sizeof(*t);
	tabled.fde_table = 1;
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t ip = t[i].start; ip < t[i].start + 64 && ip < m->end; ip += 3) {
			struct agent_rule a = { 0 }, b = { 0 };
			int got_a = agent_cfi_rule(m, ip, &a), got_b = agent_cfi_rule(&tabled, ip, &b);

			rules += got_a;
			differ += got_a != got_b || memcmp(&a, &b, sizeof(a));
		}
	CHECK(rules > 1000);
	CHECK_INT(differ, 0);
	free(t);
}

/* This program's module and libc's, by table and by .eh_frame_hdr. */
static void test_fde_table(void)
{
	const void *code[] = { (const void *)compare, (const void *)qsort };

	for (size_t k = 0; k < sizeof(code) / sizeof(code[0]); k++) {
		const struct agent_module *m = agent_module_of(ctl, (uint64_t)(uintptr_t)code[k]);

		CHECK(m && m->eh_hdr);
		if (m && m->eh_hdr)
			compare_tables(m);
	}
}

/* Unwind data cut short gives no rule; random bytes in exactly sized
 * buffers give rules or none, and no read outside them. */
static void test_damaged(void)
{
	const struct agent_module *real = agent_module_of(ctl, (uint64_t)(uintptr_t)compare);
	struct agent_module cut;
	struct agent_rule r;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	if (!real)
		return;
	cut = *real;
	cut.eh_frame_end = cut.eh_frame + 16;
	CHECK_INT(agent_cfi_rule(&cut, (uint64_t)(uintptr_t)compare, &r), 0);
	cut = *real;
	cut.eh_hdr_end = cut.eh_hdr + 10;
	CHECK_INT(agent_cfi_rule(&cut, (uint64_t)(uintptr_t)compare, &r), 0);
	for (int round = 0; round < 2000; round++) {
		size_t hdr_len = 12 + 8 * 4, eh_len = 64 + round % 200;
		uint8_t *hdr = malloc(hdr_len), *eh = malloc(eh_len);
		struct agent_module m;

		for (size_t i = 0; i < hdr_len; i++)
			hdr[i] = (uint8_t)((seed = seed * 6364136223846793005ULL + 1) >> 56);
		for (size_t i = 0; i < eh_len; i++)
			eh[i] = (uint8_t)((seed = seed * 6364136223846793005ULL + 1) >> 56);
		/* A valid header whose 4 entries point into the random bytes. */
		hdr[0] = 1, hdr[1] = 0x1b, hdr[2] = 0x03, hdr[3] = 0x3b;
		hdr[8] = 4, hdr[9] = hdr[10] = hdr[11] = 0;
		for (int e = 0; e < 4; e++) {
			int32_t loc = 8 * e, fde = (int32_t)(eh + (seed >> 40) % eh_len - hdr);

			memcpy(hdr + 12 + 8 * e, &loc, 4);
			memcpy(hdr + 16 + 8 * e, &fde, 4);
			seed = seed * 6364136223846793005ULL + 1;
		}
		m = (struct agent_module){
			.start = (uint64_t)(uintptr_t)hdr, .end = (uint64_t)(uintptr_t)hdr + 64,
			.eh_hdr = (uint64_t)(uintptr_t)hdr, .eh_hdr_end = (uint64_t)(uintptr_t)hdr + hdr_len,
			.eh_frame = (uint64_t)(uintptr_t)eh, .eh_frame_end = (uint64_t)(uintptr_t)eh + eh_len,
		};
		for (uint64_t ip = m.start; ip < m.end; ip += 3)
			agent_cfi_rule(&m, ip, &r);
		free(hdr);
		free(eh);
	}
}

int main(void)
{
	ctl = mmap(NULL, AGENT_DATA_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ctl == MAP_FAILED)
		return 77;
	dl_iterate_phdr(add_module, NULL);
	CHECK(nmods > 2);
	publish();
	test_walk();
	test_against_libdw();
	test_fde_table();
	test_damaged();
	return unit_done();
}
