/* file:line from .debug_line (include/dwarf_lines.h says why).
 *
 * Every line program is run once into rows grouped by sequence; the
 * sequences are sorted by start address, and a lookup is two binary
 * searches.  libdw sorts the rows of one compile unit together instead;
 * both give the same row whenever no other sequence covers the address,
 * which the prefix maximum of the sequences' ends tells (and when one
 * does, libdw is asked). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* A file of one unit's table: its directory and name, not yet joined. */
struct line_file {
	const char *dir, *name;
};

struct line_row {
	uint64_t addr;
	uint32_t file;          /* index into t->files; UINT32_MAX: out of range */
	int32_t line;
};

struct line_seq {
	uint64_t start, end;    /* end: the end_sequence row's address */
	size_t first, nrows;    /* rows, the end_sequence row excluded */
};

struct line_table {
	struct line_file *files;
	size_t nfiles, files_cap;
	struct line_row *rows;
	size_t nrows, rows_cap;
	struct line_seq *seqs;
	size_t nseqs, seqs_cap;
	uint64_t *max_end;      /* [i]: the largest end among seqs[0..i] */
};

/* A bounded reader over one unit; any overrun sets bad. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t read_fixed(struct cursor *c, int size)
{
	uint64_t v = 0;

	if (c->end - c->p < size) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	for (int i = 0; i < size; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += size;
	return v;
}

static uint64_t read_uleb(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static int64_t read_sleb(struct cursor *c)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b = 0;

	do {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

/* A NUL-terminated string inside [base, base + size) at offset off. */
static const char *string_at(const uint8_t *base, size_t size, uint64_t off)
{
	if (!base || off >= size || !memchr(base + off, 0, size - off))
		return NULL;
	return (const char *)base + off;
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
		*str = string_at(sec->str, sec->str_size, read_fixed(c, offset_size));
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
		if (t->nfiles == t->files_cap) {
			t->files_cap = t->files_cap ? 2 * t->files_cap : 1024;
			t->files = xrealloc(t->files, t->files_cap * sizeof(*t->files));
		}
		t->files[t->nfiles++] = (struct line_file){ name[0] == '/' ? NULL : dirs[dir], name };
	}
	*nfiles = n;
	ok = true;
out:
	free(dirs);
	return ok;
}

struct line_header {
	int offset_size, address_size;
	uint8_t min_inst_len, default_is_stmt, line_range, opcode_base;
	int8_t line_base;
	const uint8_t *opcode_lengths;  /* [opcode - 1] */
	size_t first_file, nfiles;
};

/* Through the header to the first opcode; false for what this reader
 * leaves to libdw. */
static bool read_header(struct cursor *c, const struct dwarf_sections *sec, struct line_table *t,
			struct line_header *h)
{
	uint64_t header_length;
	const uint8_t *program;
	int version;

	version = read_fixed(c, 2);
	if (version != 5)
		return false;
	h->address_size = read_fixed(c, 1);
	if ((h->address_size != 4 && h->address_size != 8) || read_fixed(c, 1) != 0)
		return false;
	header_length = read_fixed(c, h->offset_size);
	if (c->bad || header_length > (uint64_t)(c->end - c->p))
		return false;
	program = c->p + header_length;
	h->min_inst_len = read_fixed(c, 1);
	if (read_fixed(c, 1) != 1)      /* maximum_operations_per_instruction: VLIW */
		return false;
	h->default_is_stmt = read_fixed(c, 1);
	h->line_base = (int8_t)read_fixed(c, 1);
	h->line_range = read_fixed(c, 1);
	h->opcode_base = read_fixed(c, 1);
	if (c->bad || !h->line_range || !h->opcode_base ||
	    c->end - c->p < h->opcode_base - 1)
		return false;
	h->opcode_lengths = c->p;
	c->p += h->opcode_base - 1;
	h->first_file = t->nfiles;
	/* No file entry at all: libdw would name file 0 "???". */
	return read_file_tables(c, sec, h->offset_size, t, &h->nfiles) && h->nfiles &&
	       c->p == program;
}

static void push_row(struct line_table *t, uint64_t addr, uint64_t file, int64_t line,
		     const struct line_header *h)
{
	if (t->nrows == t->rows_cap) {
		t->rows_cap = t->rows_cap ? 2 * t->rows_cap : 4096;
		t->rows = xrealloc(t->rows, t->rows_cap * sizeof(*t->rows));
	}
	t->rows[t->nrows++] = (struct line_row){
		addr, file < h->nfiles ? h->first_file + file : UINT32_MAX, (int32_t)line,
	};
}

static void push_seq(struct line_table *t, size_t first, uint64_t end)
{
	if (t->nseqs == t->seqs_cap) {
		t->seqs_cap = t->seqs_cap ? 2 * t->seqs_cap : 256;
		t->seqs = xrealloc(t->seqs, t->seqs_cap * sizeof(*t->seqs));
	}
	t->seqs[t->nseqs++] = (struct line_seq){
		first < t->nrows ? t->rows[first].addr : end, end, first, t->nrows - first,
	};
}

/* The operand counts of the standard opcodes (DW_LNS_copy to
 * DW_LNS_set_isa): libdw refuses a unit that says otherwise. */
static const uint8_t standard_lengths[LNS_SET_ISA + 1] = {
	[LNS_ADVANCE_PC] = 1, [LNS_ADVANCE_LINE] = 1, [LNS_SET_FILE] = 1,
	[LNS_SET_COLUMN] = 1, [LNS_FIXED_ADVANCE_PC] = 1, [LNS_SET_ISA] = 1,
};

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
		if (len != h->address_size + 1)
			return EXT_BAD;
		*addr = read_fixed(c, h->address_size);
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

/* Runs one line program (DWARF 5, 6.2.5).  Rows within a sequence must
 * not go back in address: the binary search relies on it. */
static bool run_program(struct cursor *c, const struct line_header *h, struct line_table *t)
{
	uint64_t addr = 0, file = 1;
	int64_t line = 1;
	size_t first = t->nrows;

	while (c->p < c->end && !c->bad) {
		int op = *c->p++;

		if (op >= h->opcode_base) {
			op -= h->opcode_base;
			line = wrap_add(line, h->line_base + op % h->line_range);
			addr += (uint64_t)h->min_inst_len * (op / h->line_range);
		} else if (op == 0) {
			switch (run_extended(c, h, &addr)) {
			case EXT_BAD:
				return false;
			case EXT_OK:
				continue;
			case EXT_END_SEQUENCE:
				if (t->nrows > first && addr < t->rows[t->nrows - 1].addr)
					return false;
				push_seq(t, first, addr);
				first = t->nrows;
				addr = 0, file = 1, line = 1;
				continue;
			}
		} else {
			if (op <= LNS_SET_ISA && h->opcode_lengths[op - 1] != standard_lengths[op])
				return false;
			switch (op) {
			case LNS_COPY:
				break;
			case LNS_ADVANCE_PC:
				addr += h->min_inst_len * read_uleb(c);
				continue;
			case LNS_ADVANCE_LINE:
				line = wrap_add(line, read_sleb(c));
				continue;
			case LNS_SET_FILE:
				file = read_uleb(c);
				continue;
			case LNS_CONST_ADD_PC:
				addr += (uint64_t)h->min_inst_len * ((255 - h->opcode_base) / h->line_range);
				continue;
			case LNS_FIXED_ADVANCE_PC:
				addr += read_fixed(c, 2);
				continue;
			default:
				/* Column, flags, isa and opcodes newer than
				 * this reader: operands skipped. */
				for (int n = h->opcode_lengths[op - 1]; n > 0; n--)
					read_uleb(c);
				continue;
			}
		}
		if (line < 0 || line > INT32_MAX ||
		    (t->nrows > first && addr < t->rows[t->nrows - 1].addr))
			return false;
		push_row(t, addr, file, line, h);
	}
	/* Rows after the last end_sequence: libdw patches the unit's last
	 * row into one, which this reader does not reproduce. */
	return !c->bad && t->nrows == first;
}

static bool parse_unit(struct cursor *c, const struct dwarf_sections *sec, struct line_table *t)
{
	struct line_header h = { .offset_size = 4 };
	uint64_t length = read_fixed(c, 4);

	if (length == 0xffffffff) {
		h.offset_size = 8;
		length = read_fixed(c, 8);
	}
	if (c->bad || length > (uint64_t)(c->end - c->p))
		return false;
	c->end = c->p + length;
	return read_header(c, sec, t, &h) && run_program(c, &h, t);
}

static int by_start(const void *a, const void *b)
{
	const struct line_seq *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

struct line_table *line_table_parse(const struct dwarf_sections *sec)
{
	struct line_table *t = xcalloc(1, sizeof(*t));
	struct cursor c = { sec->line, sec->line + sec->line_size, false };

	while (c.p < c.end) {
		const uint8_t *end = c.end;

		if (!parse_unit(&c, sec, t)) {
			line_table_free(t);
			return NULL;
		}
		c.end = end;
	}
	if (t->nseqs)
		qsort(t->seqs, t->nseqs, sizeof(*t->seqs), by_start);
	t->max_end = xmalloc((t->nseqs ? t->nseqs : 1) * sizeof(*t->max_end));
	for (size_t i = 0; i < t->nseqs; i++)
		t->max_end[i] = i && t->max_end[i - 1] > t->seqs[i].end ? t->max_end[i - 1] :
			t->seqs[i].end;
	return t;
}

void line_table_free(struct line_table *t)
{
	if (!t)
		return;
	free(t->files);
	free(t->rows);
	free(t->seqs);
	free(t->max_end);
	free(t);
}

/* The last row of seq at or before addr (addr is inside seq): rows at
 * one address keep their order, and libdw takes the last of them. */
static const struct line_row *row_at(const struct line_table *t, const struct line_seq *seq,
				     uint64_t addr)
{
	size_t lo = 0, hi = seq->nrows;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[seq->first + mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[seq->first + lo];
}

enum line_lookup line_table_lookup(const struct line_table *t, uint64_t addr, char **file,
				   int *line)
{
	size_t lo = 0, hi = t->nseqs;
	const struct line_seq *seq;
	const struct line_row *row;
	const struct line_file *f;

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
	if (addr >= seq->end || !seq->nrows)
		return LINE_NONE;
	row = row_at(t, seq, addr);
	if (row->file == UINT32_MAX)
		return LINE_NONE;
	f = &t->files[row->file];
	*file = f->dir ? xasprintf("%s/%s", f->dir, f->name) : xstrdup(f->name);
	*line = row->line;
	return LINE_FOUND;
}
