/* Post-run symbolisation of (module path, ELF vaddr) pairs.
 *
 * Function names come from the ELF symbol tables (elfsyms), file:line
 * from the DWARF line programs (dwarf_lines) of the file libdwfl would
 * read them from (the module, or its separate debug info found by
 * build-id or debuglink under /usr/lib/debug), and from libdwfl itself
 * for what that reader leaves to it.  Each module is opened once per
 * symbolizer.
 *
 * Opening a module is most of the work (libc's debug info: inflating its
 * line programs, 3 ms; indexing them all, 4.5 ms more, where its
 * .debug_aranges does not let a lookup run its unit's alone): modules
 * named in advance are opened by a thread of the symbolizer's own while
 * the program runs, one after the other.  symbolize() opens a module the
 * thread has not started itself, and waits only for the one the thread
 * is opening; symbolizer_free() waits for that one alone. */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demangle.h"
#include "dwarf_inlines.h"
#include "dwarf_lines.h"
#include "elfsyms.h"
#include "error.h"
#include "ownlimits.h"
#include "section_stream.h"
#include "symbolize.h"
#include "u64map.h"

struct sym_module {
	char *path;
	/* The build asked for (its build-id, or its path when it has none),
	 * which the file at path may no longer be: a program built again at
	 * the same path during the run.  NULL: the file there, whichever. */
	char *identity;
	struct elf_module *elf;   /* NULL: not a readable ELF file */
	Dwfl *dwfl;               /* NULL: libdwfl could not report it */
	Dwfl_Module *mod;
	Dwarf_Addr bias;          /* libdwfl's address = ELF vaddr + bias */
	bool debug_symbols;       /* libdwfl found symbols in separate debug info */
	const char *debug_file;   /* that file (libdwfl's string); NULL: none */
	struct elf_module *debug_elf;   /* the file the lines come from */
	struct line_table *lines;       /* NULL: libdwfl answers */
	bool no_lines;            /* no line program anywhere: no file:line to wait for */
	struct inline_index *inlines;   /* NULL: no DWARF of the module's own */
	/* DWARF 2-4 line programs' directory 0 (dwarf_lines.h): offset in
	 * .debug_line + 1 -> its unit's DW_AT_comp_dir (a), read from libdw's
	 * units at the first such program; the parse may run in two threads. */
	struct u64map comp_dirs;
	bool comp_dirs_read;
	pthread_mutex_t comp_dirs_lock;
	struct u64map readable;   /* a symbol (its string's address) -> its
				   * demangled name (a), NULL when it has none */
	bool rewritten;           /* its file written over since it was read */
	uint64_t checked_ns;      /* when that was last asked */
	bool queued;              /* for the worker to open */
	bool opening;             /* taken, by the worker or symbolize() */
	bool ready;               /* opened: the fields above are set */
	/* Lookups, once ready: the worker's (symbolizer_warm()) and the
	 * caller's.  The line tables grow as lookups need them, and libdwfl
	 * is not thread-safe. */
	pthread_mutex_t lookup;
};

/* An address to name in the background, in a module (symbolizer_warm()). */
struct warm_addr {
	struct sym_module *sm;
	uint64_t vaddr;
};

/* Addresses are handed to the worker, and taken by it, in batches: one
 * at a time, with the lock and a wakeup each, rustc's 56,000 new stacks
 * cost 15,000 futex calls and as many context switches, numamma's drain
 * and the worker taking turns at the lock. */
#define WARM_STAGED 256
#define WARM_CHUNK 64
/* Handed to an idle worker from this many on: fewer would wake it for
 * each address as it keeps up (2,500 wakeups); the last few of a run are
 * named with the rest after it.  The first WARM_EAGER of a profile go
 * one by one, the worker busy or not: a short program's few (a thread's
 * clone3, deep in libc's line programs) are then ready at its end, and
 * those that came while it opened the modules (a Rust program's 38, 4-9
 * ms at its end) are named next. */
#define WARM_MIN 32
#define WARM_EAGER 256

struct symbolizer {
	struct sym_module **v;
	size_t n, cap;
	pthread_mutex_t lock;     /* v, n, and the modules' queued and ready */
	pthread_cond_t opened;    /* a queued module is ready, or the worker done */
	pthread_cond_t more;      /* work for the idle worker, or stopping */
	size_t next;              /* the next module the worker looks at */
	struct warm_addr *warm;   /* then the addresses it names, in turn */
	size_t nwarm, capwarm, next_warm;
	bool worker;              /* a worker thread is running */
	bool idle;                /* it waits for more, and nobody woke it yet */
	bool stopping;            /* symbolizer_free(): open nothing more */
	/* The caller's side, without the lock (symbolizer_warm() and
	 * symbolize_if_read() come from one thread): the addresses it has
	 * not handed over yet, and the module it named last. */
	struct warm_addr staged[WARM_STAGED];
	size_t nstaged;
	struct sym_module *last;
};

/* Could libdw's path search find a debug file named DEBUGLINK for FILE?
 * It looks beside the file, in its .debug folder and under
 * /usr/lib/debug; an absolute name (a dwz file) is itself. */
static bool debuglink_candidate_exists(const char *file, const char *debuglink)
{
	const char *slash = strrchr(file, '/');
	int dir_len = slash ? (int)(slash - file) : 0;
	char *name = debuglink ? xstrdup(debuglink) : xasprintf("%s.debug", slash ? slash + 1 : file);
	bool found = false;

	if (name[0] == '/') {
		found = access(name, R_OK) == 0;
	} else {
		char *paths[] = {
			xasprintf("%.*s/%s", dir_len, file, name),
			xasprintf("%.*s/.debug/%s", dir_len, file, name),
			xasprintf("/usr/lib/debug%.*s/%s", dir_len, file, name),
		};

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			found = found || (strcmp(paths[i], file) && access(paths[i], R_OK) == 0);
			free(paths[i]);
		}
	}
	free(name);
	return found;
}

/* libdw's standard search, without its last resort unless asked for:
 * for a module with a build id and no local debug info, it dlopens
 * libdebuginfod (with libcurl, gnutls and 30 more libraries: 3 ms and
 * 300 page faults per process) whether or not DEBUGINFOD_URLS names a
 * server to ask. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const char *servers = getenv("DEBUGINFOD_URLS");
	const unsigned char *build_id;
	GElf_Addr build_id_vaddr;
	int fd;

	if ((servers && *servers) || dwfl_module_build_id(mod, &build_id, &build_id_vaddr) <= 0)
		goto standard;
	fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					  debuglink_crc, debuginfo_file_name);
	if (fd >= 0 || !file_name || !debuglink_candidate_exists(file_name, debuglink_file))
		return fd < 0 ? -1 : fd;
standard:
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					    debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->opened, NULL);
	pthread_cond_init(&s->more, NULL);
	return s;
}

/* Frees a map whose values (a) are strings it owns. */
static void free_string_map(struct u64map *m)
{
	for (size_t j = 0; j < m->cap; j++)
		if (u64map_live(&m->v[j]))
			free((char *)(uintptr_t)m->v[j].a);
	u64map_free(m);
}

static void destroy(struct symbolizer *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sym_module *sm = s->v[i];

		line_table_free(sm->lines);
		inline_index_free(sm->inlines);
		if (sm->debug_elf != sm->elf)
			elfmod_close(sm->debug_elf);
		elfmod_close(sm->elf);
		if (sm->dwfl)
			dwfl_end(sm->dwfl);
		pthread_mutex_destroy(&sm->lookup);
		pthread_mutex_destroy(&sm->comp_dirs_lock);
		free_string_map(&sm->comp_dirs);
		free_string_map(&sm->readable);
		free(sm->path);
		free(sm->identity);
		free(sm);
	}
	free(s->warm);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->opened);
	pthread_cond_destroy(&s->more);
	free(s->v);
	free(s);
}

/* Nothing waits for a module nobody asked for (the C library prefetched
 * for a program that never maps it): a worker still opening one frees
 * the symbolizer as it ends. */
void symbolizer_free(struct symbolizer *s)
{
	bool worker;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	worker = s->worker;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
	if (!worker)
		destroy(s);
}

/* DWARF sections numamma never asks libdw about: variables' locations
 * and the call frame information (numamma unwinds with .eh_frame).  libdw
 * inflates every compressed DWARF section as it opens the file's DWARF,
 * and these are most of a Go program's: docker's .debug_loc is 15 MB of
 * its 39 (2.6 of 9.5 MB compressed). */
static const char *const unread_sections[] = {
	".debug_loc", ".debug_loclists", ".debug_frame",
	".zdebug_loc", ".zdebug_loclists", ".zdebug_frame",
};

static bool unread_section(const char *name)
{
	for (size_t i = 0; i < sizeof(unread_sections) / sizeof(*unread_sections); i++)
		if (!strcmp(name, unread_sections[i]))
			return true;
	return false;
}

/* Hides the compressed ones from libdw in libdwfl's own copy of the
 * file's section headers (a private mapping: the file is untouched):
 * libdw skips a section without data (SHT_NOBITS) before it inflates it.
 * A file whose DWARF is elsewhere (a separate debug file) has none. */
static void hide_unread_sections(Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || !unread_section(name) ||
		    !((sh.sh_flags & SHF_COMPRESSED) || !strncmp(name, ".zdebug", 7)))
			continue;
		sh.sh_type = SHT_NOBITS;
		gelf_update_shdr(scn, &sh);
	}
}

/* Reports the file alone to libdwfl.  Offline, libdwfl lays modules out
 * from an address of its choosing, so ELF vaddrs are moved by the bias it
 * reports for the main file. */
static void open_dwarf(struct sym_module *sm)
{
	GElf_Addr bias;
	Elf *elf;

	sm->dwfl = dwfl_begin(&offline_callbacks);
	if (!sm->dwfl)
		return;
	sm->mod = dwfl_report_offline(sm->dwfl, sm->path, sm->path, -1);
	dwfl_report_end(sm->dwfl, NULL, NULL);
	if (!sm->mod || !(elf = dwfl_module_getelf(sm->mod, &bias))) {
		dwfl_end(sm->dwfl);
		sm->dwfl = NULL;
		sm->mod = NULL;
		return;
	}
	sm->bias = bias;
	hide_unread_sections(elf);
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

/* Does libdw take the module's own DWARF?  It does when the file has any
 * of these, and looks for separate debug info only otherwise. */
static bool has_own_dwarf(const struct elf_module *m)
{
	return elfmod_has_section(m, ".debug_info") || elfmod_has_section(m, ".debug_line") ||
	       elfmod_has_section(m, ".debug_frame");
}

/* A module's own .debug_info up to this size is read and indexed by the
 * drain's lookups themselves (the 3,000-site program's, 93 KB: its
 * locations all left for the end otherwise, 2 ms more there). */
#define INLINE_PEEK_MAX (256 << 10)

/* Below this, a second thread costs more than it saves. */
#define PARALLEL_LINES_MIN (256 << 10)

struct line_part {
	const struct dwarf_sections *sec;
	struct line_table *table;
};

static void *parse_second_half(void *arg)
{
	struct line_part *half = arg;

	half->table = line_table_parse_part(half->sec, 1, 2);
	return NULL;
}

/* Large line programs (libc's, 1.3 MB: 4.5 ms) are indexed in two
 * halves, one in a thread of their own: the program has often ended by
 * then, and the profile waits for them. */
static struct line_table *parse_lines(const struct dwarf_sections *sec)
{
	struct line_part second = { sec, NULL };
	struct line_table *parts[2];
	pthread_t thread;

	if (sec->line_size < PARALLEL_LINES_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    pthread_create(&thread, NULL, parse_second_half, &second))
		return line_table_parse(sec);
	parts[0] = line_table_parse_part(sec, 0, 2);
	pthread_join(thread, NULL);
	parts[1] = second.table;
	return line_table_join(parts, 2);
}

static const uint8_t *reveal(void *stream, size_t want)
{
	return section_stream_reveal(stream, want);
}

/* With .debug_aranges: each unit's program run as lookups need it,
 * .debug_line inflated only that far; NULL without. */
static struct line_table *lines_by_unit(struct elf_module *m, struct dwarf_sections *sec)
{
	struct section_stream *line;

	sec->aranges = elfmod_section_data(m, ".debug_aranges", &sec->aranges_size);
	if (!sec->aranges || !(line = elfmod_section_stream(m, ".debug_line")))
		return NULL;
	sec->line_size = section_stream_size(line);
	sec->reveal_line = reveal;
	sec->line_ctx = line;
	return line_table_by_unit(sec);
}

/* Without: every program indexed, by two threads, which cannot share a
 * stream: .debug_str inflated whole first. */
static struct line_table *lines_whole(struct elf_module *m, struct dwarf_sections *sec)
{
	sec->line = elfmod_section_data(m, ".debug_line", &sec->line_size);
	sec->reveal_line = NULL;
	if (sec->str_ctx)
		sec->str = section_stream_reveal(sec->str_ctx, sec->str_size);
	sec->reveal_str = NULL;
	return sec->line ? parse_lines(sec) : NULL;
}

/* Does libdwfl find DWARF for the module elsewhere (a debug file with
 * lines but not symbols)?  Asked once, as the module opens: a stripped
 * program without any (most of a distribution's) then has its functions
 * named while it runs, not every one of its locations after the run
 * (gcc's cc1: 4,600, 3 ms the person waits for). */
static bool has_separate_dwarf(struct sym_module *sm)
{
	Dwarf_Addr bias;

	return sm->mod && dwfl_module_getdwarf(sm->mod, &bias);
}

/* Each compile unit's line program offset and DW_AT_comp_dir, as libdw
 * pairs them for its lines (the first unit of a shared program). */
static void read_comp_dirs(struct sym_module *sm)
{
	Dwarf_Addr bias;
	Dwarf *dw = sm->mod ? dwfl_module_getdwarf(sm->mod, &bias) : NULL;
	Dwarf_Off off = 0, next;
	size_t header_size;

	while (dw && dwarf_nextcu(dw, off, &next, &header_size, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Attribute attr;
		Dwarf_Word line_offset;
		const char *dir;

		if (dwarf_offdie(dw, off + header_size, &cu) &&
		    dwarf_attr(&cu, DW_AT_stmt_list, &attr) &&
		    dwarf_formudata(&attr, &line_offset) == 0 &&
		    (dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr))) &&
		    !u64map_find(&sm->comp_dirs, line_offset + 1))
			u64map_put(&sm->comp_dirs, line_offset + 1, (uintptr_t)xstrdup(dir), 0);
		off = next;
	}
}

static const char *comp_dir_of(void *ctx, uint64_t line_offset)
{
	struct sym_module *sm = ctx;
	const struct u64map_slot *slot;

	pthread_mutex_lock(&sm->comp_dirs_lock);
	if (!sm->comp_dirs_read)
		read_comp_dirs(sm);
	sm->comp_dirs_read = true;
	slot = u64map_find(&sm->comp_dirs, line_offset + 1);
	pthread_mutex_unlock(&sm->comp_dirs_lock);
	return slot ? (const char *)(uintptr_t)slot->a : NULL;
}

/* The line programs of the file libdwfl reads DWARF from: the module, or
 * the separate file it found the symbols in.  .debug_str is inflated
 * only when a file table names a string in it (GCC's name them in
 * .debug_line_str).  Anything else (no .debug_line there, separate debug
 * info libdwfl found only for DWARF, a program the reader refuses) is
 * left to libdwfl. */
static void load_lines(struct sym_module *sm)
{
	struct dwarf_sections sec = { 0 };
	struct section_stream *str;

	if (has_own_dwarf(sm->elf))
		sm->debug_elf = sm->elf;
	else if (sm->debug_file)
		sm->debug_elf = elfmod_open(sm->debug_file);
	if (!sm->debug_elf) {
		sm->no_lines = !has_separate_dwarf(sm);
		return;
	}
	sec.line_str = elfmod_section_data(sm->debug_elf, ".debug_line_str", &sec.line_str_size);
	sec.comp_dir = comp_dir_of;
	sec.comp_dir_ctx = sm;
	if ((str = elfmod_section_stream(sm->debug_elf, ".debug_str"))) {
		sec.str_size = section_stream_size(str);
		sec.reveal_str = reveal;
		sec.str_ctx = str;
	}
	if ((sm->lines = lines_by_unit(sm->debug_elf, &sec)))
		debug("%s: line programs run by unit, as lookups need them", sm->path);
	else if (!(sm->lines = lines_whole(sm->debug_elf, &sec)))
		debug("%s: file:line through libdw", sm->path);
}

/* Everything symbolize() needs of the module, its function table
 * included (elfsyms sorts it at the first lookup). */
static void open_module(struct sym_module *sm)
{
	const char *name;
	uint64_t off;

	sm->elf = elfmod_open(sm->path);
	if (!sm->elf) {
		debug("cannot symbolise %s: not a readable ELF file", sm->path);
		return;
	}
	/* Another build's symbols would name its code wrongly: none. */
	if (sm->identity && strcmp(elfmod_identity(sm->elf), sm->identity)) {
		debug("cannot symbolise %s as %s: the file there now is another build", sm->path,
		      sm->identity);
		elfmod_close(sm->elf);
		sm->elf = NULL;
		return;
	}
	open_dwarf(sm);
	load_lines(sm);
	/* Only the module's own DWARF (a program built with -g): a C
	 * library's separate debug info is the runtime's, and large. */
	if (sm->mod && has_own_dwarf(sm->elf))
		sm->inlines = inline_index_new(sm->mod, sm->bias,
					       elfmod_section_size(sm->elf, ".debug_info") < INLINE_PEEK_MAX,
					       sm->lines);
	elfmod_symbolize(sm->elf, 0, &name, &off);
}

/* Is sm the module of path as build identity (NULL: any)? */
static bool is_module(const struct sym_module *sm, const char *path, const char *identity)
{
	return (sm->path == path || !strcmp(sm->path, path)) &&
	       (!identity || !sm->identity || sm->identity == identity ||
		!strcmp(sm->identity, identity));
}

/* The module of path as build identity, or NULL; under s->lock. */
static struct sym_module *find_module(struct symbolizer *s, const char *path, const char *identity)
{
	for (size_t i = 0; i < s->n; i++)
		if (is_module(s->v[i], path, identity))
			return s->v[i];
	return NULL;
}

/* The module of path as build identity, added (not yet opened) if new;
 * under s->lock. */
static struct sym_module *find_or_add(struct symbolizer *s, const char *path, const char *identity,
				      bool *added)
{
	struct sym_module *sm = find_module(s, path, identity);

	*added = false;
	if (sm)
		return sm;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	sm = s->v[s->n++] = xcalloc(1, sizeof(*sm));
	sm->path = xstrdup(path);
	sm->identity = identity ? xstrdup(identity) : NULL;
	pthread_mutex_init(&sm->lookup, NULL);
	pthread_mutex_init(&sm->comp_dirs_lock, NULL);
	*added = true;
	return sm;
}

static int symbolize_in(struct sym_module *sm, uint64_t vaddr, struct sym_info *out, bool peek);

/* sm, opened: by the worker (waited for) if it has started on it, else
 * here (while it opens another).  Called under s->lock, returns without. */
static struct sym_module *opened_module(struct symbolizer *s, struct sym_module *sm)
{
	bool mine;

	while (sm->opening && !sm->ready)
		pthread_cond_wait(&s->opened, &s->lock);
	mine = !sm->opening;
	sm->opening = true;
	pthread_mutex_unlock(&s->lock);
	if (mine) {
		open_module(sm);
		pthread_mutex_lock(&s->lock);
		__atomic_store_n(&sm->ready, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->opened);
		pthread_mutex_unlock(&s->lock);
	}
	return sm;
}

/* The same, without the lock once sm is ready. */
static struct sym_module *opened(struct symbolizer *s, struct sym_module *sm)
{
	if (__atomic_load_n(&sm->ready, __ATOMIC_ACQUIRE))
		return sm;
	pthread_mutex_lock(&s->lock);
	return opened_module(s, sm);
}

/* Names up to WARM_CHUNK queued addresses, the lock left meanwhile; under
 * s->lock, which it leaves and takes again. */
static void warm_some(struct symbolizer *s)
{
	struct warm_addr w[WARM_CHUNK];
	size_t n = s->nwarm - s->next_warm;

	if (n > WARM_CHUNK)
		n = WARM_CHUNK;
	memcpy(w, s->warm + s->next_warm, n * sizeof(*w));
	s->next_warm += n;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n && !__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE); i++) {
		struct sym_info si;

		/* The name itself is not kept: symbolize() finds it again
		 * in a few binary searches. */
		symbolize_in(opened(s, w[i].sm), w[i].vaddr, &si, false);
		sym_info_free(&si);
	}
	pthread_mutex_lock(&s->lock);
}

/* Opens the queued modules nobody has taken, in turn, then names the
 * addresses to warm, and ends when none is left or the symbolizer is
 * being freed.  Under s->lock, which it leaves and takes again. */
static void work(struct symbolizer *s)
{
	while (!s->stopping) {
		if (s->next < s->n) {
			struct sym_module *sm = s->v[s->next++];

			if (!sm->queued || sm->opening)
				continue;
			sm->opening = true;
			pthread_mutex_unlock(&s->lock);
			open_module(sm);
			pthread_mutex_lock(&s->lock);
			__atomic_store_n(&sm->ready, true, __ATOMIC_RELEASE);
			pthread_cond_broadcast(&s->opened);
		} else if (s->next_warm < s->nwarm) {
			warm_some(s);
		} else {
			return;
		}
	}
}

/* The worker waits for more work until the symbolizer is freed, which it
 * then does itself: a thread started for each batch of code locations
 * was two threads made and ended per process of a shell script (79 for
 * the 40 processes of a pyenv shim). */
static void *worker(void *arg)
{
	struct symbolizer *s = arg;

	own_priority_restore();
	pthread_mutex_lock(&s->lock);
	for (;;) {
		work(s);
		if (s->stopping)
			break;
		__atomic_store_n(&s->idle, true, __ATOMIC_RELEASE);
		while (__atomic_load_n(&s->idle, __ATOMIC_ACQUIRE) && !s->stopping)
			pthread_cond_wait(&s->more, &s->lock);
		__atomic_store_n(&s->idle, false, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->worker, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->opened);
	pthread_mutex_unlock(&s->lock);
	destroy(s);
	return NULL;
}

/* Starts the worker unless one runs, or wakes it; under s->lock.  False
 * without. */
static bool start_worker(struct symbolizer *s)
{
	pthread_attr_t attr;
	pthread_t thread;

	if (s->worker) {
		/* Woken once: staged addresses wait for it to be idle again. */
		if (s->idle) {
			__atomic_store_n(&s->idle, false, __ATOMIC_RELEASE);
			pthread_cond_signal(&s->more);
		}
		return true;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	__atomic_store_n(&s->worker, pthread_create(&thread, &attr, worker, s) == 0,
			 __ATOMIC_RELEASE);
	pthread_attr_destroy(&attr);
	return s->worker;
}

void symbolizer_prefetch(struct symbolizer *s, const char *path, const char *identity)
{
	bool added;
	struct sym_module *sm;

	pthread_mutex_lock(&s->lock);
	sm = find_or_add(s, path, identity, &added);
	/* No thread: symbolize() opens it when it needs it. */
	if (added)
		sm->queued = start_worker(s);
	pthread_mutex_unlock(&s->lock);
}

/* The staged addresses to the worker's queue, the worker woken or
 * started; under s->lock. */
static void hand_over(struct symbolizer *s)
{
	if (s->nwarm + s->nstaged > s->capwarm) {
		s->capwarm = s->capwarm ? 2 * s->capwarm : 4 * WARM_STAGED;
		s->warm = xrealloc(s->warm, s->capwarm * sizeof(*s->warm));
	}
	memcpy(s->warm + s->nwarm, s->staged, s->nstaged * sizeof(*s->staged));
	s->nwarm += s->nstaged;
	s->nstaged = 0;
	start_worker(s);
}

/* The module of path as build identity if it is the one named last,
 * without the lock. */
static struct sym_module *last_module(struct symbolizer *s, const char *path, const char *identity)
{
	return s->last && is_module(s->last, path, identity) ? s->last : NULL;
}

/* Staged, and handed over when the worker is idle (it has named what it
 * was given) and they are WARM_MIN (or the profile's first), or when the
 * batch is full. */
void symbolizer_warm(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr)
{
	struct sym_module *sm = last_module(s, path, identity);
	bool added = false;

	if (!sm) {
		pthread_mutex_lock(&s->lock);
		sm = s->last = find_or_add(s, path, identity, &added);
		if (added)
			sm->queued = true;
		pthread_mutex_unlock(&s->lock);
	}
	s->staged[s->nstaged++] = (struct warm_addr){ sm, vaddr };
	if (added || s->nstaged == WARM_STAGED || !__atomic_load_n(&s->worker, __ATOMIC_ACQUIRE) ||
	    s->nwarm < WARM_EAGER ||
	    (s->nstaged >= WARM_MIN && __atomic_load_n(&s->idle, __ATOMIC_ACQUIRE))) {
		pthread_mutex_lock(&s->lock);
		hand_over(s);
		pthread_mutex_unlock(&s->lock);
	}
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *found)
{
	const char *name = info->dlpi_name, *slash = strrchr(name, '/');

	if (!slash || strncmp(slash + 1, "libc.so.", 8))
		return 0;
	return realpath(name, found) != NULL;
}

void symbolizer_prefetch_libc(struct symbolizer *s)
{
	char path[PATH_MAX];

	if (dl_iterate_phdr(find_libc, path))
		symbolizer_prefetch(s, path, NULL);
}

/* The module of path as build identity, opened (opened_module()). */
static struct sym_module *module_for(struct symbolizer *s, const char *path, const char *identity)
{
	bool added;

	pthread_mutex_lock(&s->lock);
	return opened_module(s, find_or_add(s, path, identity, &added));
}

/* A function's name as a person reads it: C++ and Rust demangled, each
 * symbol once (rustc's 23,500 code locations are in 7,500 functions). */
static char *readable_name(struct sym_module *sm, const char *symbol)
{
	struct u64map_slot *slot = u64map_find(&sm->readable, (uintptr_t)symbol);
	const char *name;

	if (slot) {
		name = (const char *)(uintptr_t)slot->a;
	} else {
		name = demangle(symbol);
		u64map_put(&sm->readable, (uintptr_t)symbol, (uintptr_t)name, 0);
	}
	return xstrdup(name ? name : symbol);
}

static void find_function(struct sym_module *sm, uint64_t vaddr, struct sym_info *out)
{
	const char *name;
	uint64_t off;
	GElf_Off dwfl_off;
	GElf_Sym sym;

	if (elfmod_symbolize(sm->elf, vaddr, &name, &off) == 0) {
		out->function = readable_name(sm, name);
		out->func_offset = off;
		return;
	}
	/* Stripped file: libdwfl may have found a symbol table in the
	 * separate debug info. */
	if (sm->mod && sm->debug_symbols && (name = dwfl_module_addrinfo(sm->mod, vaddr + sm->bias, &dwfl_off,
						    &sym, NULL, NULL, NULL))) {
		out->function = readable_name(sm, name);
		out->func_offset = dwfl_off;
	}
}

/* false: peek only, and the answer needs a line program run or libdw. */
static bool find_source_line(struct sym_module *sm, uint64_t vaddr, struct sym_info *out,
			     bool peek)
{
	Dwfl_Line *line;
	const char *file;
	int lineno;

	if (sm->lines) {
		switch ((peek ? line_table_peek : line_table_lookup)(sm->lines, vaddr, &out->file,
								      &out->line)) {
		case LINE_FOUND:
		case LINE_NONE:
			return true;
		case LINE_NOT_RUN:
			return false;
		case LINE_ASK_LIBDW:
			break;
		}
	}
	if (sm->no_lines)
		return true;
	if (peek && sm->mod)
		return false;
	if (!sm->mod || !(line = dwfl_module_getsrc(sm->mod, vaddr + sm->bias)))
		return true;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (!file)
		return true;
	out->file = xstrdup(file);
	out->line = lineno;
	return true;
}

/* Where inlined code at vaddr came from in its function; false: peek
 * only, and the answer needs the unit indexed first.  vaddr is a return
 * address: the call before it is what was inlined (an inlined
 * allocate() ends with its call of operator new). */
static bool find_call_line(struct sym_module *sm, uint64_t vaddr, struct sym_info *out, bool peek)
{
	const char *file;
	int line;

	if (!sm->inlines || !out->file)
		return true;
	switch (inline_call_line(sm->inlines, vaddr - 1, peek, &file, &line)) {
	case INLINE_CALLED:
		out->call_file = xstrdup(file);
		out->call_line = line;
		return true;
	case INLINE_NOT:
		return true;
	case INLINE_NOT_READ:
		break;
	}
	return false;
}

/* 0: named; 1: the module names nothing there (no symbol, no line);
 * -1: not answered.  peek: only where that is a few binary searches,
 * else -1 (the worker holds the module, or a line program must be run
 * first). */
/* Was the module's file written over in place since it was read (`cp`
 * onto it, its inode the same)?  Its mapping then reads what the file
 * holds now, and past its new end, faults: numamma died of SIGBUS naming
 * a symbol of it.  Nothing more is read of it.  Asked at most every
 * REWRITE_CHECK_NS, under sm->lookup: an fstat() is 1.3 us, and a
 * profile names tens of thousands of locations. */
#define REWRITE_CHECK_NS (1000 * 1000)
static bool rewritten(struct sym_module *sm)
{
	uint64_t now = now_ns();

	if (!sm->rewritten && now - sm->checked_ns >= REWRITE_CHECK_NS) {
		sm->checked_ns = now;
		sm->rewritten = elfmod_changed(sm->elf);
		if (sm->rewritten)
			debug("%s was written over since it was read: its code is left unnamed", sm->path);
	}
	return sm->rewritten;
}

static int symbolize_in(struct sym_module *sm, uint64_t vaddr, struct sym_info *out, bool peek)
{
	bool answered;

	memset(out, 0, sizeof(*out));
	if (!sm->elf)
		return -1;
	if (!peek)
		pthread_mutex_lock(&sm->lookup);
	else if (pthread_mutex_trylock(&sm->lookup))
		return -1;
	if (rewritten(sm)) {
		pthread_mutex_unlock(&sm->lookup);
		return -1;
	}
	find_function(sm, vaddr, out);
	answered = find_source_line(sm, vaddr, out, peek) && find_call_line(sm, vaddr, out, peek);
	pthread_mutex_unlock(&sm->lookup);
	if (!answered)
		sym_info_free(out);
	if (!answered)
		return -1;
	return out->function || out->file ? 0 : 1;
}

int symbolize(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr,
	      struct sym_info *out)
{
	return symbolize_in(module_for(s, path, identity), vaddr, out, false) == 0 ? 0 : -1;
}

int symbolize_if_read(struct symbolizer *s, const char *path, const char *identity, uint64_t vaddr,
		      struct sym_info *out)
{
	struct sym_module *sm = last_module(s, path, identity);

	if (!sm) {
		pthread_mutex_lock(&s->lock);
		sm = find_module(s, path, identity);
		pthread_mutex_unlock(&s->lock);
	}
	if (sm && !__atomic_load_n(&sm->ready, __ATOMIC_ACQUIRE))
		sm = NULL;
	memset(out, 0, sizeof(*out));
	return sm ? symbolize_in(sm, vaddr, out, true) : -1;
}

void sym_info_free(struct sym_info *si)
{
	free(si->function);
	free(si->file);
	free(si->call_file);
	si->function = si->file = si->call_file = NULL;
}
