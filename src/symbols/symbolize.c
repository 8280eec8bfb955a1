/* Post-run symbolisation of (module path, ELF vaddr) pairs.
 *
 * Function names come from the ELF symbol tables (elfsyms), file:line
 * from DWARF through libdwfl, which also finds separate debug info by
 * build-id or debuglink under /usr/lib/debug.  Each module is opened
 * once per symbolizer. */
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

static void find_source_line(struct sym_module *sm, uint64_t vaddr, struct sym_info *out)
{
	Dwfl_Line *line;
	const char *file;
	int lineno;

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
