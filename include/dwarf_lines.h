/* file:line of code addresses from a module's .debug_line alone.
 *
 * libdw answers the same question, but only after inflating every
 * compressed debug section of the file (90 ms for libc's separate debug
 * info, most of it .debug_info and .debug_loclists); the line programs
 * are a fifth of that.  The answers are libdw's (dwfl_module_getsrc then
 * dwfl_lineinfo): the same row, the same file name, built the same way.
 * What this reader does not handle exactly as libdw would (string forms
 * it cannot resolve, DWARF 4 files defined by opcodes, overlapping
 * sequences) it refuses, and the caller asks libdw.
 * Pure logic over the sections' bytes, for tests/unit/test-dwarf-lines. */
#ifndef NUMAMMA_DWARF_LINES_H
#define NUMAMMA_DWARF_LINES_H

#include <stddef.h>
#include <stdint.h>

struct dwarf_sections {
	const uint8_t *line;            /* .debug_line, inflated */
	size_t line_size;
	/* NULL: all of .debug_line is at line.  Else line_size is its size
	 * and line_table_by_unit() asks for the bytes it reads: this makes
	 * at least the first want readable and returns where the section's
	 * bytes are now (earlier ones staying readable), NULL if they
	 * cannot be (damage). */
	const uint8_t *(*reveal_line)(void *ctx, size_t want);
	void *line_ctx;
	const uint8_t *line_str;        /* .debug_line_str; NULL: none */
	size_t line_str_size;
	const uint8_t *str;             /* .debug_str; NULL: none, or see below */
	size_t str_size;
	/* Set when str is NULL: .debug_str (str_size bytes) is read only if
	 * a file table names a string in it (DW_FORM_strp; GCC's name them
	 * in .debug_line_str): reveal_str(str_ctx, str_size) returns its
	 * bytes, NULL when they cannot be read. */
	const uint8_t *(*reveal_str)(void *ctx, size_t want);
	void *str_ctx;
	const uint8_t *aranges;         /* .debug_aranges, inflated; NULL: none */
	size_t aranges_size;
	/* The DW_AT_comp_dir of the compile unit whose line program starts at
	 * byte offset of .debug_line, NULL when it has none: directory 0 of a
	 * DWARF 2-4 program, which its header does not hold (libdw takes it
	 * from the unit).  comp_dir NULL: no directory 0, names stay relative,
	 * as libdw leaves them without one. */
	const char *(*comp_dir)(void *ctx, uint64_t offset);
	void *comp_dir_ctx;
	size_t line_offset;             /* of line[0] in .debug_line */
};

struct line_table;

/* Decodes every line program; NULL when one of them is beyond this
 * reader (see above).  The table points into the sections' bytes, which
 * must outlive it. */
struct line_table *line_table_parse(const struct dwarf_sections *sec);
void line_table_free(struct line_table *t);

/* The same work in nparts, for as many threads: part k takes the units
 * that start in the k-th nparts-th of .debug_line; line_table_join()
 * makes the table of all the parts (freeing them), NULL when one was
 * refused. */
struct line_table *line_table_parse_part(const struct dwarf_sections *sec, size_t part,
					 size_t nparts);
struct line_table *line_table_join(struct line_table **parts, size_t nparts);

/* The same answers, each unit's program run at the first lookup that
 * needs it, the unit found through .debug_aranges as libdw finds it.
 * NULL when there is no readable .debug_aranges: line_table_parse()
 * then.  The table fills in as lookups go (one at a time); where the
 * units turn out not to match the line programs one for one
 * (dwarf_lines.c says how that is checked), the whole table answers. */
struct line_table *line_table_by_unit(const struct dwarf_sections *sec);

enum line_lookup {
	LINE_FOUND,             /* *file (caller frees) and *line are set */
	LINE_NONE,              /* no row covers addr: libdw finds none either */
	LINE_ASK_LIBDW,         /* sequences overlap at addr */
	LINE_NOT_RUN,           /* line_table_peek(): the program is not run yet */
};
/* A sequence is run once, at its first lookup, and marked every 32 rows
 * (dwarf_lines.c) for the lookups after it: lookups of one table are made
 * one at a time. */
enum line_lookup line_table_lookup(struct line_table *t, uint64_t addr, char **file, int *line);
/* The name of entry index of the file table of the unit whose line
 * program covers addr, as a row of that file would give it (caller
 * frees): what libdw's dwarf_getsrcfiles() and dwarf_filesrc() give for
 * an inlined call's DW_AT_call_file, without decoding and sorting all of
 * the unit's rows first.  LINE_NONE: no unit, or no such entry. */
enum line_lookup line_table_unit_file(struct line_table *t, uint64_t addr, uint64_t index,
				      char **file);
/* The same answer where the program that holds it has been run by an
 * earlier lookup, else LINE_NOT_RUN: a lookup that costs no more than a
 * few binary searches. */
enum line_lookup line_table_peek(struct line_table *t, uint64_t addr, char **file, int *line);

#endif
