/* ELF files through libelf: symbols, build-id, load bias. */
#ifndef NUMAMMA_ELFSYMS_H
#define NUMAMMA_ELFSYMS_H

#include <stdint.h>
#include <stdbool.h>

#include "model.h"
#include "procmaps.h"

struct elf_module;
struct section_stream;

/* What kind of file is at path: used to give exec errors before forking. */
enum elf_check {
	ELF_OK_64,          /* x86-64 ELF executable or shared object */
	ELF_NOT_ELF,        /* e.g. a script: execve decides */
	ELF_32BIT,
	ELF_OTHER_MACHINE,
	ELF_UNREADABLE,
};
enum elf_check elf_check_file(const char *path);

struct elf_module *elfmod_open(const char *path);   /* NULL + errno */
void elfmod_close(struct elf_module *m);
const char *elfmod_path(const struct elf_module *m);
/* Hex build-id (GNU note), or NULL. */
const char *elfmod_build_id(const struct elf_module *m);
/* "buildid:<hex>" when there is a build-id, else the path: the stable
 * module identity stored with frames. */
const char *elfmod_identity(const struct elf_module *m);
/* Was the file written since it was opened (rewritten in place: `cp`
 * onto it, which keeps its inode)?  What was read of it is not its
 * content any more. */
bool elfmod_changed(const struct elf_module *m);
/* hash_module_name(elfmod_identity(m)), computed once. */
uint64_t elfmod_identity_key(const struct elf_module *m);
bool elfmod_is_pie_or_dso(const struct elf_module *m);   /* ET_DYN */

bool elfmod_has_section(const struct elf_module *m, const char *name);
/* The bytes the section called name takes in the file (compressed, if
 * it is); 0 when absent. */
uint64_t elfmod_section_size(const struct elf_module *m, const char *name);
/* Where the loaded section called name lies: its ELF vaddr and size;
 * false when it is absent or not loaded. */
bool elfmod_section_range(const struct elf_module *m, const char *name, uint64_t *vaddr,
			  uint64_t *size);
/* The bytes of the section called name, inflated if it is compressed
 * (SHF_COMPRESSED), valid while m is open; NULL when absent or
 * unreadable. */
const void *elfmod_section_data(const struct elf_module *m, const char *name, size_t *size);
/* The same bytes as they are needed (include/section_stream.h): one
 * stream per section, m's until it is closed; NULL when absent or
 * unreadable. */
struct section_stream *elfmod_section_stream(const struct elf_module *m, const char *name);

/* Looks a function up by name in .symtab, then .dynsym (defined symbols
 * only, STT_FUNC or STT_GNU_IFUNC; the default version "name@@VER" is
 * preferred over compatibility ones "name@VER").
 * Returns 0 and the symbol's st_value (an ELF vaddr), -1 if absent. */
int elfmod_find_function(const struct elf_module *m, const char *name, uint64_t *vaddr, uint64_t *size);
/* The same for n names at once, in one pass over each table. */
struct elf_function {
	bool found;
	uint64_t vaddr, size;
};
void elfmod_find_functions(const struct elf_module *m, const char *const *names, size_t n,
			   struct elf_function *out);

/* The vaddr of the data object called name (as elfmod_statics
 * lists them): 0, or -1 when there is none. */
int elfmod_find_object(const struct elf_module *m, const char *name, uint64_t *vaddr);
/* Every defined data object (STT_OBJECT, so not STT_TLS; st_size > 0;
 * STB_GLOBAL, STB_WEAK and STB_LOCAL) of .symtab, or of .dynsym when
 * there is no .symtab, by increasing vaddr.  Each address once, under
 * its plainest alias ("environ", not "__environ").  Built at the first
 * call; valid while m is open. */
struct nm_static_table elfmod_statics(const struct elf_module *m);

/* A module's thread-local storage (its PT_TLS segment): each thread has
 * a copy of its image, memsz bytes aligned to align, whose variables
 * (STT_TLS symbols) vars finds by their offset in it (an nm_static's
 * vaddr is that offset; foreach_large lists none). */
struct elf_tls {
	uint64_t vaddr, memsz, align;
	struct nm_static_table vars;
};
/* false when m has no thread-local storage. */
bool elfmod_tls(const struct elf_module *m, struct elf_tls *out);
/* Where the program's own copy (the executable's tls) lies for the
 * thread whose thread pointer (fs_base) is tp: x86-64's static TLS is
 * below the thread pointer, the executable's block first, ending at tp
 * less the padding that keeps its first byte's alignment; the static
 * linker relies on it for the executable's own accesses (%fs:-OFFSET). */
uint64_t elf_tls_exe_block(const struct elf_tls *tls, uint64_t tp);
/* Could block be a copy of tls in the static TLS below the thread
 * pointer tp (a library's, from a thread's DTV): below tp, within
 * STATIC_TLS_MAX of it, its first byte aligned as in the file.  A
 * dynamic copy (a dlopen'd library's, allocated at a thread's first
 * access) is elsewhere. */
#define STATIC_TLS_MAX (256ULL << 20)
bool elf_tls_static_block(const struct elf_tls *tls, uint64_t tp, uint64_t block);

/* Function containing vaddr: name (valid while m is open) and offset into
 * it.  -1 if none. */
int elfmod_symbolize(const struct elf_module *m, uint64_t vaddr, const char **name, uint64_t *off);
/* Bounds of the function containing vaddr, [start, start + size) as
 * ELF vaddrs.  -1 if none, or if its symbol gives no size. */
int elfmod_function_at(const struct elf_module *m, uint64_t vaddr, uint64_t *start, uint64_t *size);
/* Bounds of the code containing vaddr for decoding it from its start: an
 * FDE's, from .eh_frame_hdr's sorted table, read in place (up to the next
 * FDE: padding included), which static functions and .cold parts have
 * too; else elfmod_function_at()'s.  Building the function table cost
 * the clock sampler's first sample of cc1 3 ms, while the program waited
 * for its ring to be drained.  -1 if none. */
int elfmod_code_range(const struct elf_module *m, uint64_t vaddr, uint64_t *start, uint64_t *size);

/* Load bias of the module given its mappings in a process (entries whose
 * path is the module's path): runtime address = vaddr + bias.
 * Returns 0, or -1 when no mapping matches a PT_LOAD segment. */
int elfmod_load_bias(const struct elf_module *m, const struct map_list *maps, const char *mapped_path, uint64_t *bias);
/* End of the loaded image (the highest PT_LOAD's vaddr + memsz), before
 * the bias: .bss past the file's last page is anonymous memory in the
 * maps, yet belongs to the module.  0 when there is no PT_LOAD. */
uint64_t elfmod_image_end(const struct elf_module *m);

#endif
