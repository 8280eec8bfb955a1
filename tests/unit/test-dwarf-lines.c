/* dwarf_lines: line programs built byte by byte (rows, file names,
 * sequences, what is refused), then the symbolizer's file:line against
 * libdw's own answer (dwfl_module_getsrc) for every function of real
 * modules: a program built here with -g, this test, and the system's
 * libc and loader (through their separate debug info when installed). */
#include <elfutils/libdwfl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_lines.h"
#include "error.h"
#include "procmaps.h"
#include "symbolize.h"
#include "unit.h"
#include "data/build.h"

/* Bytes are built in memory streams. */
static void put(FILE *f, const void *p, size_t n)
{
	fwrite(p, 1, n, f);
}

static void put1(FILE *f, int v)
{
	fputc(v, f);
}

static void put_uleb(FILE *f, uint64_t v)
{
	do {
		put1(f, (v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void put_sleb(FILE *f, int64_t v)
{
	bool more;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
		put1(f, byte | (more ? 0x80 : 0));
	} while (more);
}

static void put_str(FILE *f, const char *s)
{
	put(f, s, strlen(s) + 1);
}

static void set_address(FILE *f, uint64_t addr)
{
	put1(f, 0), put1(f, 9), put1(f, 2);
	put(f, &addr, 8);
}

static void end_sequence(FILE *f)
{
	put1(f, 0), put1(f, 1), put1(f, 1);
}

enum { COPY = 1, ADVANCE_PC, ADVANCE_LINE, SET_FILE, SET_ADDRESS = 0x100, END_SEQUENCE, SPECIAL };

struct op {
	int code;
	int64_t arg;
};

static void put_op(FILE *f, const struct op *op)
{
	switch (op->code) {
	case SET_ADDRESS:
		set_address(f, op->arg);
		break;
	case END_SEQUENCE:
		end_sequence(f);
		break;
	case SPECIAL:
		put1(f, op->arg);
		break;
	case ADVANCE_LINE:
		put1(f, op->code), put_sleb(f, op->arg);
		break;
	case COPY:
		put1(f, op->code);
		break;
	default:
		put1(f, op->code), put_uleb(f, op->arg);
	}
}

/* Line programs of the unit below:
 * - [0x1000, 0x100c): b.h:10 then, at 0x1004, line 11 of b.h and of
 *   c.h (the later row wins);
 * - [0x2000, 0x2008): a.c:1, then a file index out of range;
 * - [0x3000, 0x3010) and [0x3008, 0x3020) overlap. */
static const struct op program[] = {
	{ SET_ADDRESS, 0x1000 }, { ADVANCE_LINE, 9 }, { COPY, 0 },
	{ SPECIAL, (1 + 5) + 14 * 4 + 13 },     /* address + 4, line + 1 */
	{ SET_FILE, 2 }, { COPY, 0 }, { ADVANCE_PC, 8 }, { END_SEQUENCE, 0 },
	{ SET_ADDRESS, 0x2000 }, { SET_FILE, 0 }, { COPY, 0 }, { SET_FILE, 9 }, { ADVANCE_PC, 4 },
	{ COPY, 0 }, { ADVANCE_PC, 4 }, { END_SEQUENCE, 0 },
	{ SET_ADDRESS, 0x3000 }, { COPY, 0 }, { ADVANCE_PC, 0x10 }, { END_SEQUENCE, 0 },
	{ SET_ADDRESS, 0x3008 }, { ADVANCE_LINE, 99 }, { COPY, 0 }, { ADVANCE_PC, 0x18 },
	{ END_SEQUENCE, 0 },
};

/* One unit: directories "/comp" and "sub"; files "a.c" (in /comp),
 * "b.h" (in sub) and "/abs/c.h"; line_base -5, line_range 14,
 * opcode_base 13.  version 4 or a program that does not end its last
 * sequence make a unit this reader refuses. */
struct bytes {
	uint8_t *b;
	size_t n;
};

static struct bytes unit_at(int version, bool unterminated, uint64_t base)
{
	static const uint8_t std_lengths[12] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
	struct bytes head, prog, u;
	FILE *hf = open_memstream((char **)&head.b, &head.n);
	FILE *pf = open_memstream((char **)&prog.b, &prog.n);
	FILE *uf = open_memstream((char **)&u.b, &u.n);
	uint32_t len;

	put1(hf, 1), put1(hf, 1);         /* min_inst_length, max_ops */
	put1(hf, 1), put1(hf, -5 & 0xff), put1(hf, 14), put1(hf, 13);
	put(hf, std_lengths, sizeof(std_lengths));
	put1(hf, 1), put_uleb(hf, 1), put_uleb(hf, 0x08);      /* path: string */
	put_uleb(hf, 2), put_str(hf, "/comp"), put_str(hf, "sub");
	put1(hf, 2), put_uleb(hf, 1), put_uleb(hf, 0x08);      /* path: string, */
	put_uleb(hf, 2), put_uleb(hf, 0x0b);                      /* dir: data1 */
	put_uleb(hf, 3);
	put_str(hf, "a.c"), put1(hf, 0);
	put_str(hf, "b.h"), put1(hf, 1);
	put_str(hf, "/abs/c.h"), put1(hf, 1);

	for (size_t i = 0; i < sizeof(program) / sizeof(*program); i++) {
		struct op op = program[i];

		if (op.code == SET_ADDRESS)
			op.arg += base;
		if (!unterminated || i + 1 < sizeof(program) / sizeof(*program))
			put_op(pf, &op);
	}
	fclose(hf);
	fclose(pf);
	len = 2 + 2 + 4 + head.n + prog.n;
	put(uf, &len, 4);
	put1(uf, version), put1(uf, 0);
	put1(uf, 8), put1(uf, 0);               /* address_size, seg_selector_size */
	len = head.n;
	put(uf, &len, 4);
	put(uf, head.b, head.n);
	put(uf, prog.b, prog.n);
	fclose(uf);
	free(head.b);
	free(prog.b);
	return u;
}

static struct bytes unit(int version, bool unterminated)
{
	return unit_at(version, unterminated, 0);
}

static struct line_table *parse(const struct bytes *b)
{
	struct dwarf_sections sec = { .line = b->b, .line_size = b->n };

	return line_table_parse(&sec);
}

static void check_row(const struct line_table *t, uint64_t addr, enum line_lookup want,
		      const char *file, int line)
{
	char *got = NULL;
	int got_line = -1;

	CHECK_INT(line_table_lookup(t, addr, &got, &got_line), want);
	if (want == LINE_FOUND) {
		CHECK_STR(got, file);
		CHECK_INT(got_line, line);
	}
	free(got);
}

static void test_built(void)
{
	struct bytes u = unit(5, false), bad;
	struct line_table *t = parse(&u);

	CHECK(t != NULL);
	if (t) {
		check_row(t, 0xfff, LINE_NONE, NULL, 0);
		check_row(t, 0x1000, LINE_FOUND, "sub/b.h", 10);
		check_row(t, 0x1003, LINE_FOUND, "sub/b.h", 10);
		check_row(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x100b, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x100c, LINE_NONE, NULL, 0);
		check_row(t, 0x2003, LINE_FOUND, "/comp/a.c", 1);
		check_row(t, 0x2004, LINE_NONE, NULL, 0);
		check_row(t, 0x3004, LINE_FOUND, "sub/b.h", 1);
		check_row(t, 0x300c, LINE_ASK_LIBDW, NULL, 0);
		check_row(t, 0x3010, LINE_FOUND, "sub/b.h", 100);
		check_row(t, 0x3020, LINE_NONE, NULL, 0);
		line_table_free(t);
	}

	/* Refused: a unit cut short, an unknown form in the file table,
	 * DWARF 4, a last sequence never ended. */
	bad = u;
	bad.n -= 3;
	CHECK(parse(&bad) == NULL);
	bad.n += 3;
	bad.b[4 + 2 + 2 + 4 + 6 + 12 + 2] = 0x1a;      /* dir path: DW_FORM_strx */
	CHECK(parse(&bad) == NULL);
	free(u.b);
	bad = unit(4, false);
	CHECK(parse(&bad) == NULL);
	free(bad.b);
	bad = unit(5, true);
	CHECK(parse(&bad) == NULL);
	free(bad.b);
}

/* Units, the k-th at 0x10000 * k: parsed in 1 to 4 parts and joined,
 * the same answers as parsed whole (file indexes are each unit's own);
 * one unit refused, the whole table refused. */
static void test_parts(void)
{
	struct bytes all = { NULL, 0 };
	FILE *f = open_memstream((char **)&all.b, &all.n);
	struct dwarf_sections sec;
	struct line_table *whole;

	for (int k = 0; k < 5; k++) {
		struct bytes u = unit_at(5, false, 0x10000 * k);

		put(f, u.b, u.n);
		free(u.b);
	}
	fclose(f);
	sec = (struct dwarf_sections){ .line = all.b, .line_size = all.n };
	whole = line_table_parse(&sec);
	CHECK(whole != NULL);
	for (size_t nparts = 1; whole && nparts <= 4; nparts++) {
		struct line_table *parts[4], *t;

		for (size_t i = 0; i < nparts; i++)
			parts[i] = line_table_parse_part(&sec, i, nparts);
		t = line_table_join(parts, nparts);
		CHECK(t != NULL);
		for (uint64_t addr = 0xff0; t && addr < 0x43030; addr += 4) {
			char *want = NULL, *got = NULL;
			int want_line = -1, got_line = -1;

			CHECK_INT(line_table_lookup(t, addr, &got, &got_line),
				  line_table_lookup(whole, addr, &want, &want_line));
			CHECK(!want == !got && (!want || !strcmp(want, got)));
			CHECK_INT(got_line, want_line);
			free(want);
			free(got);
		}
		line_table_free(t);
	}
	line_table_free(whole);
	/* The last unit's last end_sequence made a DW_LNE_define_file,
	 * which this reader refuses. */
	all.b[all.n - 1] = 3;
	for (size_t nparts = 1; nparts <= 4; nparts++) {
		struct line_table *parts[4];

		for (size_t i = 0; i < nparts; i++)
			parts[i] = line_table_parse_part(&sec, i, nparts);
		CHECK(line_table_join(parts, nparts) == NULL);
	}
	free(all.b);
}

/* Damaged units, from a few bytes changed to bytes cut: parsed (into a
 * buffer of their exact size, for ASan to see any read past it) or
 * refused, never read out of bounds. */
static void test_damaged(void)
{
	struct bytes u = unit(5, false);
	int parsed = 0;

	srandom(20261130);
	for (int round = 0; round < 3000; round++) {
		size_t n = round % 7 ? u.n : (size_t)random() % u.n;
		uint8_t *b = xmalloc(n ? n : 1);
		struct bytes damaged = { b, n };
		struct line_table *t;

		memcpy(b, u.b, n);
		for (int k = 1 + random() % 4; k > 0 && n; k--)
			b[random() % n] = random() % 3 ? (uint8_t)random() : 0x80;
		t = parse(&damaged);
		for (uint64_t addr = 0xff0; t && addr < 0x3030; addr += 0x10) {
			char *file = NULL;
			int line;

			if (line_table_lookup(t, addr, &file, &line) == LINE_FOUND)
				CHECK(file != NULL && line >= 0);
			free(file);
		}
		parsed += t != NULL;
		line_table_free(t);
		free(b);
	}
	printf("damaged units: %d of 3000 parsed\n", parsed);
	free(u.b);
}

/* libdw's answer, as symbolize() used to ask for it. */
struct reference {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	GElf_Addr bias;
};

static const Dwfl_Callbacks offline = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Every function of path, at its start, one byte in, its middle and its
 * last byte: symbolize() and libdw must give the same file:line. */
static void compare_module(const char *path)
{
	struct reference r = { .dwfl = dwfl_begin(&offline) };
	struct symbolizer *s = symbolizer_new();
	int nsyms, checked = 0, with_line = 0, differ = 0;

	/* Opened in the background meanwhile (test-symbolize opens them
	 * when asked). */
	symbolizer_prefetch(s, path);

	r.mod = dwfl_report_offline(r.dwfl, path, path, -1);
	dwfl_report_end(r.dwfl, NULL, NULL);
	CHECK(r.mod && dwfl_module_getelf(r.mod, &r.bias));
	nsyms = r.mod ? dwfl_module_getsymtab(r.mod) : 0;
	for (int i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;

		if (!dwfl_module_getsym_info(r.mod, i, &sym, &addr, NULL, NULL, NULL) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size)
			continue;
		for (int k = 0; k < 4; k++) {
			uint64_t at = addr + (uint64_t[]){ 0, 1, sym.st_size / 2, sym.st_size - 1 }[k];
			Dwfl_Line *line = dwfl_module_getsrc(r.mod, at);
			const char *want = NULL;
			int want_line = 0;
			struct sym_info si;

			if (line)
				want = dwfl_lineinfo(line, NULL, &want_line, NULL, NULL, NULL);
			symbolize(s, path, at - r.bias, &si);
			checked++;
			with_line += want != NULL;
			if ((want == NULL) != (si.file == NULL) ||
			    (want && (strcmp(want, si.file) || want_line != si.line))) {
				if (differ++ < 5)
					fprintf(stderr, "%s+%#lx: libdw %s:%d, symbolize %s:%d\n", path,
						(unsigned long)(at - r.bias), want ? want : "-", want_line,
						si.file ? si.file : "-", si.line);
			}
			sym_info_free(&si);
		}
	}
	printf("%s: %d addresses, %d with a line, %d differ\n", path, checked, with_line, differ);
	CHECK_INT(differ, 0);
	symbolizer_free(s);
	dwfl_end(r.dwfl);
}

/* The file of this process's first mapping whose path contains name. */
static char *module_named(const char *name)
{
	struct map_list maps;
	char *path = NULL;

	if (procmaps_read(getpid(), &maps) < 0)
		return NULL;
	for (size_t i = 0; i < maps.n && !path; i++)
		if (strstr(maps.v[i].path, name))
			path = xstrdup(maps.v[i].path);
	procmaps_free(&maps);
	return path;
}

int main(void)
{
	char *dir = data_tmpdir();
	char *prog = data_compile(dir, "prog", "elfsyms-prog.c", "-O2");
	char *self = realpath("/proc/self/exe", NULL);
	char *libc = module_named("/libc.so"), *ld = module_named("/ld-linux");

	test_built();
	test_parts();
	test_damaged();
	if (prog)
		compare_module(prog);
	compare_module(self);
	CHECK(libc != NULL);
	if (libc)
		compare_module(libc);
	if (ld)
		compare_module(ld);
	free(prog);
	free(self);
	free(libc);
	free(ld);
	data_rmdir(dir);
	return unit_done();
}
