/* file:line from .debug_line (include/dwarf_lines.h says why).
 *
 * Every line program is run once, to index its sequences: their address
 * ranges and where their opcodes start.  The rows are not kept (libc's,
 * stored, were a third of the parse in page faults and copies): a
 * sequence is run again at its first lookup, and marked every 32 rows
 * for the next (struct seq_marks).  The sequences are sorted by start
 * address, and a lookup is a binary search.  libdw sorts the rows of one
 * compile unit together instead; both give the same row whenever no other
 * sequence covers the address, which the prefix maximum of the sequences'
 * ends tells (and when one does, libdw is asked).
 *
 * Where .debug_aranges allows it, line_table_by_unit() runs no program
 * up front, and a lookup runs its unit's alone (see the end of this
 * file). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_aranges.h"
#include "dwarf_cursor.h"
#include "dwarf_lines.h"
#include "error.h"

/* DWARF 5, section 7.22 (line number opcodes) and 7.5.6 (forms). */
enum {
	LNS_COPY = 1, LNS_ADVANCE_PC, LNS_ADVANCE_LINE, LNS_SET_FILE, LNS_SET_COLUMN,
	LNS_NEGATE_STMT, LNS_SET_BASIC_BLOCK, LNS_CONST_ADD_PC, LNS_FIXED_ADVANCE_PC,
	LNS_SET_PROLOGUE_END, LNS_SET_EPILOGUE_BEGIN, LNS_SET_ISA,
	LNE_END_SEQUENCE = 1, LNE_SET_ADDRESS, LNE_DEFINE_FILE, LNE_SET_DISCRIMINATOR,
	LNCT_PATH = 1, LNCT_DIRECTORY_INDEX,
	FORM_BLOCK2 = 0x03, FORM_BLOCK4, FORM_DATA2, FORM_DATA4, FORM_DATA8, FORM_STRING,
	FORM_BLOCK, FORM_BLOCK1, FORM_DATA1, FORM_SDATA = 0x0d, FORM_STRP, FORM_UDATA,
	FORM_DATA16 = 0x1e, FORM_LINE_STRP,
};

/* A file of one unit's table: its directory and name, not yet joined.
 * A relative name in directory 0 of a DWARF 2-4 unit is in the unit's
 * DW_AT_comp_dir, which only .debug_info holds: asked when a lookup names
 * the file (unit_dir), not as the table is read.  libdw, asked for it,
 * inflates every compressed debug section of the file (a Go program's:
 * 200 ms for docker's 8 locations, whose files name their directories). */
struct line_file {
	const char *dir, *name;
	bool unit_dir;
};

/* What a sequence's opcodes are run again with: its unit's header. */
struct line_unit {
	uint64_t offset;                /* of its header in .debug_line */
	const uint8_t *end;             /* of the unit's program */
	const uint8_t *opcode_lengths;  /* [opcode - 1] */
	size_t first_file, nfiles;      /* its files: t->files[first_file...] */
	uint16_t nonstandard;           /* bit op: opcode op's length is not the standard's */
	uint8_t address_size, min_inst_len, line_range, opcode_base;
	int8_t line_base;
};

struct line_seq {
	uint64_t start, end;            /* end: the end_sequence row's address */
	const uint8_t *program;         /* its first opcode */
	uint32_t unit;                  /* index into t->units */
	bool has_rows;                  /* any row before end_sequence */
};

/* The state machine's registers that rows are made of. */
struct line_state {
	uint64_t addr, file;
	int64_t line;
};

/* Every MARK_EVERY-th row of a sequence and where its program goes on
 * after it, taken at the sequence's first lookup: a lookup searches the
 * marks, then runs at most that many rows.  Running the program from its
 * start at each lookup cost a profile of Python built with -g 190 ms
 * (its interpreter loop is one sequence of 40,000 rows, and nearly every
 * stack goes through it); keeping every row would cost 16 bytes a row
 * (megabytes for a large library's touched units), a mark is a byte a row. */
#define MARK_EVERY 32

struct line_mark {
	struct line_state s;
	const uint8_t *next;    /* the program after the row */
};

struct seq_marks {
	struct line_mark *v;    /* NULL: the sequence not run yet */
	size_t n;
};

struct line_table {
	struct line_file *files;
	size_t nfiles, files_cap;
	struct line_unit *units;
	size_t nunits, units_cap;
	struct line_seq *seqs;
	size_t nseqs, seqs_cap;
	uint64_t *max_end;      /* [i]: the largest end among seqs[0..i] */
	struct seq_marks *marks;        /* [i]: seqs[i]'s, once a lookup ran it */
	struct unit_index *by_unit;     /* set: the fields above are unused */
	const char *(*comp_dir)(void *ctx, uint64_t offset);   /* struct dwarf_sections' */
	void *comp_dir_ctx;
};

/* A NUL-terminated string inside [base, base + size) at offset off. */
static const char *string_at(const uint8_t *base, size_t size, uint64_t off)
{
	if (!base || off >= size || !memchr(base + off, 0, size - off))
		return NULL;
	return (const char *)base + off;
}

static const uint8_t *debug_str(const struct dwarf_sections *sec)
{
	if (sec->str || !sec->reveal_str)
		return sec->str;
	return sec->reveal_str(sec->str_ctx, sec->str_size);
}

/* One attribute of a DWARF 5 directory or file entry: a string for
 * DW_LNCT_path, a number for DW_LNCT_directory_index, anything else
 * skipped.  False when the form is one this reader cannot read. */
static bool read_form(struct cursor *c, const struct dwarf_sections *sec, int form, int offset_size,
		      const char **str, uint64_t *num)
{
	uint64_t len;

	switch (form) {
	case FORM_STRING:
		*str = string_at(c->p, c->end - c->p, 0);
		if (!*str)
			return false;
		c->p += strlen(*str) + 1;
		return true;
	case FORM_LINE_STRP:
		*str = string_at(sec->line_str, sec->line_str_size, read_fixed(c, offset_size));
		return *str != NULL;
	case FORM_STRP:
		*str = string_at(debug_str(sec), sec->str_size, read_fixed(c, offset_size));
		return *str != NULL;
	case FORM_UDATA:
		*num = read_uleb(c);
		return true;
	case FORM_SDATA:
		*num = read_sleb(c);
		return true;
	case FORM_DATA1: *num = read_fixed(c, 1); return true;
	case FORM_DATA2: *num = read_fixed(c, 2); return true;
	case FORM_DATA4: *num = read_fixed(c, 4); return true;
	case FORM_DATA8: *num = read_fixed(c, 8); return true;
	case FORM_DATA16: len = 16; break;
	case FORM_BLOCK: len = read_uleb(c); break;
	case FORM_BLOCK1: len = read_fixed(c, 1); break;
	case FORM_BLOCK2: len = read_fixed(c, 2); break;
	case FORM_BLOCK4: len = read_fixed(c, 4); break;
	default:
		return false;
	}
	if ((uint64_t)(c->end - c->p) < len)
		return false;
	c->p += len;
	return true;
}

/* An entry format: (content type, form) pairs. */
struct entry_format {
	uint64_t type[16], form[16];
	int n;
};

static bool read_entry_format(struct cursor *c, struct entry_format *f)
{
	f->n = read_fixed(c, 1);
	if (f->n > 16)
		return false;
	for (int i = 0; i < f->n; i++) {
		f->type[i] = read_uleb(c);
		f->form[i] = read_uleb(c);
	}
	return !c->bad;
}

/* One directory or file entry: its path, and its directory index. */
static bool read_entry(struct cursor *c, const struct dwarf_sections *sec,
		       const struct entry_format *f, int offset_size, const char **path, uint64_t *dir)
{
	*path = NULL;
	*dir = UINT64_MAX;
	for (int i = 0; i < f->n; i++) {
		const char *s = NULL;
		uint64_t v = 0;

		if (!read_form(c, sec, f->form[i], offset_size, &s, &v))
			return false;
		if (f->type[i] == LNCT_PATH)
			*path = s;
		else if (f->type[i] == LNCT_DIRECTORY_INDEX)
			*dir = v;
	}
	return *path && !c->bad;
}

static void push_file(struct line_table *t, const char *dir, const char *name, bool unit_dir)
{
	bool relative = name[0] != '/';

	if (t->nfiles == t->files_cap) {
		t->files_cap = t->files_cap ? 2 * t->files_cap : 1024;
		t->files = xrealloc(t->files, t->files_cap * sizeof(*t->files));
	}
	t->files[t->nfiles++] = (struct line_file){ relative ? dir : NULL, name, relative && unit_dir };
}

/* The directory and file tables of a DWARF 5 header: files are appended
 * to t->files (entry i of the unit is t->files[first + i], as libdw
 * indexes them), directories kept in dirs. */
static bool read_file_tables(struct cursor *c, const struct dwarf_sections *sec, int offset_size,
			     struct line_table *t, size_t *nfiles)
{
	struct entry_format f;
	const char **dirs = NULL;
	uint64_t ndirs, n, dir;
	bool ok = false;

	if (!read_entry_format(c, &f))
		return false;
	ndirs = read_uleb(c);
	if (c->bad || ndirs > (uint64_t)(c->end - c->p))
		return false;
	dirs = xcalloc(ndirs ? ndirs : 1, sizeof(*dirs));
	for (uint64_t i = 0; i < ndirs; i++)
		if (!read_entry(c, sec, &f, offset_size, &dirs[i], &dir))
			goto out;
	if (!read_entry_format(c, &f))
		goto out;
	n = read_uleb(c);
	if (c->bad || n > (uint64_t)(c->end - c->p))
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		const char *name;

		if (!read_entry(c, sec, &f, offset_size, &name, &dir) || dir >= ndirs)
			goto out;
		push_file(t, dirs[dir], name, false);
	}
	*nfiles = n;
	ok = true;
out:
	free(dirs);
	return ok;
}

/* A NUL-terminated string at the cursor, which moves past it; NULL (and
 * the cursor bad) when the unit ends first. */
static const char *read_string(struct cursor *c)
{
	const char *str = c->bad ? NULL : string_at(c->p, c->end - c->p, 0);

	if (!str) {
		c->bad = true;
		return NULL;
	}
	c->p += strlen(str) + 1;
	return str;
}

/* The directory and file tables of a DWARF 2-4 header, each ended by an
 * empty entry: directory 0 is the unit's comp_dir (struct line_file), the
 * first listed is 1; file 0 is libdw's "???" (rows name files from 1),
 * each listed one a name, its directory's index, its time and size. */
static bool read_old_file_tables(struct cursor *c, struct line_table *t, size_t *nfiles)
{
	const char **dirs = xmalloc(sizeof(*dirs));
	size_t ndirs = 1, n = 1;
	bool ok = false;

	dirs[0] = NULL;
	while (!c->bad && c->p < c->end && *c->p) {
		dirs = xrealloc(dirs, (ndirs + 1) * sizeof(*dirs));
		dirs[ndirs++] = read_string(c);
	}
	if (c->bad || c->p++ >= c->end)
		goto out;
	push_file(t, NULL, "???", false);
	while (c->p < c->end && *c->p) {
		const char *name = read_string(c);
		uint64_t dir = read_uleb(c);

		read_uleb(c);           /* modification time */
		read_uleb(c);           /* size */
		if (c->bad || dir >= ndirs)
			goto out;
		push_file(t, dirs[dir], name, dir == 0);
		n++;
	}
	if (c->p++ >= c->end || n == 1)
		goto out;
	*nfiles = n;
	ok = true;
out:
	free(dirs);
	return ok;
}

/* A unit's header while its program runs. */
struct line_header {
	struct line_unit u;
	int offset_size;
};

/* The operand counts of the standard opcodes (DW_LNS_copy to
 * DW_LNS_set_isa): libdw refuses a unit that
 * says otherwise when it meets the opcode. */
static const uint8_t standard_lengths[LNS_SET_ISA + 1] = {
	[LNS_ADVANCE_PC] = 1, [LNS_ADVANCE_LINE] = 1, [LNS_SET_FILE] = 1,
	[LNS_SET_COLUMN] = 1, [LNS_FIXED_ADVANCE_PC] = 1, [LNS_SET_ISA] = 1,
};

static uint16_t nonstandard_opcodes(const uint8_t *lengths, int opcode_base)
{
	uint16_t bits = 0;

	for (int op = 1; op <= LNS_SET_ISA && op < opcode_base; op++)
		if (lengths[op - 1] != standard_lengths[op])
			bits |= 1u << op;
	return bits;
}

/* The address size of a DWARF 2-4 program, whose header does not say it:
 * libdw takes its unit's, on x86-64 8 bytes. */
#define OLD_ADDRESS_SIZE 8

/* Through the header of the unit at byte offset of .debug_line to its
 * first opcode; false for what this reader leaves to libdw. */
static bool read_header(struct cursor *c, const struct dwarf_sections *sec, uint64_t offset,
			struct line_table *t, struct line_header *h)
{
	struct line_unit *u = &h->u;
	uint64_t header_length;
	const uint8_t *program;
	bool files_read;
	int version;

	version = read_fixed(c, 2);
	if (version < 2 || version > 5)
		return false;
	u->address_size = version == 5 ? read_fixed(c, 1) : OLD_ADDRESS_SIZE;
	if ((u->address_size != 4 && u->address_size != 8) || (version == 5 && read_fixed(c, 1) != 0))
		return false;
	header_length = read_fixed(c, h->offset_size);
	if (c->bad || header_length > (uint64_t)(c->end - c->p))
		return false;
	program = c->p + header_length;
	u->min_inst_len = read_fixed(c, 1);
	/* maximum_operations_per_instruction (DWARF 4 on): VLIW */
	if (version >= 4 && read_fixed(c, 1) != 1)
		return false;
	read_fixed(c, 1);               /* default_is_stmt */
	u->line_base = (int8_t)read_fixed(c, 1);
	u->line_range = read_fixed(c, 1);
	u->opcode_base = read_fixed(c, 1);
	if (c->bad || !u->line_range || !u->opcode_base ||
	    c->end - c->p < u->opcode_base - 1)
		return false;
	u->opcode_lengths = c->p;
	c->p += u->opcode_base - 1;
	u->nonstandard = nonstandard_opcodes(u->opcode_lengths, u->opcode_base);
	u->end = c->end;
	u->first_file = t->nfiles;
	u->offset = offset;
	if (version == 5)
		files_read = read_file_tables(c, sec, h->offset_size, t, &u->nfiles);
	else
		files_read = read_old_file_tables(c, t, &u->nfiles);
	/* No file entry at all: libdw would name file 0 "???". */
	return files_read && u->nfiles && c->p == program;
}

static void push_unit(struct line_table *t, const struct line_unit *u)
{
	if (t->nunits == t->units_cap) {
		t->units_cap = t->units_cap ? 2 * t->units_cap : 256;
		t->units = xrealloc(t->units, t->units_cap * sizeof(*t->units));
	}
	t->units[t->nunits++] = *u;
}

static void push_seq(struct line_table *t, const struct line_seq *seq)
{
	if (t->nseqs == t->seqs_cap) {
		t->seqs_cap = t->seqs_cap ? 2 * t->seqs_cap : 256;
		t->seqs = xrealloc(t->seqs, t->seqs_cap * sizeof(*t->seqs));
	}
	t->seqs[t->nseqs++] = *seq;
}

enum extended { EXT_BAD, EXT_OK, EXT_END_SEQUENCE };

/* An extended opcode (DW_LNE_*); EXT_BAD for what libdw would read
 * otherwise than the standard says. */
static enum extended run_extended(struct cursor *c, const struct line_header *h, uint64_t *addr)
{
	/* libdw reads the length as one byte, not as the ULEB128 it is. */
	uint8_t len = read_fixed(c, 1);
	const uint8_t *next = c->p + len;

	if (c->bad || !len || len >= 0x80 || len > c->end - c->p)
		return EXT_BAD;
	switch (*c->p++) {
	case LNE_END_SEQUENCE:
		c->p = next;
		return EXT_END_SEQUENCE;
	case LNE_SET_ADDRESS:
		if (len != h->u.address_size + 1)
			return EXT_BAD;
		*addr = read_fixed(c, h->u.address_size);
		break;
	case LNE_DEFINE_FILE:
		return EXT_BAD;
	}
	c->p = next;
	return EXT_OK;
}

/* A damaged program may add lines past INT64_MAX: wrapped, such a line
 * is refused as any out of range. */
static int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static const struct line_state initial_state = { 0, 1, 1 };

enum step { STEP_ROW, STEP_END_SEQUENCE, STEP_END, STEP_BAD };

/* Runs opcodes (DWARF 5, 6.2.5) up to the next row or end of sequence.
 * Inlined into its two loops, the cursor and state stay in registers. */
static inline __attribute__((always_inline)) enum step next_row(struct cursor *c, const struct line_header *h,
				 struct line_state *s)
{
	const struct line_unit *u = &h->u;

	while (c->p < c->end && !c->bad) {
		int op = *c->p++;

		if (op >= u->opcode_base) {
			op -= u->opcode_base;
			s->line = wrap_add(s->line, u->line_base + op % u->line_range);
			s->addr += (uint64_t)u->min_inst_len * (op / u->line_range);
			return STEP_ROW;
		}
		if (op == 0) {
			switch (run_extended(c, h, &s->addr)) {
			case EXT_BAD:
				return STEP_BAD;
			case EXT_OK:
				continue;
			case EXT_END_SEQUENCE:
				return STEP_END_SEQUENCE;
			}
		}
		if (u->nonstandard & (1u << op))
			return STEP_BAD;
		switch (op) {
		case LNS_COPY:
			return STEP_ROW;
		case LNS_ADVANCE_PC:
			s->addr += u->min_inst_len * read_uleb(c);
			break;
		case LNS_ADVANCE_LINE:
			s->line = wrap_add(s->line, read_sleb(c));
			break;
		case LNS_SET_FILE:
			s->file = read_uleb(c);
			break;
		case LNS_CONST_ADD_PC:
			s->addr += (uint64_t)u->min_inst_len * ((255 - u->opcode_base) / u->line_range);
			break;
		case LNS_FIXED_ADVANCE_PC:
			s->addr += read_fixed(c, 2);
			break;
		default:
			/* Column, flags, isa and opcodes newer than this
			 * reader: operands skipped. */
			for (int n = u->opcode_lengths[op - 1]; n > 0; n--)
				read_uleb(c);
			break;
		}
	}
	return c->bad ? STEP_BAD : STEP_END;
}

/* Runs one line program into the index of its sequences, checking every
 * row as libdw would take it: lines in range, and addresses that never go
 * back within a sequence (a lookup stops at the first row past it).  The
 * cursor is a local copy: through c, every sequence stored would reload
 * it. */
static bool run_program(struct cursor *c, const struct line_header *h, struct line_table *t)
{
	struct cursor cur = *c;
	struct line_state s = initial_state;
	struct line_seq seq = { .program = cur.p, .unit = t->nunits };
	uint64_t last = 0;

	for (;;) {
		switch (next_row(&cur, h, &s)) {
		case STEP_ROW:
			if (s.line < 0 || s.line > INT32_MAX || (seq.has_rows && s.addr < last))
				return false;
			if (!seq.has_rows)
				seq.start = s.addr;
			seq.has_rows = true;
			last = s.addr;
			continue;
		case STEP_END_SEQUENCE:
			if (seq.has_rows && s.addr < last)
				return false;
			seq.end = s.addr;
			if (!seq.has_rows)
				seq.start = s.addr;
			push_seq(t, &seq);
			seq = (struct line_seq){ .program = cur.p, .unit = t->nunits };
			s = initial_state;
			continue;
		case STEP_END:
			/* Rows after the last end_sequence: libdw patches the
			 * unit's last row into one, which this reader does
			 * not reproduce. */
			*c = cur;
			push_unit(t, &h->u);
			return !seq.has_rows;
		case STEP_BAD:
			return false;
		}
	}
}

static bool parse_unit(struct cursor *c, const struct dwarf_sections *sec, struct line_table *t)
{
	struct line_header h = { .offset_size = 4 };
	uint64_t offset = sec->line_offset + (uint64_t)(c->p - sec->line);
	uint64_t length = read_fixed(c, 4);

	if (length == 0xffffffff) {
		h.offset_size = 8;
		length = read_fixed(c, 8);
	}
	if (c->bad || length > (uint64_t)(c->end - c->p))
		return false;
	c->end = c->p + length;
	return read_header(c, sec, offset, t, &h) && run_program(c, &h, t);
}

static int by_start(const void *a, const void *b)
{
	const struct line_seq *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The first unit starting at or after byte offset from, found by
 * walking the units' lengths; the section's end when none does, or when
 * a length runs past it (the unit before then refuses the table). */
static const uint8_t *unit_start_from(const struct dwarf_sections *sec, size_t from)
{
	struct cursor c = { sec->line, sec->line + sec->line_size, false };

	while (c.p < c.end && (size_t)(c.p - sec->line) < from) {
		uint64_t length = read_fixed(&c, 4);

		if (length == 0xffffffff)
			length = read_fixed(&c, 8);
		if (c.bad || length > (uint64_t)(c.end - c.p))
			return c.end;
		c.p += length;
	}
	return c.p;
}

struct line_table *line_table_parse_part(const struct dwarf_sections *sec, size_t part,
					 size_t nparts)
{
	struct line_table *t = xcalloc(1, sizeof(*t));
	const uint8_t *end = unit_start_from(sec, sec->line_size / nparts * (part + 1));
	struct cursor c = { unit_start_from(sec, sec->line_size / nparts * part), end, false };

	t->comp_dir = sec->comp_dir;
	t->comp_dir_ctx = sec->comp_dir_ctx;
	if (part + 1 == nparts)
		c.end = end = sec->line + sec->line_size;
	while (c.p < end) {
		c.end = sec->line + sec->line_size;
		if (!parse_unit(&c, sec, t)) {
			line_table_free(t);
			return NULL;
		}
	}
	return t;
}

/* Appends src's arrays to dst's, src's indexes moved past dst's. */
static void append_part(struct line_table *dst, const struct line_table *src)
{
	dst->files = xrealloc(dst->files, (dst->nfiles + src->nfiles + 1) * sizeof(*dst->files));
	memcpy(dst->files + dst->nfiles, src->files, src->nfiles * sizeof(*src->files));
	for (size_t i = 0; i < src->nunits; i++) {
		struct line_unit u = src->units[i];

		u.first_file += dst->nfiles;
		push_unit(dst, &u);
	}
	for (size_t i = 0; i < src->nseqs; i++) {
		struct line_seq seq = src->seqs[i];

		seq.unit += dst->nunits - src->nunits;
		push_seq(dst, &seq);
	}
	dst->nfiles += src->nfiles;
	dst->files_cap = dst->nfiles;
}

struct line_table *line_table_join(struct line_table **parts, size_t nparts)
{
	struct line_table *t = NULL;

	for (size_t i = 0; i < nparts; i++)
		if (!parts[i])
			goto refused;
	t = parts[0];
	for (size_t i = 1; i < nparts; i++) {
		append_part(t, parts[i]);
		line_table_free(parts[i]);
	}
	if (t->nseqs)
		qsort(t->seqs, t->nseqs, sizeof(*t->seqs), by_start);
	t->max_end = xmalloc((t->nseqs ? t->nseqs : 1) * sizeof(*t->max_end));
	for (size_t i = 0; i < t->nseqs; i++)
		t->max_end[i] = i && t->max_end[i - 1] > t->seqs[i].end ? t->max_end[i - 1] :
			t->seqs[i].end;
	t->marks = xcalloc(t->nseqs ? t->nseqs : 1, sizeof(*t->marks));
	return t;
refused:
	for (size_t i = 0; i < nparts; i++)
		line_table_free(parts[i]);
	return NULL;
}

struct line_table *line_table_parse(const struct dwarf_sections *sec)
{
	struct line_table *part = line_table_parse_part(sec, 0, 1);

	return line_table_join(&part, 1);
}

static void unit_index_free(struct unit_index *x);

void line_table_free(struct line_table *t)
{
	if (!t)
		return;
	unit_index_free(t->by_unit);
	free(t->files);
	free(t->units);
	free(t->seqs);
	free(t->max_end);
	for (size_t i = 0; t->marks && i < t->nseqs; i++)
		free(t->marks[i].v);
	free(t->marks);
	free(t);
}

/* seq's marks: its first row, then every MARK_EVERY-th (addresses never
 * go down: line_table_parse_part() refuses a sequence where they do). */
static struct seq_marks mark_rows(const struct line_table *t, const struct line_seq *seq)
{
	struct line_header h = { .u = t->units[seq->unit] };
	struct cursor c = { seq->program, h.u.end, false };
	struct line_state s = initial_state;
	struct seq_marks m = { xmalloc(sizeof(*m.v)), 0 };
	size_t rows = 0, cap = 1;

	while (next_row(&c, &h, &s) == STEP_ROW)
		if (rows++ % MARK_EVERY == 0) {
			if (m.n == cap) {
				cap *= 2;
				m.v = xrealloc(m.v, cap * sizeof(*m.v));
			}
			m.v[m.n++] = (struct line_mark){ s, c.p };
		}
	return m;
}

/* The last row of seq at or before addr (addr is inside seq): rows at one
 * address keep their order, and libdw takes the last of them.  From the
 * last mark at or before addr, the program runs on to the first row past
 * it; no row before addr: the program's initial state. */
static struct line_state row_at(const struct line_table *t, const struct line_seq *seq,
				const struct seq_marks *m, uint64_t addr)
{
	struct line_header h = { .u = t->units[seq->unit] };
	struct line_state s, found;
	struct cursor c;
	size_t lo = 0, hi;

	for (hi = m->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].s.addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return initial_state;
	s = found = m->v[lo - 1].s;
	c = (struct cursor){ m->v[lo - 1].next, h.u.end, false };
	while (next_row(&c, &h, &s) == STEP_ROW && s.addr <= addr)
		found = s;
	return found;
}

/* lookup()'s index: the file of addr's row, not a given entry. */
#define ROW_FILE UINT64_MAX

static enum line_lookup lookup_by_unit(struct unit_index *x, uint64_t addr, uint64_t index,
				       char **file, int *line, bool run);

/* run false: LINE_NOT_RUN rather than running a program.  index: the file
 * entry to name, of the unit whose program covers addr (no row is run
 * then), or ROW_FILE. */
static enum line_lookup lookup(struct line_table *t, uint64_t addr, uint64_t index, char **file,
			       int *line, bool run)
{
	size_t lo = 0, hi = t->nseqs;
	const struct line_seq *seq;
	const struct line_unit *u;
	const struct line_file *f;
	struct line_state row;
	const char *dir;

	if (t->by_unit)
		return lookup_by_unit(t->by_unit, addr, index, file, line, run);
	/* The last sequence starting at or before addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->seqs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return LINE_NONE;
	seq = &t->seqs[lo - 1];
	/* Another sequence before it that also reaches addr, or starts
	 * where it starts: which row libdw takes then depends on how the
	 * rows of each unit sort. */
	if (lo >= 2 && (t->max_end[lo - 2] > addr || t->seqs[lo - 2].start == seq->start))
		return LINE_ASK_LIBDW;
	if (addr >= seq->end || !seq->has_rows)
		return LINE_NONE;
	u = &t->units[seq->unit];
	if (index == ROW_FILE) {
		if (!t->marks[lo - 1].v) {
			if (!run)
				return LINE_NOT_RUN;
			t->marks[lo - 1] = mark_rows(t, seq);
		}
		row = row_at(t, seq, &t->marks[lo - 1], addr);
		if (row.file >= u->nfiles)
			return LINE_NONE;
		*line = (int)row.line;
		index = row.file;
	}
	if (index >= u->nfiles)
		return LINE_NONE;
	f = &t->files[u->first_file + index];
	dir = f->unit_dir && t->comp_dir ? t->comp_dir(t->comp_dir_ctx, u->offset) : f->dir;
	*file = dir ? xasprintf("%s/%s", dir, f->name) : xstrdup(f->name);
	return LINE_FOUND;
}

enum line_lookup line_table_lookup(struct line_table *t, uint64_t addr, char **file, int *line)
{
	return lookup(t, addr, ROW_FILE, file, line, true);
}

enum line_lookup line_table_unit_file(struct line_table *t, uint64_t addr, uint64_t index,
				      char **file)
{
	return index == ROW_FILE ? LINE_NONE : lookup(t, addr, index, file, NULL, true);
}

enum line_lookup line_table_peek(struct line_table *t, uint64_t addr, char **file, int *line)
{
	return lookup(t, addr, ROW_FILE, file, line, false);
}

/* ---- by compile unit, through .debug_aranges ----
 *
 * libdw finds an address's unit through .debug_aranges, then searches
 * that unit's rows alone.  .debug_aranges names units by their offset in
 * .debug_info, which says where each unit's line program is: reading it
 * would mean inflating .debug_info (libc's: 2.3 MB compressed).  But a
 * linker lays out .debug_info and .debug_line in the same order of input
 * files, so the k-th unit by offset has the k-th line program; that is
 * checked for every unit up to the one a lookup needs before it is
 * relied on (its program's first address lies in its ranges, and a unit
 * with no ranges has no program).  A lookup runs one unit's program, at
 * its first use, and reads .debug_line only that far: a profile's few
 * hundred addresses in libc usually need one or two of its 4,126
 * programs, and the first 600 bytes of its 1.3 MB, where indexing them
 * all took 4.5 ms and inflating them 2.  When the check fails, the
 * whole table answers (line_table_parse()). */

enum unit_state { UNIT_NOT_RUN, UNIT_RUN, UNIT_REFUSED };

struct unit_span {
	size_t offset, size;            /* in .debug_line */
};

struct unit_index {
	struct dwarf_sections sec;
	struct aranges ar;
	uint32_t *nranges;              /* [k]: unit k's entries in ar */
	struct unit_span *units;        /* [k < nfound]: checked */
	size_t nfound;
	struct line_table **tables;     /* [k]: once run */
	uint8_t *state;                 /* [k]: enum unit_state */
	bool broken;                    /* the check failed: whole answers */
	struct line_table *whole;       /* NULL then: libdw answers */
};

static void unit_index_free(struct unit_index *x)
{
	if (!x)
		return;
	for (size_t k = 0; x->tables && k < x->ar.nunits; k++)
		line_table_free(x->tables[k]);
	line_table_free(x->whole);
	aranges_free(&x->ar);
	free(x->nranges);
	free(x->units);
	free(x->tables);
	free(x->state);
	free(x);
}

/* .debug_line with at least its first want bytes readable, or NULL. */
static const uint8_t *line_bytes(const struct unit_index *x, size_t want)
{
	if (!x->sec.reveal_line)
		return x->sec.line;
	return x->sec.reveal_line(x->sec.line_ctx, want);
}

/* The address of a program's first sequence: 1, 0 when the program has
 * no opcode, -1 when a row or the sequence's end comes before any
 * DW_LNE_set_address, or the unit is not one this reader runs. */
static int first_address(const uint8_t *unit, size_t size, uint64_t *addr)
{
	struct cursor c = { unit, unit + size, false };
	const uint8_t *program, *lengths;
	int offset_size = 4, address_size, opcode_base, version;
	uint64_t header_length, fixed;

	if (read_fixed(&c, 4) == 0xffffffff) {
		offset_size = 8;
		read_fixed(&c, 8);
	}
	version = read_fixed(&c, 2);
	if (version < 2 || version > 5)
		return -1;
	address_size = version == 5 ? read_fixed(&c, 1) : OLD_ADDRESS_SIZE;
	if (version == 5)
		read_fixed(&c, 1);
	header_length = read_fixed(&c, offset_size);
	/* From minimum_instruction_length to opcode_base: 5 bytes, 6 from
	 * DWARF 4 on (maximum_operations_per_instruction). */
	fixed = version >= 4 ? 6 : 5;
	if (c.bad || header_length > (uint64_t)(c.end - c.p) || header_length < fixed)
		return -1;
	program = c.p + header_length;
	opcode_base = c.p[fixed - 1];
	lengths = c.p + fixed;
	if (!opcode_base || header_length < fixed + (uint64_t)opcode_base - 1)
		return -1;
	for (c.p = program; c.p < c.end && !c.bad;) {
		int op = *c.p++;

		if (op == 0) {
			uint8_t len = read_fixed(&c, 1);

			if (c.bad || !len || len > c.end - c.p)
				return -1;
			if (c.p[0] == LNE_SET_ADDRESS && len == address_size + 1) {
				c.p++;
				*addr = read_fixed(&c, address_size);
				return c.bad ? -1 : 1;
			}
			if (c.p[0] == LNE_END_SEQUENCE)
				return -1;
			c.p += len;
		} else if (op >= opcode_base || op == LNS_COPY) {
			return -1;
		} else if (op == LNS_FIXED_ADVANCE_PC) {
			read_fixed(&c, 2);
		} else {
			for (int n = lengths[op - 1]; n > 0; n--)
				read_uleb(&c);
		}
	}
	return c.p == program ? 0 : -1;
}

/* Does the program at unit (size bytes) start where unit k's ranges say? */
static bool unit_matches_ranges(const struct unit_index *x, const uint8_t *unit, size_t size,
				uint32_t k)
{
	uint64_t addr;
	uint32_t found;

	switch (first_address(unit, size, &addr)) {
	case 0:
		return !x->nranges[k];
	case 1:
		return aranges_find(&x->ar, addr, &found) == ARANGE_FOUND && found == k;
	default:
		return false;
	}
}

/* The programs up to unit k's found and checked: false when one does
 * not match its unit's ranges, or the section ends or is damaged first. */
static bool find_units(struct unit_index *x, uint32_t k)
{
	size_t per_unit = x->sec.line_size / x->ar.nunits;

	/* Units are of a size, roughly: one request for as far as unit k
	 * likely lies lets the stream decide how to inflate that far. */
	if (k > x->nfound && !line_bytes(x, per_unit * k))
		return false;
	while (x->nfound <= k) {
		size_t offset = x->nfound ? x->units[x->nfound - 1].offset +
					    x->units[x->nfound - 1].size : 0;
		const uint8_t *line = line_bytes(x, offset + 12);
		struct cursor c;
		uint64_t length;

		if (!line || offset >= x->sec.line_size)
			return false;
		c = (struct cursor){ line + offset, line + x->sec.line_size, false };
		length = read_fixed(&c, 4);
		if (length == 0xffffffff)
			length = read_fixed(&c, 8);
		if (c.bad || length > (uint64_t)(c.end - c.p))
			return false;
		length += c.p - (line + offset);
		if (!(line = line_bytes(x, offset + length)) ||
		    !unit_matches_ranges(x, line + offset, length, x->nfound))
			return false;
		x->units[x->nfound++] = (struct unit_span){ offset, length };
	}
	return true;
}

struct line_table *line_table_by_unit(const struct dwarf_sections *sec)
{
	struct unit_index *x;
	struct line_table *t;
	size_t n;

	if (!sec->aranges)
		return NULL;
	x = xcalloc(1, sizeof(*x));
	x->sec = *sec;
	if (aranges_read(sec->aranges, sec->aranges_size, &x->ar) < 0 || !x->ar.nunits) {
		unit_index_free(x);
		return NULL;
	}
	n = x->ar.nunits;
	x->nranges = xcalloc(n, sizeof(*x->nranges));
	for (size_t i = 0; i < x->ar.n; i++)
		x->nranges[x->ar.v[i].unit]++;
	x->units = xcalloc(n, sizeof(*x->units));
	x->tables = xcalloc(n, sizeof(*x->tables));
	x->state = xcalloc(n, sizeof(*x->state));
	t = xcalloc(1, sizeof(*t));
	t->by_unit = x;
	return t;
}

/* The units do not match the programs: the whole table is read, once. */
static void break_index(struct unit_index *x)
{
	struct dwarf_sections whole = x->sec;

	x->broken = true;
	whole.reveal_line = NULL;
	whole.line = line_bytes(x, x->sec.line_size);
	if (whole.line)
		x->whole = line_table_parse(&whole);
}

static enum line_lookup lookup_by_unit(struct unit_index *x, uint64_t addr, uint64_t index,
				       char **file, int *line, bool run)
{
	struct dwarf_sections unit = x->sec;
	uint32_t k;

	if (!x->broken) {
		switch (aranges_find(&x->ar, addr, &k)) {
		case ARANGE_NONE:
			return LINE_NONE;
		case ARANGE_AMBIGUOUS:
			return LINE_ASK_LIBDW;
		case ARANGE_FOUND:
			break;
		}
		if (!run && k >= x->nfound)
			return LINE_NOT_RUN;
		if (!find_units(x, k))
			break_index(x);
	}
	if (x->broken)
		return x->whole ? lookup(x->whole, addr, index, file, line, run) : LINE_ASK_LIBDW;
	if (x->state[k] == UNIT_NOT_RUN) {
		if (!run)
			return LINE_NOT_RUN;
		unit.reveal_line = NULL;
		unit.line = line_bytes(x, x->units[k].offset + x->units[k].size) + x->units[k].offset;
		unit.line_size = x->units[k].size;
		unit.line_offset = x->units[k].offset;
		x->tables[k] = line_table_parse(&unit);
		x->state[k] = x->tables[k] ? UNIT_RUN : UNIT_REFUSED;
	}
	/* A unit this reader refuses is libdw's to answer, as a whole
	 * table's would be. */
	if (x->state[k] == UNIT_REFUSED)
		return LINE_ASK_LIBDW;
	return lookup(x->tables[k], addr, index, file, line, run);
}
