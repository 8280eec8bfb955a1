/* dwarf_lines: line programs built byte by byte (rows, file names,
 * sequences, what is refused), then the symbolizer's file:line against
 * libdw's own answer (dwfl_module_getsrc) for every function of real
 * modules: a program built here with -g, this test, and the system's
 * libc and loader (through their separate debug info when installed). */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_aranges.h"
#include "dwarf_lines.h"
#include "elfsyms.h"
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

/* Where file names are: in the table, or in .debug_str (DW_FORM_strp),
 * at these offsets of debug_str below. */
enum file_names { NAMES_INLINE, NAMES_STRP };
static const char debug_str[] = "x\0a.c\0b.h\0/abs/c.h";
static const uint32_t name_offsets[3] = { 2, 6, 10 };

static void put_file(FILE *f, enum file_names names, int i, int dir)
{
	if (names == NAMES_STRP)
		put(f, &name_offsets[i], 4);
	else
		put_str(f, debug_str + name_offsets[i]);
	put1(f, dir);
}

/* A unit saying version: its length, version, address and segment
 * selector sizes in DWARF 5's layout, header length, then head and prog
 * (both freed). */
static struct bytes assemble_unit(int version, bool v5_layout, struct bytes *head,
				  struct bytes *prog)
{
	struct bytes u;
	FILE *uf = open_memstream((char **)&u.b, &u.n);
	uint32_t len = 2 + (v5_layout ? 2 : 0) + 4 + head->n + prog->n;

	put(uf, &len, 4);
	put1(uf, version), put1(uf, 0);
	if (v5_layout)
		put1(uf, 8), put1(uf, 0);       /* address_size, seg_selector_size */
	len = head->n;
	put(uf, &len, 4);
	put(uf, head->b, head->n);
	put(uf, prog->b, prog->n);
	fclose(uf);
	free(head->b);
	free(prog->b);
	return u;
}

static struct bytes build_unit(int version, bool unterminated, uint64_t base,
			       enum file_names names)
{
	static const uint8_t std_lengths[12] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
	struct bytes head, prog;
	FILE *hf = open_memstream((char **)&head.b, &head.n);
	FILE *pf = open_memstream((char **)&prog.b, &prog.n);

	put1(hf, 1), put1(hf, 1);         /* min_inst_length, max_ops */
	put1(hf, 1), put1(hf, -5 & 0xff), put1(hf, 14), put1(hf, 13);
	put(hf, std_lengths, sizeof(std_lengths));
	put1(hf, 1), put_uleb(hf, 1), put_uleb(hf, 0x08);      /* path: string */
	put_uleb(hf, 2), put_str(hf, "/comp"), put_str(hf, "sub");
	put1(hf, 2), put_uleb(hf, 1);                             /* path: string */
	put_uleb(hf, names == NAMES_STRP ? 0x0e : 0x08);          /* or strp, */
	put_uleb(hf, 2), put_uleb(hf, 0x0b);                      /* dir: data1 */
	put_uleb(hf, 3);
	put_file(hf, names, 0, 0);
	put_file(hf, names, 1, 1);
	put_file(hf, names, 2, 1);

	for (size_t i = 0; i < sizeof(program) / sizeof(*program); i++) {
		struct op op = program[i];

		if (op.code == SET_ADDRESS)
			op.arg += base;
		if (!unterminated || i + 1 < sizeof(program) / sizeof(*program))
			put_op(pf, &op);
	}
	fclose(hf);
	fclose(pf);
	return assemble_unit(version, true, &head, &prog);
}

static struct bytes unit_at(int version, bool unterminated, uint64_t base)
{
	return build_unit(version, unterminated, base, NAMES_INLINE);
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

typedef enum line_lookup lookup_fn(struct line_table *t, uint64_t addr, char **file, int *line);

/* lookup at addr gives want (and, found, file:line). */
static void check_answer(lookup_fn *lookup, struct line_table *t, uint64_t addr,
			 enum line_lookup want, const char *file, int line)
{
	char *got = NULL;
	int got_line = -1;

	CHECK_INT(lookup(t, addr, &got, &got_line), want);
	if (want == LINE_FOUND) {
		CHECK_STR(got, file);
		CHECK_INT(got_line, line);
	}
	free(got);
}

static void check_row(struct line_table *t, uint64_t addr, enum line_lookup want,
		      const char *file, int line)
{
	check_answer(line_table_lookup, t, addr, want, file, line);
}

/* line_table_peek() at addr: not run yet, or want as a lookup gives it. */
static void check_peek(struct line_table *t, uint64_t addr, enum line_lookup want,
		       const char *file, int line)
{
	check_answer(line_table_peek, t, addr, want, file, line);
}

static void check_unit_file(struct line_table *t, uint64_t addr, uint64_t index,
			    enum line_lookup want, const char *file)
{
	char *got = NULL;

	CHECK_INT(line_table_unit_file(t, addr, index, &got), want);
	if (want == LINE_FOUND && got)
		CHECK_STR(got, file);
	free(got);
}

static void test_built(void)
{
	struct bytes u = unit(5, false), bad;
	struct line_table *t = parse(&u);

	CHECK(t != NULL);
	if (t) {
		/* A peek runs nothing: a sequence no lookup decoded is
		 * LINE_NOT_RUN, what needs no rows answers. */
		check_peek(t, 0x1003, LINE_NOT_RUN, NULL, 0);
		check_peek(t, 0xfff, LINE_NONE, NULL, 0);
		check_peek(t, 0x300c, LINE_ASK_LIBDW, NULL, 0);
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
		/* Again, backwards: from the rows a sequence's first lookup
		 * decoded, the same answers. */
		check_row(t, 0x3010, LINE_FOUND, "sub/b.h", 100);
		check_row(t, 0x2003, LINE_FOUND, "/comp/a.c", 1);
		check_row(t, 0x100b, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x1003, LINE_FOUND, "sub/b.h", 10);
		check_row(t, 0x1000, LINE_FOUND, "sub/b.h", 10);
		check_peek(t, 0x1003, LINE_FOUND, "sub/b.h", 10);
		check_peek(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		/* The unit's file table by entry, wherever its program
		 * covers the address (not the rows' files). */
		check_unit_file(t, 0x2004, 0, LINE_FOUND, "/comp/a.c");
		check_unit_file(t, 0x1000, 1, LINE_FOUND, "sub/b.h");
		check_unit_file(t, 0x3004, 2, LINE_FOUND, "/abs/c.h");
		check_unit_file(t, 0x1000, 3, LINE_NONE, NULL);
		check_unit_file(t, 0x1000, UINT64_MAX, LINE_NONE, NULL);
		check_unit_file(t, 0xfff, 0, LINE_NONE, NULL);
		check_unit_file(t, 0x300c, 0, LINE_ASK_LIBDW, NULL);
		line_table_free(t);
	}

	/* Refused: a unit cut short, an unknown form in the file table,
	 * a version after 5, a last sequence never ended. */
	bad = u;
	bad.n -= 3;
	CHECK(parse(&bad) == NULL);
	bad.n += 3;
	bad.b[4 + 2 + 2 + 4 + 6 + 12 + 2] = 0x1a;      /* dir path: DW_FORM_strx */
	CHECK(parse(&bad) == NULL);
	free(u.b);
	bad = unit(6, false);
	CHECK(parse(&bad) == NULL);
	free(bad.b);
	bad = unit(5, true);
	CHECK(parse(&bad) == NULL);
	free(bad.b);
}

/* The program above in a DWARF 2-4 unit (version): include directory
 * "sub" (1; 0 is the compile unit's), files "a.c" (1, in directory 0),
 * "b.h" and "/abs/c.h" (2 and 3, in sub); file 0 is libdw's "???". */
static struct bytes old_unit(int version, bool define_file)
{
	static const uint8_t std_lengths[12] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
	struct bytes head, prog;
	FILE *hf = open_memstream((char **)&head.b, &head.n);
	FILE *pf = open_memstream((char **)&prog.b, &prog.n);

	put1(hf, 1);                              /* min_inst_length */
	if (version >= 4)
		put1(hf, 1);                      /* max_ops */
	put1(hf, 1), put1(hf, -5 & 0xff), put1(hf, 14), put1(hf, 13);
	put(hf, std_lengths, sizeof(std_lengths));
	put_str(hf, "sub"), put1(hf, 0);
	for (int i = 0; i < 3; i++) {
		put_str(hf, debug_str + name_offsets[i]);
		put_uleb(hf, i ? 1 : 0), put_uleb(hf, 0), put_uleb(hf, 0);   /* dir, time, size */
	}
	put1(hf, 0);
	if (define_file) {      /* DW_LNE_define_file "d.c" in directory 0 */
		put1(pf, 0), put1(pf, 8), put1(pf, 3);
		put_str(pf, "d.c"), put_uleb(pf, 0), put_uleb(pf, 0), put_uleb(pf, 0);
	}
	for (size_t i = 0; i < sizeof(program) / sizeof(*program); i++)
		put_op(pf, &program[i]);
	fclose(hf);
	fclose(pf);
	return assemble_unit(version, false, &head, &prog);
}

static const char *comp_dir_at_0(void *ctx, uint64_t offset)
{
	return offset == 0 ? ctx : NULL;
}

/* DWARF 2, 3 and 4 programs read as libdw reads them: rows name files
 * from 1, file 0 is "???", directory 0 the compile unit's directory
 * (comp_dir(), asked with the program's offset), a relative name without
 * one; a file defined by an opcode is left to libdw. */
static void test_old_versions(void)
{
	for (int version = 2; version <= 4; version++) {
		struct bytes u = old_unit(version, false);
		struct dwarf_sections sec = { .line = u.b, .line_size = u.n, .comp_dir = comp_dir_at_0,
					      .comp_dir_ctx = "/comp" };
		struct line_table *t = line_table_parse(&sec);

		CHECK(t != NULL);
		if (t) {
			check_row(t, 0x1000, LINE_FOUND, "/comp/a.c", 10);
			check_row(t, 0x1004, LINE_FOUND, "sub/b.h", 11);
			check_row(t, 0x2003, LINE_FOUND, "???", 1);
			check_row(t, 0x2004, LINE_NONE, NULL, 0);
			check_row(t, 0x3004, LINE_FOUND, "/comp/a.c", 1);
			check_unit_file(t, 0x1000, 0, LINE_FOUND, "???");
			check_unit_file(t, 0x1000, 3, LINE_FOUND, "/abs/c.h");
			check_unit_file(t, 0x1000, 4, LINE_NONE, NULL);
			line_table_free(t);
		}
		sec.comp_dir_ctx = "/elsewhere";
		sec.line_offset = 1;    /* the unit's offset: comp_dir() knows none */
		t = line_table_parse(&sec);
		CHECK(t != NULL);
		if (t) {
			check_row(t, 0x1000, LINE_FOUND, "a.c", 10);
			line_table_free(t);
		}
		free(u.b);
		u = old_unit(version, true);
		sec.line = u.b, sec.line_size = u.n;
		CHECK(line_table_parse(&sec) == NULL);
		free(u.b);
	}
}

static int comp_dirs_asked;

static const char *counted_comp_dir(void *ctx, uint64_t offset)
{
	comp_dirs_asked++;
	return comp_dir_at_0(ctx, offset);
}

/* The comp_dir is asked only when a lookup names a file of directory 0:
 * libdw, which knows it, inflates a file's whole DWARF to answer. */
static void test_comp_dir_when_named(void)
{
	struct bytes u = old_unit(4, false);
	struct dwarf_sections sec = { .line = u.b, .line_size = u.n, .comp_dir = counted_comp_dir,
				      .comp_dir_ctx = "/comp" };
	struct line_table *t = line_table_parse(&sec);

	CHECK(t != NULL);
	if (t) {
		CHECK_INT(comp_dirs_asked, 0);
		check_row(t, 0x1004, LINE_FOUND, "sub/b.h", 11);
		check_unit_file(t, 0x1000, 3, LINE_FOUND, "/abs/c.h");
		CHECK_INT(comp_dirs_asked, 0);
		check_row(t, 0x1000, LINE_FOUND, "/comp/a.c", 10);
		CHECK(comp_dirs_asked > 0);
		line_table_free(t);
	}
	free(u.b);
}

/* n units, the k-th at 0x10000 * k; the one at index bad never ends its
 * last sequence (none when bad < 0). */
static struct bytes units_of(int n, int bad)
{
	struct bytes all;
	FILE *f = open_memstream((char **)&all.b, &all.n);

	for (int k = 0; k < n; k++) {
		struct bytes u = unit_at(5, k == bad, 0x10000 * k);

		put(f, u.b, u.n);
		free(u.b);
	}
	fclose(f);
	return all;
}

/* t answers as whole does across the five units of 0x10000 bytes below. */
static void check_same_answers(struct line_table *t, struct line_table *whole)
{
	for (uint64_t addr = 0xff0; addr < 0x43030; addr += 4) {
		char *want = NULL, *got = NULL;
		int want_line = -1, got_line = -1;

		CHECK_INT(line_table_lookup(t, addr, &got, &got_line),
			  line_table_lookup(whole, addr, &want, &want_line));
		CHECK(!want == !got && (!want || !strcmp(want, got)));
		CHECK_INT(got_line, want_line);
		free(want);
		free(got);
	}
}

static const uint8_t *reveal_debug_str(void *ctx, size_t want)
{
	int *calls = ctx;

	++*calls;
	return want == sizeof(debug_str) ? (const uint8_t *)debug_str : NULL;
}

/* File names in .debug_str: read from it, and only then; refused when
 * it cannot be read. */
static void test_strp(void)
{
	struct bytes u = build_unit(5, false, 0, NAMES_STRP), plain = unit(5, false);
	struct dwarf_sections sec = { .line = u.b, .line_size = u.n, .str_size = sizeof(debug_str),
				      .reveal_str = reveal_debug_str };
	struct line_table *t;
	int calls = 0;

	sec.str_ctx = &calls;
	t = line_table_parse(&sec);
	CHECK(t != NULL && calls > 0);
	if (t) {
		check_row(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x2003, LINE_FOUND, "/comp/a.c", 1);
		check_row(t, 0x3004, LINE_FOUND, "sub/b.h", 1);
	}
	line_table_free(t);
	sec.str_size--;                 /* the callback refuses it */
	CHECK(line_table_parse(&sec) == NULL);
	sec.str_size++;
	calls = 0;
	sec.line = plain.b;
	sec.line_size = plain.n;
	t = line_table_parse(&sec);
	CHECK(t != NULL);
	CHECK_INT(calls, 0);
	line_table_free(t);
	free(u.b);
	free(plain.b);
}

/* Units, the k-th at 0x10000 * k: parsed in 1 to 4 parts and joined,
 * the same answers as parsed whole (file indexes are each unit's own);
 * one unit refused, the whole table refused. */
static void test_parts(void)
{
	struct bytes all = units_of(5, -1);
	struct dwarf_sections sec;
	struct line_table *whole;

	sec = (struct dwarf_sections){ .line = all.b, .line_size = all.n };
	whole = line_table_parse(&sec);
	CHECK(whole != NULL);
	for (size_t nparts = 1; whole && nparts <= 4; nparts++) {
		struct line_table *parts[4], *t;

		for (size_t i = 0; i < nparts; i++)
			parts[i] = line_table_parse_part(&sec, i, nparts);
		t = line_table_join(parts, nparts);
		CHECK(t != NULL);
		if (t)
			check_same_answers(t, whole);
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

/* A .debug_aranges set for the unit at info_offset: its pairs, then
 * (0, 0); a (0, 0) first when zero_first (refused). */
static void put_aranges_set(FILE *f, uint32_t info_offset, const uint64_t (*pairs)[2], size_t n,
			    bool zero_first)
{
	uint32_t len = 2 + 4 + 1 + 1 + 4 + 16 * (n + 1 + zero_first);
	static const uint8_t zeros[16];

	put(f, &len, 4);
	put1(f, 2), put1(f, 0);
	put(f, &info_offset, 4);
	put1(f, 8), put1(f, 0);
	put(f, zeros, 4);                       /* to twice the address size */
	if (zero_first)
		put(f, zeros, 16);
	put(f, pairs, 16 * n);
	put(f, zeros, 16);
}

/* The ranges of unit_at(.., base)'s sequences. */
static void put_unit_set(FILE *f, uint32_t info_offset, uint64_t base, bool zero_first)
{
	const uint64_t pairs[3][2] = {
		{ base + 0x1000, 0xc }, { base + 0x2000, 8 }, { base + 0x3000, 0x20 },
	};

	put_aranges_set(f, info_offset, pairs, 3, zero_first);
}

enum aranges_damage { AR_GOOD, AR_ONE_SET_LESS, AR_UNITS_SWAPPED, AR_ZERO_PAIR };

/* The sets of n units, the k-th at 0x10000 * k, written in another order
 * than their units' (info offsets 100 * k rank them); the last unit's
 * left out, units 1 and 2 swapped, or a (0, 0) pair inside a set. */
static struct bytes aranges_of(int n, enum aranges_damage damage)
{
	struct bytes b;
	FILE *f = open_memstream((char **)&b.b, &b.n);

	for (int i = 0; i < n - (damage == AR_ONE_SET_LESS); i++) {
		int k = (i * 2 + 1) % n;        /* n odd: every unit once */
		uint32_t info = 100 * k;

		if (damage == AR_UNITS_SWAPPED && (k == 1 || k == 2))
			info = 100 * (3 - k);
		put_unit_set(f, info, 0x10000 * k, damage == AR_ZERO_PAIR && k == 3);
	}
	fclose(f);
	return b;
}

/* A .debug_line that says how far it was read. */
struct counted_line {
	const uint8_t *bytes;
	size_t furthest;
};

static const uint8_t *reveal_counted(void *ctx, size_t want)
{
	struct counted_line *c = ctx;

	if (want > c->furthest)
		c->furthest = want;
	return c->bytes;
}

static struct line_table *by_unit_counted(const struct bytes *line, const struct bytes *ar,
					  struct counted_line *counted)
{
	struct dwarf_sections sec = { .line = line->b, .line_size = line->n,
				      .aranges = ar ? ar->b : NULL, .aranges_size = ar ? ar->n : 0 };

	if (counted) {
		*counted = (struct counted_line){ line->b, 0 };
		sec.reveal_line = reveal_counted;
		sec.line_ctx = counted;
	}
	return line_table_by_unit(&sec);
}

static struct line_table *by_unit(const struct bytes *line, const struct bytes *ar)
{
	return by_unit_counted(line, ar, NULL);
}

/* Units run as lookups reach them, found through .debug_aranges, and
 * .debug_line read only as far as the unit looked up: the same answers
 * as the whole table's.  Sets that do not match the programs one for
 * one leave the answers to the whole table; a unit this reader refuses
 * is libdw's to answer, the others still read. */
static void test_by_unit(void)
{
	struct bytes line = units_of(5, -1), ar = aranges_of(5, AR_GOOD);
	struct line_table *whole = parse(&line), *t;
	struct counted_line counted;
	size_t unit_size = line.n / 5;

	t = by_unit_counted(&line, &ar, &counted);
	CHECK(whole != NULL && t != NULL);
	if (t) {
		check_peek(t, 0x1004, LINE_NOT_RUN, NULL, 0);
		CHECK_INT(counted.furthest, 0);
		check_row(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		CHECK_INT(counted.furthest, unit_size);
		check_peek(t, 0x1004, LINE_FOUND, "/abs/c.h", 11);
		/* Unit 2's program is not found yet, unit 1's not run. */
		check_peek(t, 0x21004, LINE_NOT_RUN, NULL, 0);
		check_row(t, 0x21004, LINE_FOUND, "/abs/c.h", 11);
		CHECK_INT(counted.furthest, 3 * unit_size);
		check_peek(t, 0x11004, LINE_NOT_RUN, NULL, 0);
		check_peek(t, 0x21004, LINE_FOUND, "/abs/c.h", 11);
	}
	if (t && whole)
		check_same_answers(t, whole);
	line_table_free(t);
	free(ar.b);

	CHECK(by_unit(&line, NULL) == NULL);
	ar = aranges_of(5, AR_ZERO_PAIR);
	CHECK(by_unit(&line, &ar) == NULL);
	free(ar.b);
	/* The last unit without ranges: libdw finds no unit for its
	 * addresses, so no line, as the units before still have. */
	ar = aranges_of(5, AR_ONE_SET_LESS);
	t = by_unit(&line, &ar);
	CHECK(t != NULL);
	if (t) {
		check_row(t, 0x31004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x41004, LINE_NONE, NULL, 0);
		line_table_free(t);
	}
	free(ar.b);
	/* Units 1 and 2 swapped: unit 0 still answers, the lookup that
	 * reaches unit 1 finds the mismatch, and the whole table answers. */
	ar = aranges_of(5, AR_UNITS_SWAPPED);
	t = by_unit(&line, &ar);
	CHECK(t != NULL);
	if (t && whole)
		check_same_answers(t, whole);
	line_table_free(t);
	free(ar.b);
	line_table_free(whole);
	free(line.b);

	line = units_of(5, 2);
	ar = aranges_of(5, AR_GOOD);
	CHECK(parse(&line) == NULL);
	t = by_unit(&line, &ar);
	CHECK(t != NULL);
	if (t) {
		check_row(t, 0x11004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x21004, LINE_ASK_LIBDW, NULL, 0);
		check_row(t, 0x31004, LINE_FOUND, "/abs/c.h", 11);
		check_row(t, 0x31fff, LINE_NONE, NULL, 0);      /* a gap: unit 3's */
		line_table_free(t);
	}
	free(ar.b);
	free(line.b);
}

static void check_find(const struct aranges *a, uint64_t addr, enum arange_find want, uint32_t unit)
{
	uint32_t got = UINT32_MAX;

	CHECK_INT(aranges_find(a, addr, &got), want);
	if (want == ARANGE_FOUND)
		CHECK_INT(got, unit);
}

/* libdwfl's unit of an address: the last entry at or before it, gaps
 * included, a tie between units left to libdw, nothing past the last
 * entry's end; damaged sections refused. */
static void test_aranges(void)
{
	const uint64_t a[2][2] = { { 0x100, 0x10 }, { 0x200, 0x10 } }, b[1][2] = { { 0x180, 0 } };
	const uint64_t c[1][2] = { { 0x300, 0x10 } }, d[1][2] = { { 0x400, 8 } };
	const uint64_t e[1][2] = { { 0x300, 4 } };
	struct bytes sec;
	struct aranges ar;
	FILE *f = open_memstream((char **)&sec.b, &sec.n);

	/* info offsets: a 0, c 10, b 50, d 70, e 80: units 0, 2, 1, 3, 4 */
	put_aranges_set(f, 0, a, 2, false);
	put_aranges_set(f, 50, b, 1, false);
	put_aranges_set(f, 10, c, 1, false);
	put_aranges_set(f, 70, d, 1, false);
	put_aranges_set(f, 80, e, 1, false);
	fclose(f);
	CHECK_INT(aranges_read(sec.b, sec.n, &ar), 0);
	CHECK_INT(ar.nunits, 5);
	check_find(&ar, 0xff, ARANGE_NONE, 0);
	check_find(&ar, 0x100, ARANGE_FOUND, 0);
	check_find(&ar, 0x150, ARANGE_FOUND, 0);
	check_find(&ar, 0x180, ARANGE_FOUND, 2);
	check_find(&ar, 0x1ff, ARANGE_FOUND, 2);
	check_find(&ar, 0x200, ARANGE_FOUND, 0);
	check_find(&ar, 0x300, ARANGE_AMBIGUOUS, 0);
	check_find(&ar, 0x3ff, ARANGE_AMBIGUOUS, 0);
	check_find(&ar, 0x408, ARANGE_FOUND, 3);
	check_find(&ar, 0x409, ARANGE_NONE, 0);
	aranges_free(&ar);

	CHECK_INT(aranges_read(sec.b, sec.n - 1, &ar), -1);
	sec.b[4] = 3;                           /* version */
	CHECK_INT(aranges_read(sec.b, sec.n, &ar), -1);
	sec.b[4] = 2;
	memset(sec.b + 64 + 6, 0, 4);           /* b's unit (a is 64 bytes): a's */
	CHECK_INT(aranges_read(sec.b, sec.n, &ar), -1);
	free(sec.b);
}

/* A copy of src cut short one time in cut_every (else whole), with one to
 * four bytes changed: to random values, or one time in three to zero. */
static struct bytes damaged_copy(const struct bytes *src, int round, int cut_every, uint8_t zero)
{
	size_t n = round % cut_every ? src->n : (size_t)random() % src->n;
	struct bytes d = { xmalloc(n ? n : 1), n };

	memcpy(d.b, src->b, n);
	for (int k = 1 + random() % 4; k > 0 && n; k--)
		d.b[random() % n] = random() % 3 ? (uint8_t)random() : zero;
	return d;
}

/* Lookups from addr to end in steps: whatever a damaged table answers, a
 * line found has a file and a line number. */
static void check_lookups_sane(struct line_table *t, uint64_t addr, uint64_t end,
			       uint64_t step)
{
	for (; t && addr < end; addr += step) {
		char *file = NULL;
		int line;

		if (line_table_lookup(t, addr, &file, &line) == LINE_FOUND)
			CHECK(file != NULL && line >= 0);
		free(file);
	}
}

/* Damaged units, from a few bytes changed to bytes cut: parsed (into a
 * buffer of their exact size, for ASan to see any read past it) or
 * refused, never read out of bounds. */
static void test_damaged(void)
{
	/* DWARF 5, and 4 with its directory 0 named. */
	struct bytes units[2] = { unit(5, false), old_unit(4, false) };

	srandom(20261130);
	for (int v = 0; v < 2; v++) {
		int parsed = 0;

		for (int round = 0; round < 3000; round++) {
			struct bytes damaged = damaged_copy(&units[v], round, 7, 0x80);
			struct dwarf_sections sec = { .line = damaged.b, .line_size = damaged.n,
						      .comp_dir = comp_dir_at_0, .comp_dir_ctx = "/comp" };
			struct line_table *t = line_table_parse(&sec);

			check_lookups_sane(t, 0xff0, 0x3030, 0x10);
			parsed += t != NULL;
			line_table_free(t);
			free(damaged.b);
		}
		printf("damaged DWARF %d units: %d of 3000 parsed\n", v ? 4 : 5, parsed);
		free(units[v].b);
	}
}

/* Damaged .debug_aranges beside intact programs, and intact ranges beside
 * damaged programs: read by unit or refused, never out of bounds. */
static void test_damaged_by_unit(void)
{
	struct bytes line = units_of(5, -1), ar = aranges_of(5, AR_GOOD);
	int read = 0;

	srandom(20261201);
	for (int round = 0; round < 2000; round++) {
		struct bytes damaged = damaged_copy(round % 2 ? &line : &ar, round, 5, 0);
		struct line_table *t = round % 2 ? by_unit(&damaged, &ar) : by_unit(&line, &damaged);

		check_lookups_sane(t, 0xff0, 0x43030, 0x40);
		read += t != NULL;
		line_table_free(t);
		free(damaged.b);
	}
	printf("damaged aranges or units: %d of 2000 read by unit\n", read);
	free(line.b);
	free(ar.b);
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

/* Both tables of the file libdw reads a module's DWARF from: the whole
 * index, and by unit where .debug_aranges allows it. */
struct both_tables {
	struct elf_module *elf;
	struct line_table *whole, *by_unit;
};

/* The DW_AT_comp_dir of the unit whose line program is at offset, asked
 * of libdw unit by unit (struct dwarf_sections). */
static const char *unit_comp_dir(void *mod, uint64_t offset)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_Die *cu = NULL;

	while (dw && (cu = dwfl_module_nextcu(mod, cu, &bias))) {
		Dwarf_Attribute attr;
		Dwarf_Word at;

		if (dwarf_attr(cu, DW_AT_stmt_list, &attr) && dwarf_formudata(&attr, &at) == 0 &&
		    at == offset)
			return dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	}
	return NULL;
}

static void open_both(Dwfl_Module *mod, struct both_tables *b)
{
	const char *main_file = NULL, *debug_file = NULL;
	struct dwarf_sections sec = { 0 };
	Dwarf_Addr bias;

	dwfl_module_getdwarf(mod, &bias);
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &main_file, &debug_file);
	b->elf = elfmod_open(debug_file ? debug_file : main_file);
	if (b->elf)
		sec.line = elfmod_section_data(b->elf, ".debug_line", &sec.line_size);
	if (!sec.line)
		return;
	sec.line_str = elfmod_section_data(b->elf, ".debug_line_str", &sec.line_str_size);
	sec.str = elfmod_section_data(b->elf, ".debug_str", &sec.str_size);
	sec.aranges = elfmod_section_data(b->elf, ".debug_aranges", &sec.aranges_size);
	sec.comp_dir = unit_comp_dir;
	sec.comp_dir_ctx = mod;
	b->whole = line_table_parse(&sec);
	b->by_unit = line_table_by_unit(&sec);
}

static void close_both(struct both_tables *b)
{
	line_table_free(b->whole);
	line_table_free(b->by_unit);
	if (b->elf)
		elfmod_close(b->elf);
}

/* Do the two tables answer alike at addr (where neither leaves it to
 * libdw)? */
static bool tables_agree(const struct both_tables *b, uint64_t addr)
{
	char *file[2] = { NULL, NULL };
	int line[2] = { -1, -1 };
	enum line_lookup got[2];
	bool agree;

	if (!b->whole || !b->by_unit)
		return true;
	got[0] = line_table_lookup(b->whole, addr, &file[0], &line[0]);
	got[1] = line_table_lookup(b->by_unit, addr, &file[1], &line[1]);
	agree = got[0] == LINE_ASK_LIBDW || got[1] == LINE_ASK_LIBDW ||
		(got[0] == got[1] && line[0] == line[1] && !file[0] == !file[1] &&
		 (!file[0] || !strcmp(file[0], file[1])));
	free(file[0]);
	free(file[1]);
	return agree;
}

/* The file table of the unit at addr (libdwfl's address), entry by
 * entry: libdw's names (dwarf_getsrcfiles, an inlined call's
 * DW_AT_call_file) against the table's, where it names them; how many
 * were compared, *differ counting those that differ. */
static int compare_unit_files(Dwfl_Module *mod, struct line_table *t, uint64_t addr,
			      uint64_t bias, int *differ)
{
	Dwarf_Addr cu_bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &cu_bias);
	Dwarf_Files *files;
	size_t nfiles;
	int compared = 0;

	if (!t || !cu || dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		return 0;
	for (size_t i = 0; i < nfiles; i++) {
		const char *want = dwarf_filesrc(files, i, NULL, NULL);
		char *got = NULL;

		if (line_table_unit_file(t, addr - bias, i, &got) == LINE_FOUND) {
			compared++;
			if ((!want || strcmp(want, got)) && (*differ)++ < 5)
				fprintf(stderr, "%#lx: file %zu: libdw %s, the table %s\n",
					(unsigned long)(addr - bias), i, want ? want : "-", got);
		}
		free(got);
	}
	return compared;
}

/* Every function of path, at its start, one byte in, its middle and its
 * last byte: symbolize() and libdw must give the same file:line, and the
 * line table indexed whole and by unit the same answer; at each unit's
 * first function, the same names of its files. */
static void compare_module(const char *path)
{
	struct reference r = { .dwfl = dwfl_begin(&offline) };
	struct symbolizer *s = symbolizer_new();
	struct both_tables both = { 0 };
	int nsyms, checked = 0, with_line = 0, differ = 0, tables_differ = 0;
	int files_compared = 0, files_differ = 0;
	Dwarf_Die *last_cu = NULL;

	/* Opened in the background meanwhile (test-symbolize opens them
	 * when asked). */
	symbolizer_prefetch(s, path, NULL);

	r.mod = dwfl_report_offline(r.dwfl, path, path, -1);
	dwfl_report_end(r.dwfl, NULL, NULL);
	CHECK(r.mod && dwfl_module_getelf(r.mod, &r.bias));
	nsyms = r.mod ? dwfl_module_getsymtab(r.mod) : 0;
	if (r.mod)
		open_both(r.mod, &both);
	for (int i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;

		Dwarf_Die *cu;
		Dwarf_Addr cu_bias;

		if (!dwfl_module_getsym_info(r.mod, i, &sym, &addr, NULL, NULL, NULL) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size)
			continue;
		cu = dwfl_module_addrdie(r.mod, addr, &cu_bias);
		if (cu && cu != last_cu)
			files_compared += compare_unit_files(r.mod, both.by_unit ? both.by_unit : both.whole,
							     addr, r.bias, &files_differ);
		last_cu = cu ? cu : last_cu;
		for (int k = 0; k < 4; k++) {
			uint64_t at = addr + (uint64_t[]){ 0, 1, sym.st_size / 2, sym.st_size - 1 }[k];
			Dwfl_Line *line = dwfl_module_getsrc(r.mod, at);
			const char *want = NULL;
			int want_line = 0;
			struct sym_info si;

			if (line)
				want = dwfl_lineinfo(line, NULL, &want_line, NULL, NULL, NULL);
			symbolize(s, path, NULL, at - r.bias, &si);
			checked++;
			with_line += want != NULL;
			if ((want == NULL) != (si.file == NULL) ||
			    (want && (strcmp(want, si.file) || want_line != si.line))) {
				if (differ++ < 5)
					fprintf(stderr, "%s+%#lx: libdw %s:%d, symbolize %s:%d\n", path,
						(unsigned long)(at - r.bias), want ? want : "-", want_line,
						si.file ? si.file : "-", si.line);
			}
			if (!tables_agree(&both, at - r.bias) && tables_differ++ < 5)
				fprintf(stderr, "%s+%#lx: the whole table and the units' differ\n",
					path, (unsigned long)(at - r.bias));
			sym_info_free(&si);
		}
	}
	printf("%s: %d addresses, %d with a line, %d differ; tables: whole %s, by unit %s,"
	       " %d differ; %d units' file names, %d differ\n", path, checked, with_line, differ,
	       both.whole ? "read" : "refused", both.by_unit ? "read" : "refused", tables_differ,
	       files_compared, files_differ);
	CHECK_INT(differ, 0);
	CHECK_INT(tables_differ, 0);
	CHECK_INT(files_differ, 0);
	close_both(&both);
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
	/* DWARF 4 line programs (rustc's, older compilers'): directory 0,
	 * that of the program's own file here, is the unit's DW_AT_comp_dir. */
	char *prog4 = data_compile_here(dir, "prog4", "elfsyms-prog.c", "-O2 -gdwarf-4");
	char *rust = data_compile_rust(dir, "rust", "lines-prog.rs");
	char *self = realpath("/proc/self/exe", NULL);
	char *libc = module_named("/libc.so"), *ld = module_named("/ld-linux");

	test_built();
	test_old_versions();
	test_comp_dir_when_named();
	test_parts();
	test_strp();
	test_aranges();
	test_by_unit();
	test_damaged();
	test_damaged_by_unit();
	if (prog)
		compare_module(prog);
	if (prog4)
		compare_module(prog4);
	if (rust)
		compare_module(rust);
	else
		printf("no Rust program compared: rustc is not installed\n");
	compare_module(self);
	CHECK(libc != NULL);
	if (libc)
		compare_module(libc);
	if (ld)
		compare_module(ld);
	free(prog);
	free(prog4);
	free(rust);
	free(self);
	free(libc);
	free(ld);
	data_rmdir(dir);
	return unit_done();
}
