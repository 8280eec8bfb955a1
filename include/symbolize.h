/* Post-run symbolisation: module path + ELF vaddr -> function, offset,
 * file:line (DWARF through libdw when the module has debug info). */
#ifndef NUMAMMA_SYMBOLIZE_H
#define NUMAMMA_SYMBOLIZE_H

#include <stdint.h>

struct symbolizer;
struct sym_info {
	char *function;     /* NULL when unknown */
	uint64_t func_offset;
	char *file;         /* NULL when no debug info */
	int line;
	/* Code inlined into function: the line of function's own source
	 * that it came from (include/dwarf_inlines.h); NULL otherwise. */
	char *call_file;
	int call_line;
};

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);
/* A module is named by its path and its build's identity (its
 * build-id, or its path when it has none: elfmod_identity()): the file
 * at a path built again during the run is another build, whose symbols
 * name none of the first one's code (it is left unnamed).  identity NULL:
 * the file at path, whichever build it is.
 *
 * symbolizer_prefetch() starts opening the module at path in the
 * background (a thread of the symbolizer's own), so that symbolize()
 * finds it ready. */
void symbolizer_prefetch(struct symbolizer *s, const char *path, const char *identity);
/* Prefetches the C library numamma runs on, as the program's loader
 * will map it (libc's debug info is the longest to open: started with the
 * program, it is ready sooner). */
void symbolizer_prefetch_libc(struct symbolizer *s);
/* Prepares, in the same background thread, what naming vaddr in the
 * module at path takes (the line program of its unit: a thread's clone3,
 * 75% into libc's line programs, cost 4 ms at the end of every threaded
 * profile), so that symbolize() later finds it at once.  Addresses are
 * staged and handed over in batches: this and symbolize_if_read() are
 * called from one thread. */
void symbolizer_warm(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr);
/* Returns 0 when something was found; strings are owned by the caller. */
int symbolize(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr,
	      struct sym_info *out);
/* The same, only when the module at path is read by now (prefetched and
 * opened) and the answer is a few binary searches: never waits (for the
 * module or for a lookup the background thread has under way), never
 * runs a line program or asks libdw.  -1 when it would: the caller
 * names the location later; 1 when the module, read, has no name for it
 * (no symbol or line covers it): nothing to look for later.  (A profile's drain names
 * code locations this way as it writes their rows; it ran Python's
 * interpreter loop, 40,000 rows, while the program waited to go on.) */
int symbolize_if_read(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr,
		      struct sym_info *out);
void sym_info_free(struct sym_info *si);

#endif
