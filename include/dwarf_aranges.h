/* .debug_aranges, read as libdw reads it (dwarf_getaranges) and searched
 * as libdwfl searches it for the compile unit of an address
 * (dwfl_module_getsrc): every (address, length) pair of every set, sorted
 * by address, each with the rank of its set's unit in .debug_info.
 * Pure logic over the section's bytes, for tests/unit/test-dwarf-lines. */
#ifndef NUMAMMA_DWARF_ARANGES_H
#define NUMAMMA_DWARF_ARANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arange {
	uint64_t start, length;
	uint32_t unit;          /* its set's rank by .debug_info offset */
};

struct aranges {
	struct arange *v;       /* by start */
	size_t n;
	size_t nunits;          /* the sets, each its own unit */
	size_t last_run;        /* where the run of the last entry's unit starts */
};

/* -1 when the section is damaged, or holds two sets of one unit. */
int aranges_read(const uint8_t *p, size_t size, struct aranges *out);
void aranges_free(struct aranges *a);

enum arange_find {
	ARANGE_FOUND,           /* *unit is the unit libdwfl takes */
	ARANGE_NONE,            /* libdwfl takes none */
	ARANGE_AMBIGUOUS,       /* units tie at one start: libdwfl's pick
				 * depends on how qsort orders them */
};

/* libdwfl's unit of addr: that of the last entry starting at or before
 * it, the gaps between entries counting as the unit before them, up to
 * the last entry's end. */
enum arange_find aranges_find(const struct aranges *a, uint64_t addr, uint32_t *unit);

#endif
