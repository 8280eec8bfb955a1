/* A process's loaded modules: maps runtime addresses to (module, offset)
 * frames and back.  ELF files are opened once and cached across processes. */
#ifndef NUMAMMA_MODMAP_H
#define NUMAMMA_MODMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "procmaps.h"

struct elf_module;

struct loaded_module {
	struct elf_module *elf;
	const char *path;          /* as mapped */
	uint64_t start, end;       /* lowest and highest mapped address */
	uint64_t bias;             /* runtime = vaddr + bias */
	int generation;            /* modmap generation when first seen */
};

struct modmap {
	struct loaded_module *v;
	size_t n;
	struct map_list maps;      /* last /proc/PID/maps snapshot */
	uint64_t read_ns;          /* when it was read */
	int generation;
	size_t gone;               /* modules the last refresh no longer found */
};

void modmap_init(struct modmap *mm);
void modmap_free(struct modmap *mm);
void modmap_copy(struct modmap *dst, const struct modmap *src);   /* fork */
/* Re-reads /proc/PID/maps; modules not seen before get generation =
 * the new generation number, and those no longer there (unloaded, or
 * mapped again elsewhere) are counted in mm->gone.  Returns the number
 * of new modules, -1 if the process is gone. */
int modmap_refresh(struct modmap *mm, pid_t pid);
const struct loaded_module *modmap_find(const struct modmap *mm, uint64_t addr);
/* Fills frame from an absolute ip: module and path point into the ELF
 * cache and stay valid until modmap_cache_clear().  Returns 0, or -1 when
 * no module holds ip: module is then "[anon]", path "" and offset ip. */
int modmap_frame(const struct modmap *mm, uint64_t ip, struct nm_frame *frame);
/* Whether m is the dynamic loader (a dynamically linked program's). */
bool modmap_is_loader(const struct loaded_module *m);
/* Whether one of mm's modules is (the program is dynamically linked). */
bool modmap_has_loader(const struct modmap *mm);
/* Closes the ELF files shared by all modmaps (at exit: no modmap may be
 * used afterwards). */
void modmap_cache_clear(void);

#endif
