/* Where inlined code came from: for an address in code the compiler
 * inlined into a function (std::vector's allocation inlined into main),
 * the line of that function's own source that called the outermost
 * inlined function (DWARF's DW_AT_call_file and DW_AT_call_line): what a
 * person looks for, where the line table names a library header.
 *
 * One table per function, built at the first lookup in it (a walk of its
 * DIEs: the outermost inlined subroutines' ranges, sorted), found from
 * its unit's functions' ranges (a walk of the unit's top level): libdw's
 * dwarf_getscopes walks the unit at every lookup, 0.25 ms each for a
 * 3,000-site function, and a walk of each whole unit looked up in was
 * half of naming a profile of python with full debug info. */
#ifndef NUMAMMA_DWARF_INLINES_H
#define NUMAMMA_DWARF_INLINES_H

#include <stdbool.h>
#include <stdint.h>
#include <elfutils/libdwfl.h>

struct inline_index;

struct line_table;

/* The module's index; bias: libdwfl's address of ELF vaddr 0; small: its
 * DWARF is small enough for a peek to read and index (below); lines: the
 * module's own line table (include/dwarf_lines.h), which names the calls'
 * files when it can, or NULL. */
struct inline_index *inline_index_new(Dwfl_Module *mod, Dwarf_Addr bias, bool small,
				      struct line_table *lines);
void inline_index_free(struct inline_index *x);

enum inline_answer {
	INLINE_CALLED,      /* *file (the index's string) and *line set */
	INLINE_NOT,         /* not inlined code, or no DWARF says */
	INLINE_NOT_READ,    /* peek: the unit is not indexed yet */
};

/* peek: only from a unit already indexed (a few binary searches), or in a
 * small module's DWARF, where reading it and a unit's walk cost less
 * than naming the location after the run. */
enum inline_answer inline_call_line(struct inline_index *x, uint64_t vaddr, bool peek,
				    const char **file, int *line);

#endif
