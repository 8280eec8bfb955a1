/* ELF files through libelf: symbol lookups, build-id and load bias.
 *
 * A module keeps the file mapped (ELF_C_READ_MMAP) and reads its symbol
 * tables in place; the only table it builds is the sorted function list
 * used to symbolise addresses, on first use.  Caching modules across
 * processes is modmap's business. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dwarf.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "hash.h"
#include "section_stream.h"
#include "sorted.h"

/* One symbol of the sorted tables below. */
struct sym_entry {
	uint64_t vaddr, size;
	const char *name;        /* as in the file until plain_name() */
	unsigned char bind;
	bool plain;              /* name has no "@VER" suffix (any more) */
	bool owned_name;         /* name was copied to strip "@VER" */
};

struct sym_table {
	struct sym_entry *v;
	size_t n;
};

struct elf_module {
	char *path;
	int fd;
	struct stat opened;         /* the file as it was read (elfmod_changed()) */
	Elf *elf;
	GElf_Ehdr ehdr;
	Elf_Scn *symtab, *dynsym;   /* NULL when absent */
	Elf_Scn *versym;            /* .gnu.version, parallel to .dynsym */
	Elf_Scn *gnu_hash;          /* .gnu.hash, .dynsym's index by name */
	char *build_id;
	char *identity;
	uint64_t identity_key;      /* hash_module_name(identity) */
	/* Functions by address, built lazily by elfmod_symbolize(): it is
	 * a cache, hence mutable behind the const module pointers. */
	struct sym_table funcs;
	bool funcs_ready;
	struct sym_table objects;     /* every static: built at the first find */
	bool objects_ready;
	struct sym_table tls_vars;    /* STT_TLS symbols, offsets in the TLS image */
	bool tls_vars_ready;
	/* The statics of large_min bytes and more (each process loading the
	 * file asks), and [statics_lo, statics_hi) holding all. */
	struct sym_table large;
	uint64_t large_min, statics_lo, statics_hi;
	bool large_ready;
	/* .eh_frame_hdr's search table (elfmod_code_range()), read in place. */
	const uint8_t *eh_table;
	size_t eh_count;
	uint64_t eh_hdr_vaddr;
	bool eh_ready;
	/* The last elfmod_find_functions() query and its answer: each process
	 * hooking the file asks for the same functions (a scan of libc's
	 * symbols each time, a millisecond with its debug symbols). */
	char **found_names;
	struct elf_function *found;
	size_t nfound;
	/* Compressed sections inflated by inflate_section(), kept until
	 * the module is closed. */
	struct inflated_section *inflated;
	size_t ninflated;
	/* Sections inflated as their readers go (elfmod_section_stream()),
	 * one stream each. */
	struct module_stream *streams;
	size_t nstreams;
};

struct module_stream {
	Elf_Scn *scn;
	struct section_stream *stream;
};

struct inflated_section {
	Elf_Scn *scn;
	void *data;
	size_t size;
};

static void forget_query(struct elf_module *m);

enum elf_check elf_check_file(const char *path)
{
	unsigned char hdr[EI_NIDENT + 4];
	uint16_t machine;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ELF_UNREADABLE;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n < 0)
		return ELF_UNREADABLE;
	if (n < (ssize_t)sizeof(hdr) || memcmp(hdr, ELFMAG, SELFMAG))
		return ELF_NOT_ELF;
	if (hdr[EI_CLASS] == ELFCLASS32)
		return ELF_32BIT;
	if (hdr[EI_CLASS] != ELFCLASS64 || hdr[EI_DATA] != ELFDATA2LSB)
		return ELF_OTHER_MACHINE;
	/* e_machine follows e_type (2 bytes) after e_ident. */
	memcpy(&machine, hdr + EI_NIDENT + 2, sizeof(machine));
	return machine == EM_X86_64 ? ELF_OK_64 : ELF_OTHER_MACHINE;
}

static void find_sections(struct elf_module *m)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(m->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			m->symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			m->dynsym = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			m->versym = scn;
		else if (sh.sh_type == SHT_GNU_HASH)
			m->gnu_hash = scn;
	}
}

static char *hex_string(const unsigned char *bytes, size_t len)
{
	char *s = xmalloc(2 * len + 1);

	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", bytes[i]);
	return s;
}

static void read_build_id(struct elf_module *m)
{
	const void *id;
	/* Looks in the note sections, or the PT_NOTE segments when the
	 * section headers are gone. */
	ssize_t len = dwelf_elf_gnu_build_id(m->elf, &id);

	if (len > 0) {
		m->build_id = hex_string(id, len);
		m->identity = xasprintf("buildid:%s", m->build_id);
	} else {
		m->identity = xstrdup(m->path);
	}
	m->identity_key = hash_module_name(m->identity);
}

struct elf_module *elfmod_open(const char *path)
{
	struct elf_module *m;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->fd = fd;
	fstat(fd, &m->opened);
	m->path = xstrdup(path);
	m->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF || !gelf_getehdr(m->elf, &m->ehdr) ||
	    gelf_getclass(m->elf) != ELFCLASS64) {
		elfmod_close(m);
		errno = ENOEXEC;
		return NULL;
	}
	find_sections(m);
	read_build_id(m);
	return m;
}

static Elf_Scn *section_named(const struct elf_module *m, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(m->elf, &shstrndx) < 0)
		return NULL;
	while ((scn = elf_nextscn(m->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(m->elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			return scn;
	}
	return NULL;
}

bool elfmod_has_section(const struct elf_module *m, const char *name)
{
	return section_named(m, name) != NULL;
}

uint64_t elfmod_section_size(const struct elf_module *m, const char *name)
{
	Elf_Scn *scn = section_named(m, name);
	GElf_Shdr sh;

	return scn && gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS ? sh.sh_size : 0;
}

bool elfmod_section_range(const struct elf_module *m, const char *name, uint64_t *vaddr,
			  uint64_t *size)
{
	Elf_Scn *scn = section_named(m, name);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_addr)
		return false;
	*vaddr = sh.sh_addr;
	*size = sh.sh_size;
	return true;
}

/* The inflated bytes of a zlib-compressed section (ELFCOMPRESS_ZLIB), or
 * NULL when damaged: by libdeflate, 2.5 times as fast as the zlib that
 * libelf's elf_compress() uses. */
static const void *inflate_section(const struct elf_module *cm, Elf_Scn *scn,
				   const GElf_Chdr *ch, size_t *size)
{
	struct elf_module *m = (struct elf_module *)cm;     /* a cache */
	Elf_Data *raw = elf_rawdata(scn, NULL);
	void *buf;

	for (size_t i = 0; i < m->ninflated; i++)
		if (m->inflated[i].scn == scn) {
			*size = m->inflated[i].size;
			return m->inflated[i].data;
		}
	if (!raw || !raw->d_buf || raw->d_size < sizeof(Elf64_Chdr) ||
	    !(buf = inflate_zlib((const char *)raw->d_buf + sizeof(Elf64_Chdr),
				 raw->d_size - sizeof(Elf64_Chdr), ch->ch_size)))
		return NULL;
	m->inflated = xrealloc(m->inflated, (m->ninflated + 1) * sizeof(*m->inflated));
	m->inflated[m->ninflated++] = (struct inflated_section){ scn, buf, ch->ch_size };
	*size = ch->ch_size;
	return buf;
}

const void *elfmod_section_data(const struct elf_module *m, const char *name, size_t *size)
{
	Elf_Scn *scn = section_named(m, name);
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Chdr ch;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	if (sh.sh_flags & SHF_COMPRESSED) {
		if (!gelf_getchdr(scn, &ch))
			return NULL;
		if (ch.ch_type == ELFCOMPRESS_ZLIB)
			return inflate_section(m, scn, &ch, size);
		/* Other formats (zstd): libelf's, where it has them. */
		if (elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return NULL;
	*size = data->d_size;
	return data->d_buf;
}

struct section_stream *elfmod_section_stream(const struct elf_module *cm, const char *name)
{
	struct elf_module *m = (struct elf_module *)cm;     /* owns its streams */
	Elf_Scn *scn = section_named(m, name);
	struct section_stream *s = NULL;
	const void *data;
	Elf_Data *raw;
	GElf_Shdr sh;
	GElf_Chdr ch;
	size_t size;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	for (size_t i = 0; i < m->nstreams; i++)
		if (m->streams[i].scn == scn)
			return m->streams[i].stream;
	if ((sh.sh_flags & SHF_COMPRESSED) && gelf_getchdr(scn, &ch) && ch.ch_type == ELFCOMPRESS_ZLIB) {
		raw = elf_rawdata(scn, NULL);
		if (raw && raw->d_buf && raw->d_size >= sizeof(Elf64_Chdr))
			s = section_stream_zlib((const char *)raw->d_buf + sizeof(Elf64_Chdr),
						raw->d_size - sizeof(Elf64_Chdr), ch.ch_size);
	} else if ((data = elfmod_section_data(m, name, &size))) {
		s = section_stream_plain(data, size);
	}
	if (s) {
		m->streams = xrealloc(m->streams, (m->nstreams + 1) * sizeof(*m->streams));
		m->streams[m->nstreams++] = (struct module_stream){ scn, s };
	}
	return s;
}

static void sym_table_free(struct sym_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].owned_name)
			free((char *)t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void elfmod_close(struct elf_module *m)
{
	if (!m)
		return;
	sym_table_free(&m->funcs);
	sym_table_free(&m->objects);
	sym_table_free(&m->tls_vars);
	sym_table_free(&m->large);
	forget_query(m);
	for (size_t i = 0; i < m->ninflated; i++)
		free(m->inflated[i].data);
	free(m->inflated);
	for (size_t i = 0; i < m->nstreams; i++)
		section_stream_free(m->streams[i].stream);
	free(m->streams);
	if (m->elf)
		elf_end(m->elf);
	close(m->fd);
	free(m->build_id);
	free(m->identity);
	free(m->path);
	free(m);
}

const char *elfmod_path(const struct elf_module *m) { return m->path; }
const char *elfmod_build_id(const struct elf_module *m) { return m->build_id; }
const char *elfmod_identity(const struct elf_module *m) { return m->identity; }

bool elfmod_changed(const struct elf_module *m)
{
	struct stat now;

	return fstat(m->fd, &now) == 0 &&
	       (now.st_size != m->opened.st_size || now.st_mtim.tv_sec != m->opened.st_mtim.tv_sec ||
		now.st_mtim.tv_nsec != m->opened.st_mtim.tv_nsec);
}
uint64_t elfmod_identity_key(const struct elf_module *m) { return m->identity_key; }
bool elfmod_is_pie_or_dso(const struct elf_module *m) { return m->ehdr.e_type == ET_DYN; }

/* A symbol as the iteration below hands it out: its name as in the
 * file, "@VER" or "@@VER" included.  Nothing reads a name it does not
 * need: LLVM's 260,000 mangled names are 20 MB of strings. */
struct elf_symbol {
	GElf_Sym sym;
	const char *name;
	bool hidden_version;    /* .dynsym's: an old ABI's entry point */
};

typedef void (*symbol_fn)(void *arg, const struct elf_symbol *s);
typedef bool (*symbol_filter)(const GElf_Sym *sym);

static bool is_defined(const GElf_Sym *sym)
{
	return sym->st_shndx != SHN_UNDEF && sym->st_shndx != SHN_ABS;
}

static bool is_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && is_defined(sym);
}

static bool is_data_object(const GElf_Sym *sym)
{
	return GELF_ST_TYPE(sym->st_info) == STT_OBJECT && sym->st_size > 0 && is_defined(sym);
}

static bool is_tls_variable(const GElf_Sym *sym)
{
	return GELF_ST_TYPE(sym->st_info) == STT_TLS && sym->st_size > 0 && is_defined(sym);
}

/* The translated (host order) contents of a section, or NULL. */
static const void *section_array(Elf_Scn *scn, Elf_Type type, size_t *size)
{
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;

	if (!data || !data->d_buf || data->d_type != type)
		return NULL;
	*size = data->d_size;
	return data->d_buf;
}

/* A symbol table read in place: the arrays libelf translated. */
struct symbol_view {
	const GElf_Sym *syms;
	size_t n;
	const char *strtab;
	size_t strsize;             /* strtab[strsize - 1] is a NUL */
	const Elf64_Versym *versym; /* .dynsym's versions, or NULL */
	size_t nversym;
};

static bool view_table(const struct elf_module *m, Elf_Scn *scn, struct symbol_view *v)
{
	GElf_Shdr sh;

	*v = (struct symbol_view){ 0 };
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_entsize != sizeof(*v->syms) ||
	    !(v->syms = section_array(scn, ELF_T_SYM, &v->n)) ||
	    !(v->strtab = section_array(elf_getscn(m->elf, sh.sh_link), ELF_T_BYTE, &v->strsize)))
		return false;
	/* A table ending in a NUL terminates every name in it. */
	if (!v->strsize || v->strtab[v->strsize - 1])
		return false;
	v->n /= sizeof(*v->syms);
	if (scn == m->dynsym && m->versym &&
	    (v->versym = section_array(m->versym, ELF_T_HALF, &v->nversym)))
		v->nversym /= sizeof(*v->versym);
	return true;
}

/* Symbol i of the view, named; false when it has no name. */
static bool view_symbol(const struct symbol_view *v, size_t i, struct elf_symbol *s)
{
	s->sym = v->syms[i];
	if (!s->sym.st_name || s->sym.st_name >= v->strsize)
		return false;
	s->name = v->strtab + s->sym.st_name;
	s->hidden_version = i < v->nversym && (v->versym[i] & 0x8000);
	return true;
}

/* name is base, or base@VER, or base@@VER: how it ends says which. */
static const char *version_of(const char *name, const char *base, size_t base_len)
{
	if (strncmp(name, base, base_len) || (name[base_len] && name[base_len] != '@'))
		return NULL;
	return name + base_len;
}

/* "name@VER" in a .symtab, or a hidden version in .dynsym: an old ABI's
 * entry point, not what a caller gets.  version: version_of()'s. */
static bool is_non_default(const struct elf_symbol *s, const char *version)
{
	return s->hidden_version || (version[0] == '@' && version[1] != '@');
}

/* Calls fn for each named symbol of the table that want accepts, the
 * filter first: cc1's 29,000 dynamic symbols are scanned at each of its
 * execs, while the program waits. */
static void foreach_symbol(const struct elf_module *m, Elf_Scn *scn, symbol_filter want,
			   symbol_fn fn, void *arg)
{
	struct symbol_view v;
	struct elf_symbol s;

	if (!view_table(m, scn, &v))
		return;
	for (size_t i = 1; i < v.n; i++)
		if (want(&v.syms[i]) && view_symbol(&v, i, &s))
			fn(arg, &s);
}

/* The GNU hash of a dynamic symbol's name (the loaders' dl_new_hash). */
static uint32_t gnu_hash(const char *name)
{
	uint32_t h = 5381;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = h * 33 + *c;
	return h;
}

/* Calls fn for each function of .dynsym called name, found through
 * .gnu.hash as the loader finds it (every version of it: fn chooses).
 * False when the module has no usable hash table: then scan. */
static bool foreach_dynamic_named(const struct elf_module *m, const char *name, symbol_fn fn,
				  void *arg)
{
	const uint32_t *words;
	uint32_t nbuckets, symoffset, bloom_words, h = gnu_hash(name);
	size_t len = strlen(name);
	size_t size, nwords, head, nchain;
	struct symbol_view v;
	struct elf_symbol s;

	if (!m->gnu_hash || !view_table(m, m->dynsym, &v) ||
	    !(words = section_array(m->gnu_hash, ELF_T_GNUHASH, &size)) || size < 16)
		return false;
	nwords = size / 4;
	nbuckets = words[0];
	symoffset = words[1];
	bloom_words = words[2];
	head = 4 + 2 * (size_t)bloom_words;    /* 64-bit bloom words */
	if (!nbuckets || bloom_words > nwords || head + nbuckets > nwords)
		return false;
	nchain = nwords - head - nbuckets;
	for (size_t i = words[head + h % nbuckets]; i >= symoffset && i < v.n &&
	     i - symoffset < nchain; i++) {
		uint32_t h2 = words[head + nbuckets + (i - symoffset)];

		if ((h2 | 1) == (h | 1) && is_function(&v.syms[i]) && view_symbol(&v, i, &s) &&
		    version_of(s.name, name, len))
			fn(arg, &s);
		if (h2 & 1)
			break;
	}
	return true;
}

#define PREFIX_BITS 4096

/* Functions looked up by name, all in one pass over a table.  A bloom
 * filter of the names' first four bytes turns most symbols away before
 * any comparison: the hooks ask for 40 names at each module's load, and
 * LLVM's .symtab has 260,000 symbols. */
struct function_query {
	const char *const *names;
	size_t *lens;
	struct elf_function *out;
	bool *found_default;
	size_t n;
	uint64_t prefixes[PREFIX_BITS / 64];
};

/* The bloom bit of a name's first four bytes, up to its end or "@". */
static uint32_t prefix_bit(const char *name)
{
	uint32_t key = 0;

	for (int i = 0; i < 4 && name[i] && name[i] != '@'; i++)
		key |= (uint32_t)(unsigned char)name[i] << (8 * i);
	return (key * 0x9e3779b1u) >> 20;
}

static void match_functions(void *arg, const struct elf_symbol *s)
{
	struct function_query *q = arg;
	uint32_t bit = prefix_bit(s->name);
	const char *version;

	if (!(q->prefixes[bit / 64] >> (bit % 64) & 1))
		return;
	for (size_t i = 0; i < q->n; i++) {
		struct elf_function *f = &q->out[i];

		if (q->lens[i] == SIZE_MAX || !(version = version_of(s->name, q->names[i], q->lens[i])))
			continue;
		/* The default version wins over the compatibility ones. */
		if (f->found && (q->found_default[i] || is_non_default(s, version)))
			continue;
		f->vaddr = s->sym.st_value;
		f->size = s->sym.st_size;
		f->found = true;
		q->found_default[i] = !is_non_default(s, version);
	}
}

/* The query's names not found yet, looked up in .dynsym's hash table
 * rather than scanned for; false when the module has none. */
static bool lookup_dynamic(const struct elf_module *m, struct function_query *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->lens[i] != SIZE_MAX &&
		    !foreach_dynamic_named(m, q->names[i], match_functions, q))
			return false;
	return true;
}

static bool same_query(const struct elf_module *m, const char *const *names, size_t n)
{
	if (!m->found || m->nfound != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], m->found_names[i]))
			return false;
	return true;
}

static void forget_query(struct elf_module *m)
{
	for (size_t i = 0; m->found && i < m->nfound; i++)
		free(m->found_names[i]);
	free(m->found_names);
	free(m->found);
	m->found_names = NULL;
	m->found = NULL;
	m->nfound = 0;
}

static void remember_query(const struct elf_module *m, const char *const *names, size_t n,
			   const struct elf_function *out)
{
	struct elf_module *mm = (struct elf_module *)m;    /* a cache */

	forget_query(mm);
	mm->found_names = xmalloc((n ? n : 1) * sizeof(*mm->found_names));
	mm->found = xmalloc((n ? n : 1) * sizeof(*mm->found));
	for (size_t i = 0; i < n; i++)
		mm->found_names[i] = xstrdup(names[i]);
	memcpy(mm->found, out, n * sizeof(*out));
	mm->nfound = n;
}

void elfmod_find_functions(const struct elf_module *m, const char *const *names, size_t n,
			   struct elf_function *out)
{
	Elf_Scn *tables[] = { m->symtab, m->dynsym };
	struct function_query q = { .names = names, .n = n, .out = out };
	size_t left = n;

	if (same_query(m, names, n)) {
		memcpy(out, m->found, n * sizeof(*out));
		return;
	}
	q.lens = xcalloc(n ? n : 1, sizeof(*q.lens));
	q.found_default = xcalloc(n ? n : 1, sizeof(*q.found_default));
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		uint32_t bit = prefix_bit(names[i]);

		/* A name is asked for without a version: "f@V" names none. */
		q.lens[i] = strchr(names[i], '@') ? SIZE_MAX : strlen(names[i]);
		q.prefixes[bit / 64] |= 1ull << (bit % 64);
	}
	/* .dynsym only for what .symtab does not have. */
	for (size_t t = 0; t < 2 && left; t++) {
		if (!tables[t])
			continue;
		if (tables[t] != m->dynsym || !lookup_dynamic(m, &q))
			foreach_symbol(m, tables[t], is_function, match_functions, &q);
		left = 0;
		for (size_t i = 0; i < n; i++) {
			if (out[i].found)
				q.lens[i] = SIZE_MAX;   /* found: not looked for again */
			else
				left++;
		}
	}
	free(q.lens);
	free(q.found_default);
	remember_query(m, names, n, out);
}

int elfmod_find_function(const struct elf_module *m, const char *name, uint64_t *vaddr, uint64_t *size)
{
	struct elf_function f;

	elfmod_find_functions(m, &name, 1, &f);
	if (!f.found)
		return -1;
	*vaddr = f.vaddr;
	if (size)
		*size = f.size;
	return 0;
}

struct collect {
	symbol_filter want;
	struct sym_table *table;
	uint64_t min_size;          /* smaller symbols are only in the range */
	uint64_t lo, hi;            /* the range of every symbol wanted */
};

static void collect_symbol(void *arg, const struct elf_symbol *s)
{
	struct collect *c = arg;
	struct sym_table *t = c->table;
	struct sym_entry *e;

	c->lo = s->sym.st_value < c->lo ? s->sym.st_value : c->lo;
	c->hi = s->sym.st_value + s->sym.st_size > c->hi ? s->sym.st_value + s->sym.st_size : c->hi;
	if (s->sym.st_size < c->min_size)
		return;
	e = &t->v[t->n++];          /* reserve_table() made room for every symbol */
	*e = (struct sym_entry){ .vaddr = s->sym.st_value, .size = s->sym.st_size,
				 .name = s->name, .bind = GELF_ST_BIND(s->sym.st_info) };
}

/* e's name without its "@VER": copied at the first time it is asked for,
 * since few entries ever are. */
static const char *plain_name(const struct sym_entry *entry)
{
	struct sym_entry *e = (struct sym_entry *)entry;     /* a cache */
	const char *at;

	if (!e->plain) {
		at = strchr(e->name, '@');
		if (at) {
			e->name = strndup(e->name, (size_t)(at - e->name));
			if (!e->name)
				die("out of memory");
			e->owned_name = true;
		}
		e->plain = true;
	}
	return e->name;
}

static int bind_rank(unsigned char bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/* By address; among aliases of one address the name a person would
 * write comes first: sized, fewest leading underscores ("malloc" rather
 * than "__libc_malloc"), global. */
static int compare_entries(const void *a, const void *b)
{
	const struct sym_entry *x = a, *y = b;
	size_t ux, uy;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	ux = strspn(x->name, "_");
	uy = strspn(y->name, "_");
	if (ux != uy)
		return ux < uy ? -1 : 1;
	if (x->bind != y->bind)
		return bind_rank(x->bind) - bind_rank(y->bind);
	return strcmp(x->name, y->name);
}

/* By address; of each run of aliases of one address, the first by
 * compare_entries() comes first (the one kept). */
static void sort_entries(struct sym_table *t)
{
	struct sym_entry *v = t->v;

	/* The entries themselves, not keys then the entries: libLLVM's
	 * 145,000 functions moved to their places took a cache miss each. */
	SORT_BY_KEY(v, t->n, vaddr);
	for (size_t i = 0, run; i < t->n; i += run) {
		size_t best = i;

		for (run = 1; i + run < t->n && v[i + run].vaddr == v[i].vaddr; run++)
			if (compare_entries(&v[i + run], &v[best]) < 0)
				best = i + run;
		struct sym_entry first = v[i];

		v[i] = v[best];
		v[best] = first;
	}
}

/* Room for every symbol of scn at once: a table doubled as it filled was
 * moved by realloc (mremap) each time, and each page moved costs a trap
 * at its next touch in a VM that traps page-table changes (rustc's
 * 400,000 symbols: 12.8 MB of entries).  Only the pages filled are
 * touched. */
static void reserve_table(const struct elf_module *m, Elf_Scn *scn, struct collect *c)
{
	struct symbol_view v;

	if (view_table(m, scn, &v) && v.n > 1)
		c->table->v = xmalloc_array(v.n - 1, sizeof(*c->table->v));
}

/* Sorted by address, one entry per address, from .symtab when the file
 * has one (it holds .dynsym's symbols too), else .dynsym: the symbols
 * want accepts, of c->min_size bytes and more.  c->lo and c->hi: the
 * range of all that want accepts. */
static void build_table(const struct elf_module *m, struct collect *c)
{
	Elf_Scn *scn = m->symtab ? m->symtab : m->dynsym;
	struct sym_table *t = c->table;
	size_t kept = 0;

	t->v = NULL;
	t->n = 0;
	c->lo = UINT64_MAX;
	c->hi = 0;
	if (!scn)
		return;
	reserve_table(m, scn, c);
	foreach_symbol(m, scn, c->want, collect_symbol, c);
	sort_entries(t);
	for (size_t i = 0; i < t->n; i++) {
		if (kept && t->v[kept - 1].vaddr == t->v[i].vaddr) {
			if (t->v[i].owned_name)
				free((char *)t->v[i].name);
			continue;
		}
		t->v[kept++] = t->v[i];
	}
	t->n = kept;
}

static const struct sym_table *objects_of(const struct elf_module *m)
{
	struct elf_module *mm = (struct elf_module *)m;
	struct collect c = { .want = is_data_object, .table = &mm->objects };

	if (!m->objects_ready) {
		build_table(m, &c);
		mm->statics_lo = c.lo;
		mm->statics_hi = c.hi;
		mm->objects_ready = true;
	}
	return &m->objects;
}

/* The statics of min_size bytes and more: one pass over the symbols
 * that reads the names of those alone (LLVM's 104,000 statics took 9 ms
 * to sort, 70 of them of a MiB). */
static const struct sym_table *large_statics(const struct elf_module *m, uint64_t min_size)
{
	struct elf_module *mm = (struct elf_module *)m;
	struct collect c = { .want = is_data_object, .table = &mm->large, .min_size = min_size };

	if (!min_size)
		return objects_of(m);
	if (!m->large_ready || m->large_min != min_size) {
		sym_table_free(&mm->large);
		build_table(m, &c);
		mm->large_min = min_size;
		mm->statics_lo = c.lo;
		mm->statics_hi = c.hi;
		mm->large_ready = true;
	}
	return &m->large;
}

static struct nm_static static_of(const struct sym_entry *e)
{
	return (struct nm_static){ e->vaddr, e->size, plain_name(e) };
}

static void foreach_large(const void *owner, uint64_t min_size, nm_static_fn fn, void *arg,
			  uint64_t *lo, uint64_t *hi)
{
	const struct elf_module *m = owner;
	const struct sym_table *t = large_statics(m, min_size);

	for (size_t i = 0; i < t->n; i++) {
		struct nm_static st = static_of(&t->v[i]);

		fn(arg, &st);
	}
	*lo = m->statics_lo;
	*hi = m->statics_hi;
}

/* The symbol of t holding vaddr. */
static bool find_in(const struct sym_table *t, uint64_t vaddr, struct nm_static *out)
{
	const struct sym_entry *e = SORTED_LAST_AT_MOST(t->v, t->n, vaddr, vaddr);

	if (!e || vaddr - e->vaddr >= e->size)
		return false;
	*out = static_of(e);
	return true;
}

static bool find_static(const void *owner, uint64_t vaddr, struct nm_static *out)
{
	return find_in(objects_of(owner), vaddr, out);
}

struct nm_static_table elfmod_statics(const struct elf_module *m)
{
	return (struct nm_static_table){ m, foreach_large, find_static };
}

/* ---- thread-local variables ---- */

static const struct sym_table *tls_vars_of(const struct elf_module *m)
{
	struct elf_module *mm = (struct elf_module *)m;
	struct collect c = { .want = is_tls_variable, .table = &mm->tls_vars };

	if (!m->tls_vars_ready) {
		build_table(m, &c);
		mm->tls_vars_ready = true;
	}
	return &m->tls_vars;
}

/* Each thread's copy of the variables is entered when a sample hits it:
 * none is large at once. */
static void foreach_large_tls(const void *owner, uint64_t min_size, nm_static_fn fn, void *arg,
			      uint64_t *lo, uint64_t *hi)
{
	(void)owner, (void)min_size, (void)fn, (void)arg;
	*lo = *hi = 0;
}

static bool find_tls(const void *owner, uint64_t offset, struct nm_static *out)
{
	return find_in(tls_vars_of(owner), offset, out);
}

uint64_t elf_tls_exe_block(const struct elf_tls *tls, uint64_t tp)
{
	uint64_t mask = tls->align - 1;
	uint64_t firstbyte = -(tls->vaddr & mask) & mask;

	return tp - (((tls->memsz - firstbyte + mask) & ~mask) + firstbyte);
}

bool elf_tls_static_block(const struct elf_tls *tls, uint64_t tp, uint64_t block)
{
	return block < tp && tls->memsz <= tp - block && tp - block <= STATIC_TLS_MAX &&
	       (block - tls->vaddr) % tls->align == 0;
}

bool elfmod_tls(const struct elf_module *m, struct elf_tls *out)
{
	size_t nphdr;
	GElf_Phdr ph;

	if (elf_getphdrnum(m->elf, &nphdr))
		return false;
	for (size_t i = 0; i < nphdr; i++)
		if (gelf_getphdr(m->elf, i, &ph) && ph.p_type == PT_TLS && ph.p_memsz) {
			*out = (struct elf_tls){
				.vaddr = ph.p_vaddr, .memsz = ph.p_memsz,
				.align = ph.p_align ? ph.p_align : 1,
				.vars = { m, foreach_large_tls, find_tls },
			};
			return true;
		}
	return false;
}

int elfmod_find_object(const struct elf_module *m, const char *name, uint64_t *vaddr)
{
	const struct sym_table *t = objects_of(m);
	size_t len = strlen(name);

	for (size_t i = 0; i < t->n; i++)
		if (version_of(t->v[i].name, name, len)) {
			*vaddr = t->v[i].vaddr;
			return 0;
		}
	return -1;
}

/* The function holding vaddr, or NULL. */
static const struct sym_entry *function_at(const struct elf_module *m, uint64_t vaddr)
{
	struct elf_module *mm = (struct elf_module *)m;
	const struct sym_table *t = &m->funcs;
	const struct sym_entry *e;

	if (!m->funcs_ready) {
		build_table(m, &(struct collect){ .want = is_function, .table = &mm->funcs });
		mm->funcs_ready = true;
	}
	e = SORTED_LAST_AT_MOST(t->v, t->n, vaddr, vaddr);
	if (!e)
		return NULL;
	/* A size-0 symbol (hand-written assembly) only names its own start:
	 * stretching it to the next symbol would misname PLT stubs. */
	return vaddr - e->vaddr < (e->size ? e->size : 1) ? e : NULL;
}

int elfmod_symbolize(const struct elf_module *m, uint64_t vaddr, const char **name, uint64_t *off)
{
	const struct sym_entry *e = function_at(m, vaddr);

	if (!e)
		return -1;
	*name = plain_name(e);
	*off = vaddr - e->vaddr;
	return 0;
}

int elfmod_function_at(const struct elf_module *m, uint64_t vaddr, uint64_t *start, uint64_t *size)
{
	const struct sym_entry *e = function_at(m, vaddr);

	if (!e || !e->size)
		return -1;
	*start = e->vaddr;
	*size = e->size;
	return 0;
}

/* The size of a value of DWARF pointer encoding enc; 0: not one of the
 * fixed sizes linkers write in .eh_frame_hdr. */
static size_t encoded_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr: case DW_EH_PE_udata8: case DW_EH_PE_sdata8: return 8;
	case DW_EH_PE_udata4: case DW_EH_PE_sdata4: return 4;
	default: return 0;
	}
}

static uint64_t le_bytes(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* Version 1, with its table as pairs of datarel sdata4 (start, FDE),
 * sorted by start, as every x86-64 linker writes it; else no table. */
static void read_eh_index(struct elf_module *m)
{
	const uint8_t *h;
	size_t size, ptr_size, count_size;
	uint64_t vaddr, vsize, count;

	m->eh_ready = true;
	h = elfmod_section_data(m, ".eh_frame_hdr", &size);
	if (!h || size < 4 || !elfmod_section_range(m, ".eh_frame_hdr", &vaddr, &vsize) ||
	    h[0] != 1 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return;
	ptr_size = encoded_size(h[1]);
	count_size = encoded_size(h[2]);
	if (!ptr_size || !count_size || (h[2] & 0x70) || size < 4 + ptr_size + count_size)
		return;
	count = le_bytes(h + 4 + ptr_size, count_size);
	if (count > (size - 4 - ptr_size - count_size) / 8)
		return;
	m->eh_table = h + 4 + ptr_size + count_size;
	m->eh_count = count;
	m->eh_hdr_vaddr = vaddr;
}

static uint64_t eh_start(const struct elf_module *m, size_t i)
{
	return m->eh_hdr_vaddr + (uint64_t)(int64_t)(int32_t)le_bytes(m->eh_table + 8 * i, 4);
}

int elfmod_code_range(const struct elf_module *m, uint64_t vaddr, uint64_t *start, uint64_t *size)
{
	size_t lo = 0, hi;

	if (!m->eh_ready)
		read_eh_index((struct elf_module *)m);
	if (!m->eh_table)
		return elfmod_function_at(m, vaddr, start, size);
	for (hi = m->eh_count; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (eh_start(m, mid) <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	/* The last FDE's end is not in the table: its function's symbol
	 * says (a program's hot loop is often its last function). */
	if (lo == m->eh_count)
		return elfmod_function_at(m, vaddr, start, size);
	*start = eh_start(m, lo - 1);
	*size = eh_start(m, lo) - *start;
	return 0;
}

uint64_t elfmod_image_end(const struct elf_module *m)
{
	uint64_t end = 0;
	size_t nphdr;

	if (elf_getphdrnum(m->elf, &nphdr))
		return 0;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(m->elf, i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr + ph.p_memsz > end)
			end = ph.p_vaddr + ph.p_memsz;
	}
	return end;
}

int elfmod_load_bias(const struct elf_module *m, const struct map_list *maps,
		     const char *mapped_path, uint64_t *bias)
{
	uint64_t page_mask = ~((uint64_t)sysconf(_SC_PAGESIZE) - 1);
	size_t nphdr;

	if (elf_getphdrnum(m->elf, &nphdr))
		return -1;
	/* The loaders map each PT_LOAD from its page-aligned file offset at
	 * its page-aligned vaddr plus the bias; the first segment found in
	 * the maps gives the bias.  Maps are sorted, so when several segments
	 * share a file page the lowest mapping is the lowest segment. */
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(m->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		for (size_t j = 0; j < maps->n; j++) {
			const struct map_entry *e = &maps->v[j];

			if (e->offset == (ph.p_offset & page_mask) && !strcmp(e->path, mapped_path)) {
				*bias = e->start - (ph.p_vaddr & page_mask);
				return 0;
			}
		}
	}
	return -1;
}
