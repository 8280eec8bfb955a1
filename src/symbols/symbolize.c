/* Post-run symbolisation of (module path, ELF vaddr) pairs.
 *
 * Function names come from the ELF symbol tables (elfsyms), file:line
 * from the DWARF line programs (dwarf_lines) of the file libdwfl would
 * read them from (the module, or its separate debug info found by
 * build-id or debuglink under /usr/lib/debug), and from libdwfl itself
 * for what that reader leaves to it.  Each module is opened once per
 * symbolizer. */
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_lines.h"
#include "elfsyms.h"
#include "error.h"
#include "symbolize.h"

struct sym_module {
	char *path;
	struct elf_module *elf;   /* NULL: not a readable ELF file */
	Dwfl *dwfl;               /* NULL: libdwfl could not report it */
	Dwfl_Module *mod;
	Dwarf_Addr bias;          /* libdwfl's address = ELF vaddr + bias */
	bool debug_symbols;       /* libdwfl found symbols in separate debug info */
	const char *debug_file;   /* that file (libdwfl's string); NULL: none */
	bool lines_tried;         /* lines and debug_elf are loaded, or cannot be */
	struct elf_module *debug_elf;   /* the file the lines come from */
	struct line_table *lines;       /* NULL: libdwfl answers */
};

struct symbolizer {
	struct sym_module *v;
	size_t n, cap;
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct symbolizer *symbolizer_new(void)
{
	return xcalloc(1, sizeof(struct symbolizer));
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		line_table_free(s->v[i].lines);
		if (s->v[i].debug_elf != s->v[i].elf)
			elfmod_close(s->v[i].debug_elf);
		elfmod_close(s->v[i].elf);
		if (s->v[i].dwfl)
			dwfl_end(s->v[i].dwfl);
		free(s->v[i].path);
	}
	free(s->v);
	free(s);
}

/* Reports the file alone to libdwfl.  Offline, libdwfl lays modules out
 * from an address of its choosing, so ELF vaddrs are moved by the bias it
 * reports for the main file. */
static void open_dwarf(struct sym_module *sm)
{
	GElf_Addr bias;

	sm->dwfl = dwfl_begin(&offline_callbacks);
	if (!sm->dwfl)
		return;
	sm->mod = dwfl_report_offline(sm->dwfl, sm->path, sm->path, -1);
	dwfl_report_end(sm->dwfl, NULL, NULL);
	if (!sm->mod || !dwfl_module_getelf(sm->mod, &bias)) {
		dwfl_end(sm->dwfl);
		sm->dwfl = NULL;
		sm->mod = NULL;
		return;
	}
	sm->bias = bias;
	/* Without separate debug info, libdwfl's symbols are the file's own,
	 * which elfsyms has already searched; its lookup then scans them all
	 * for nothing (0.6 s for gcc's stripped cc1). */
	{
		const char *debugfile = NULL;

		dwfl_module_getsymtab(sm->mod);
		dwfl_module_info(sm->mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
		sm->debug_symbols = debugfile && strcmp(debugfile, sm->path);
		sm->debug_file = sm->debug_symbols ? debugfile : NULL;
	}
}

static struct sym_module *module_for(struct symbolizer *s, const char *path)
{
	struct sym_module *sm;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path))
			return &s->v[i];
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	sm = &s->v[s->n++];
	memset(sm, 0, sizeof(*sm));
	sm->path = xstrdup(path);
	sm->elf = elfmod_open(path);
	if (sm->elf)
		open_dwarf(sm);
	else
		debug("cannot symbolise %s: not a readable ELF file", path);
	return sm;
}

static void find_function(struct sym_module *sm, uint64_t vaddr, struct sym_info *out)
{
	const char *name;
	uint64_t off;
	GElf_Off dwfl_off;
	GElf_Sym sym;

	if (elfmod_symbolize(sm->elf, vaddr, &name, &off) == 0) {
		out->function = xstrdup(name);
		out->func_offset = off;
		return;
	}
	/* Stripped file: libdwfl may have found a symbol table in the
	 * separate debug info. */
	if (sm->mod && sm->debug_symbols && (name = dwfl_module_addrinfo(sm->mod, vaddr + sm->bias, &dwfl_off,
						    &sym, NULL, NULL, NULL))) {
		out->function = xstrdup(name);
		out->func_offset = dwfl_off;
	}
}

/* Does libdw take the module's own DWARF?  It does when the file has any
 * of these, and looks for separate debug info only otherwise. */
static bool has_own_dwarf(const struct elf_module *m)
{
	return elfmod_has_section(m, ".debug_info") || elfmod_has_section(m, ".debug_line") ||
	       elfmod_has_section(m, ".debug_frame");
}

/* The line programs of the file libdwfl reads DWARF from: the module, or
 * the separate file it found the symbols in.  Anything else (no
 * .debug_line there, separate debug info libdwfl found only for DWARF,
 * a program the reader refuses) is left to libdwfl. */
static void load_lines(struct sym_module *sm)
{
	struct dwarf_sections sec = { 0 };

	sm->lines_tried = true;
	if (has_own_dwarf(sm->elf))
		sm->debug_elf = sm->elf;
	else if (sm->debug_file)
		sm->debug_elf = elfmod_open(sm->debug_file);
	if (!sm->debug_elf)
		return;
	sec.line = elfmod_section_data(sm->debug_elf, ".debug_line", &sec.line_size);
	sec.line_str = elfmod_section_data(sm->debug_elf, ".debug_line_str", &sec.line_str_size);
	sec.str = elfmod_section_data(sm->debug_elf, ".debug_str", &sec.str_size);
	if (sec.line)
		sm->lines = line_table_parse(&sec);
	if (!sm->lines)
		debug("%s: file:line through libdw", sm->path);
}

static void find_source_line(struct sym_module *sm, uint64_t vaddr, struct sym_info *out)
{
	Dwfl_Line *line;
	const char *file;
	int lineno;

	if (!sm->lines_tried)
		load_lines(sm);
	if (sm->lines) {
		switch (line_table_lookup(sm->lines, vaddr, &out->file, &out->line)) {
		case LINE_FOUND:
		case LINE_NONE:
			return;
		case LINE_ASK_LIBDW:
			break;
		}
	}
	if (!sm->mod || !(line = dwfl_module_getsrc(sm->mod, vaddr + sm->bias)))
		return;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (!file)
		return;
	out->file = xstrdup(file);
	out->line = lineno;
}

int symbolize(struct symbolizer *s, const char *path, uint64_t vaddr, struct sym_info *out)
{
	struct sym_module *sm = module_for(s, path);

	memset(out, 0, sizeof(*out));
	if (!sm->elf)
		return -1;
	find_function(sm, vaddr, out);
	find_source_line(sm, vaddr, out);
	return out->function || out->file ? 0 : -1;
}

void sym_info_free(struct sym_info *si)
{
	free(si->function);
	free(si->file);
	si->function = si->file = NULL;
}
