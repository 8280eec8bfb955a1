/* See include/dwarf_inlines.h. */
#include <dwarf.h>
#include <stdlib.h>

#include "dwarf_inlines.h"
#include "dwarf_lines.h"
#include "error.h"
#include "sorted.h"
#include "u64map.h"

/* An address range of an outermost inlined subroutine. */
struct call_range {
	uint64_t lo, hi;          /* ELF vaddrs, [lo, hi) */
	Dwarf_Word file;          /* in the unit's file table */
	int line;
};

struct unit_table {
	Dwarf_Off unit;           /* the compile unit's DIE offset */
	struct call_range *v;
	size_t n;
	/* Read at the first answer: libdw runs the unit's whole line program
	 * for it (3 ms for the 3,000-site program, which inlines nothing),
	 * and sorts its rows, where numamma's own table only reads the
	 * header: names[i], entry i's name from it (or ask_libdw). */
	Dwarf_Files *files;
	size_t nfiles;
	bool files_read;
	char **names;
	size_t nnames;
};

/* unit_table.names[i] where the module's own line table could not name
 * entry i. */
static char ask_libdw[] = "";

struct inline_index {
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	struct line_table *lines; /* the module's, or NULL */
	bool loaded;              /* libdw has read the module's DWARF */
	bool small;               /* a peek may read and index it */
	struct unit_table *units;
	size_t nunits;
	struct u64map by_unit;    /* unit's DIE offset + 1 -> its index in units */
};

struct inline_index *inline_index_new(Dwfl_Module *mod, Dwarf_Addr bias, bool small,
				      struct line_table *lines)
{
	struct inline_index *x = xcalloc(1, sizeof(*x));

	x->mod = mod;
	x->bias = bias;
	x->lines = lines;
	x->small = small;
	return x;
}

void inline_index_free(struct inline_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nunits; i++) {
		free(x->units[i].v);
		for (size_t k = 0; k < x->units[i].nnames; k++)
			if (x->units[i].names[k] != ask_libdw)
				free(x->units[i].names[k]);
		free(x->units[i].names);
	}
	free(x->units);
	u64map_free(&x->by_unit);
	free(x);
}

struct walk {
	struct unit_table *t;
	size_t cap;
};

static void add_ranges(struct walk *w, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word file = 0, line = 0;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &file) ||
	    !dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line))
		return;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (w->t->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 64;
			w->t->v = xrealloc(w->t->v, w->cap * sizeof(*w->t->v));
		}
		/* DWARF's addresses are the file's own: ELF vaddrs. */
		w->t->v[w->t->n++] = (struct call_range){ lo, hi, file, (int)line };
	}
}

/* The outermost inlined subroutines under die: their ranges, not what
 * is inlined into them. */
static void walk_children(struct walk *w, Dwarf_Die *die, int depth)
{
	Dwarf_Die child;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_inlined_subroutine:
			add_ranges(w, &child);
			break;
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_module:
			walk_children(w, &child, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int by_lo(const void *a, const void *b)
{
	const struct call_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static struct unit_table *index_unit(struct inline_index *x, Dwarf_Die *cu)
{
	struct walk w = { 0 };
	struct unit_table *t;

	x->units = xrealloc(x->units, (x->nunits + 1) * sizeof(*x->units));
	t = &x->units[x->nunits++];
	*t = (struct unit_table){ .unit = dwarf_dieoffset(cu) };
	u64map_put(&x->by_unit, t->unit + 1, x->nunits - 1, 0);
	w.t = t;
	walk_children(&w, cu, 0);
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), by_lo);
	return t;
}

/* (A large C++ program's lookups meet thousands of units.) */
static struct unit_table *unit_of(struct inline_index *x, Dwarf_Die *cu)
{
	struct u64map_slot *s = u64map_find(&x->by_unit, dwarf_dieoffset(cu) + 1);

	return s ? &x->units[s->a] : NULL;
}

/* Entry index of t's file table named by the module's own line table
 * (vaddr: an address of the unit), kept; NULL: libdw's answer is needed. */
static const char *own_file_name(struct inline_index *x, struct unit_table *t, Dwarf_Word index,
				 uint64_t vaddr)
{
	char *name;

	if (!x->lines || index > UINT32_MAX)
		return NULL;
	if (index >= t->nnames) {
		t->names = xrealloc(t->names, (index + 1) * sizeof(*t->names));
		while (t->nnames <= index)
			t->names[t->nnames++] = NULL;
	}
	if (!t->names[index])
		t->names[index] = line_table_unit_file(x->lines, vaddr, index, &name) == LINE_FOUND ?
				  name : ask_libdw;
	return t->names[index] != ask_libdw ? t->names[index] : NULL;
}

enum inline_answer inline_call_line(struct inline_index *x, uint64_t vaddr, bool peek,
				    const char **file, int *line)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu;
	struct unit_table *t;
	const struct call_range *r;

	if (x->small)
		peek = false;
	if (peek && !x->loaded)
		return INLINE_NOT_READ;
	x->loaded = true;
	cu = dwfl_module_addrdie(x->mod, vaddr + x->bias, &bias);
	if (!cu)
		return INLINE_NOT;
	t = unit_of(x, cu);
	if (!t && peek)
		return INLINE_NOT_READ;
	if (!t)
		t = index_unit(x, cu);
	/* Outermost ranges do not overlap: the last one starting at or
	 * below vaddr is the only candidate. */
	r = SORTED_LAST_AT_MOST(t->v, t->n, lo, vaddr);
	if (!r || vaddr >= r->hi)
		return INLINE_NOT;
	*line = r->line;
	if ((*file = own_file_name(x, t, r->file, vaddr)))
		return INLINE_CALLED;
	if (!t->files_read) {
		t->files_read = true;
		if (dwarf_getsrcfiles(cu, &t->files, &t->nfiles) != 0)
			t->files = NULL;
	}
	if (!t->files || r->file >= t->nfiles || !(*file = dwarf_filesrc(t->files, r->file, NULL, NULL)))
		return INLINE_NOT;
	return INLINE_CALLED;
}
