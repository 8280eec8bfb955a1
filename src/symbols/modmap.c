/* A process's loaded modules, from /proc/PID/maps, with their load bias.
 *
 * ELF files are opened once per run and shared by every process that maps
 * them (a traced program and its children load the same libraries), so
 * the cache below is global and lives until modmap_cache_clear(). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "model.h"
#include "modmap.h"
#include "ownlimits.h"
#include "sorted.h"

/* A file as the maps name it: its path, and its device and inode, which
 * tell a file built again at the same path (a test compiled and run, then
 * compiled and run again) from the one read before: its symbols, its
 * hooks' places and its unwind data are its own (the first one's made
 * the agent read the second's unwind data where the first had it, past
 * its end: the program died of SIGSEGV).  The maps' numbers, not stat()'s,
 * which differ from them on overlayfs (a container's files). */
struct cached_elf {
	char *path;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	struct elf_module *elf;     /* NULL: not an ELF file, not retried */
};

static struct cached_elf *elf_cache;
static size_t elf_cache_n, elf_cache_cap;

static bool same_file(const struct cached_elf *c, const struct map_entry *e)
{
	return c->inode == e->inode && c->dev_major == e->dev_major &&
	       c->dev_minor == e->dev_minor && !strcmp(c->path, e->path);
}

static struct cached_elf *cache_lookup(const struct map_entry *e)
{
	const char *path = e->path;
	struct cached_elf *c;

	/* The newest first: a file built again is asked for again.  One
	 * rewritten in place (its inode the same) is read again too: an
	 * fstat() per module read, 1.3 us. */
	for (size_t i = elf_cache_n; i-- > 0;)
		if (same_file(&elf_cache[i], e)) {
			if (elf_cache[i].elf && elfmod_changed(elf_cache[i].elf))
				break;
			return &elf_cache[i];
		}
	if (elf_cache_n == elf_cache_cap) {
		elf_cache_cap = elf_cache_cap ? 2 * elf_cache_cap : 64;
		elf_cache = xrealloc(elf_cache, elf_cache_cap * sizeof(*elf_cache));
	}
	c = &elf_cache[elf_cache_n++];
	c->path = xstrdup(path);
	c->dev_major = e->dev_major;
	c->dev_minor = e->dev_minor;
	c->inode = e->inode;
	errno = 0;
	c->elf = elf_check_file(path) == ELF_OK_64 ? elfmod_open(path) : NULL;
	if (c->elf)
		debug("opened %s (%s)", path, elfmod_identity(c->elf));
	else
		own_limits_tell_unopened(path, errno);
	return c;
}

void modmap_cache_clear(void)
{
	for (size_t i = 0; i < elf_cache_n; i++) {
		elfmod_close(elf_cache[i].elf);
		free(elf_cache[i].path);
	}
	free(elf_cache);
	elf_cache = NULL;
	elf_cache_n = elf_cache_cap = 0;
}

void modmap_init(struct modmap *mm)
{
	memset(mm, 0, sizeof(*mm));
}

void modmap_free(struct modmap *mm)
{
	free(mm->v);
	procmaps_free(&mm->maps);
	modmap_init(mm);
}

void modmap_copy(struct modmap *dst, const struct modmap *src)
{
	*dst = *src;
	dst->v = xmalloc((src->n ? src->n : 1) * sizeof(*dst->v));
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	procmaps_copy(&dst->maps, &src->maps);
}

/* Mappings that can be a module: a file still on disk ([vdso] and the
 * like have no file to read symbols from; a deleted file's path may now
 * name another file). */
static bool maps_a_file(const struct map_entry *e)
{
	return e->path[0] == '/' && !e->deleted;
}

/* The module of path in v, widening its span to e; NULL when new. */
static struct loaded_module *widen_known(struct loaded_module *v, size_t n,
					 const struct map_entry *e)
{
	for (size_t i = n; i-- > 0;) {
		if (strcmp(v[i].path, e->path))
			continue;
		if (e->start < v[i].start)
			v[i].start = e->start;
		if (e->end > v[i].end)
			v[i].end = e->end;
		return &v[i];
	}
	return NULL;
}

/* One loaded_module per ELF file mapped, spanning all its mappings. */
static size_t collect_modules(const struct map_list *maps, struct loaded_module **out)
{
	struct loaded_module *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];
		struct cached_elf *c;

		if (!maps_a_file(e) || widen_known(v, n, e))
			continue;
		c = cache_lookup(e);
		if (!c->elf)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = (struct loaded_module){
			.elf = c->elf, .path = c->path, .start = e->start, .end = e->end,
		};
	}
	*out = v;
	return n;
}

/* The module spans its whole image, .bss included. */
static void widen_to_image(struct loaded_module *lm)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t end = elfmod_image_end(lm->elf);

	end = (lm->bias + end + page - 1) / page * page;
	if (end > lm->end)
		lm->end = end;
}

static const struct loaded_module *find_by_path(const struct modmap *mm, const char *path)
{
	for (size_t i = 0; i < mm->n; i++)
		if (!strcmp(mm->v[i].path, path))
			return &mm->v[i];
	return NULL;
}

static int compare_start(const void *a, const void *b)
{
	const struct loaded_module *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int modmap_refresh(struct modmap *mm, pid_t pid)
{
	struct map_list maps;
	struct loaded_module *v;
	size_t n, kept = 0, still = 0;
	int added = 0;

	/* Before the read: a mapping made during it may be in it or not. */
	uint64_t read_ns = now_ns();

	if (procmaps_read(pid, &maps) < 0)
		return -1;
	mm->read_ns = read_ns;
	mm->generation++;
	n = collect_modules(&maps, &v);
	for (size_t i = 0; i < n; i++) {
		struct loaded_module *lm = &v[i];
		const struct loaded_module *old;

		/* Mapped without any PT_LOAD at its place: not loaded code
		 * (e.g. a library the program reads with mmap). */
		if (elfmod_load_bias(lm->elf, &maps, lm->path, &lm->bias) < 0)
			continue;
		widen_to_image(lm);
		old = find_by_path(mm, lm->path);
		if (old && old->bias == lm->bias) {
			lm->generation = old->generation;
			still++;
		} else {
			lm->generation = mm->generation;
			added++;
			debug("pid %d: %s at %#" PRIx64 "-%#" PRIx64 ", bias %#" PRIx64,
			      (int)pid, lm->path, lm->start, lm->end, lm->bias);
		}
		v[kept++] = *lm;
	}
	qsort(v, kept, sizeof(*v), compare_start);
	mm->gone = mm->n > still ? mm->n - still : 0;
	free(mm->v);
	procmaps_free(&mm->maps);
	mm->v = v;
	mm->n = kept;
	mm->maps = maps;
	return added;
}

const struct loaded_module *modmap_find(const struct modmap *mm, uint64_t addr)
{
	const struct loaded_module *m = SORTED_LAST_AT_MOST(mm->v, mm->n, start, addr);

	return m && addr < m->end ? m : NULL;
}

int modmap_frame(const struct modmap *mm, uint64_t ip, struct nm_frame *frame)
{
	const struct loaded_module *lm = modmap_find(mm, ip);

	frame->ip = ip;
	if (!lm) {
		frame->module = "[anon]";
		frame->module_key = 0;
		frame->path = "";
		frame->offset = ip;
		return -1;
	}
	frame->module = elfmod_identity(lm->elf);
	frame->module_key = elfmod_identity_key(lm->elf);
	frame->path = lm->path;
	frame->offset = ip - lm->bias;
	return 0;
}

bool modmap_is_loader(const struct loaded_module *m)
{
	const char *base = strrchr(m->path, '/');

	base = base ? base + 1 : m->path;
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld.so", 5);
}

bool modmap_has_loader(const struct modmap *mm)
{
	for (size_t i = 0; i < mm->n; i++)
		if (modmap_is_loader(&mm->v[i]))
			return true;
	return false;
}
