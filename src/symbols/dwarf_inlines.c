/* See include/dwarf_inlines.h. */
#include <dwarf.h>
#include <stddef.h>
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

/* A function's outermost inlined subroutines, walked at its first lookup. */
struct func_table {
	Dwarf_Die die;            /* the function's concrete DIE (DW_TAG_subprogram) */
	struct call_range *v;
	size_t n;
	bool walked;
};

/* One of the functions' address ranges (a hot/cold split function has
 * two): func, its index in unit_table.funcs. */
struct func_range {
	uint64_t lo, hi;
	size_t func;
};

/* A unit's functions are found by a walk of its top level alone; only
 * the functions lookups land in are walked whole: a unit of thousands of
 * DIEs (libpython's, with full debug info) was walked for the few
 * addresses a profile names in it, half of the naming's time.  An
 * address no function's range holds (a nested function's) is looked for
 * in the table of the whole unit, as before. */
struct unit_table {
	Dwarf_Off unit;           /* the compile unit's DIE offset */
	struct func_table *funcs;
	size_t nfuncs;
	struct func_range *ranges;   /* sorted by lo */
	size_t nranges;
	bool whole_walked;
	struct call_range *v;     /* the whole unit's (whole_walked) */
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
		for (size_t k = 0; k < x->units[i].nfuncs; k++)
			free(x->units[i].funcs[k].v);
		free(x->units[i].funcs);
		free(x->units[i].ranges);
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
	struct call_range **v;
	size_t *n, cap;
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
		if (*w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 64;
			*w->v = xrealloc(*w->v, w->cap * sizeof(**w->v));
		}
		/* DWARF's addresses are the file's own: ELF vaddrs. */
		(*w->v)[(*w->n)++] = (struct call_range){ lo, hi, file, (int)line };
	}
}

/* Whether a walk goes into a DIE's children. */
enum visit { SKIP, DESCEND };

/* visit() for each DIE under die, as it says. */
static void walk_children(Dwarf_Die *die, int depth, enum visit (*visit)(void *ctx, Dwarf_Die *die),
			  void *ctx)
{
	Dwarf_Die child;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return;
	do {
		if (visit(ctx, &child) == DESCEND)
			walk_children(&child, depth + 1, visit, ctx);
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The outermost inlined subroutines: their ranges, not what is inlined
 * into them. */
static enum visit outermost_inlined(void *ctx, Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_inlined_subroutine:
		add_ranges(ctx, die);
		return SKIP;
	case DW_TAG_subprogram:
	case DW_TAG_lexical_block:
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_module:
		return DESCEND;
	default:
		return SKIP;
	}
}

/* By lo, which call_range and func_range both start with. */
_Static_assert(offsetof(struct call_range, lo) == 0 && offsetof(struct func_range, lo) == 0,
	       "by_lo() reads lo first");
static int by_lo(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The outermost inlined subroutines under die, sorted into *v. */
static void walk_sorted(Dwarf_Die *die, struct call_range **v, size_t *n)
{
	struct walk w = { v, n, 0 };

	walk_children(die, 0, outermost_inlined, &w);
	if (*n)
		qsort(*v, *n, sizeof(**v), by_lo);
}

/* A unit's functions as its top level is read. */
struct scan {
	struct unit_table *t;
	size_t funcs_cap, ranges_cap;
};

static void add_function(struct scan *sc, Dwarf_Die *die)
{
	struct unit_table *t = sc->t;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	size_t func = t->nfuncs;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (t->nfuncs == func) {
			if (t->nfuncs == sc->funcs_cap) {
				sc->funcs_cap = sc->funcs_cap ? 2 * sc->funcs_cap : 64;
				t->funcs = xrealloc(t->funcs, sc->funcs_cap * sizeof(*t->funcs));
			}
			t->funcs[t->nfuncs++] = (struct func_table){ .die = *die };
		}
		if (t->nranges == sc->ranges_cap) {
			sc->ranges_cap = sc->ranges_cap ? 2 * sc->ranges_cap : 64;
			t->ranges = xrealloc(t->ranges, sc->ranges_cap * sizeof(*t->ranges));
		}
		t->ranges[t->nranges++] = (struct func_range){ lo, hi, func };
	}
}

/* The functions at the unit's top level, or in its namespaces (C++'s
 * definitions are at the unit's top level, their declarations in the
 * classes). */
static enum visit function(void *ctx, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	if (tag == DW_TAG_subprogram)
		add_function(ctx, die);
	return tag == DW_TAG_namespace || tag == DW_TAG_module ? DESCEND : SKIP;
}

static struct unit_table *index_unit(struct inline_index *x, Dwarf_Die *cu)
{
	struct scan sc = { 0 };
	struct unit_table *t;

	x->units = xrealloc(x->units, (x->nunits + 1) * sizeof(*x->units));
	t = &x->units[x->nunits++];
	*t = (struct unit_table){ .unit = dwarf_dieoffset(cu) };
	u64map_put(&x->by_unit, t->unit + 1, x->nunits - 1, 0);
	sc.t = t;
	walk_children(cu, 0, function, &sc);
	if (t->nranges)
		qsort(t->ranges, t->nranges, sizeof(*t->ranges), by_lo);
	return t;
}

/* The sorted outermost ranges that may hold vaddr: its function's, or
 * the whole unit's; false where that needs a walk and peek forbids it. */
static bool ranges_for(struct unit_table *t, Dwarf_Die *cu, uint64_t vaddr, bool peek,
		       const struct call_range **v, size_t *n)
{
	const struct func_range *fr = SORTED_LAST_AT_MOST(t->ranges, t->nranges, lo, vaddr);

	if (fr && vaddr < fr->hi) {
		struct func_table *f = &t->funcs[fr->func];

		if (!f->walked && peek)
			return false;
		if (!f->walked)
			walk_sorted(&f->die, &f->v, &f->n);
		f->walked = true;
		*v = f->v;
		*n = f->n;
		return true;
	}
	if (!t->whole_walked && peek)
		return false;
	if (!t->whole_walked)
		walk_sorted(cu, &t->v, &t->n);
	t->whole_walked = true;
	*v = t->v;
	*n = t->n;
	return true;
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
	const struct call_range *r, *v;
	size_t n;

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
	if (!ranges_for(t, cu, vaddr, peek, &v, &n))
		return INLINE_NOT_READ;
	/* Outermost ranges do not overlap: the last one starting at or
	 * below vaddr is the only candidate. */
	r = SORTED_LAST_AT_MOST(v, n, lo, vaddr);
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
