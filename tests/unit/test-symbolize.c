/* symbolize: function, offset and file:line of vaddrs in a program built
 * with -g at test time (PIE and not), and in the system's libc; the line
 * that inlined code came from in its function. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "procmaps.h"
#include "symbolize.h"
#include "unit.h"
#include "data/build.h"

#define SOURCE "elfsyms-prog.c"

/* The number of the first source line of file containing text at or
 * after line from, 0 if none. */
static int line_in(const char *file, const char *text, int from)
{
	char *path = data_source(file);
	FILE *f = fopen(path, "r");
	char buf[512];
	int n = 0, found = 0;

	while (f && !found && fgets(buf, sizeof(buf), f)) {
		n++;
		if (n >= from && strstr(buf, text))
			found = n;
	}
	if (f)
		fclose(f);
	free(path);
	return found;
}

static int source_line_of(const char *text, int from)
{
	return line_in(SOURCE, text, from);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = s ? strlen(s) : 0, lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static void check_function(struct symbolizer *s, struct elf_module *m, const char *prog,
			   const char *fn, const char *definition)
{
	struct sym_info si;
	uint64_t vaddr, size;
	int def_line = source_line_of(definition, 1);
	/* Compilers put the prologue on the declarator's line (clang) or on
	 * the opening brace's (gcc). */
	int brace_line = source_line_of("{", def_line);

	CHECK(def_line > 0 && brace_line >= def_line);
	CHECK_INT(elfmod_find_function(m, fn, &vaddr, &size), 0);
	CHECK_INT(symbolize(s, prog, NULL, vaddr, &si), 0);
	CHECK_STR(si.function, fn);
	CHECK_INT(si.func_offset, 0);
	CHECK(ends_with(si.file, "/" SOURCE));
	CHECK(si.line >= def_line && si.line <= brace_line);
	if (si.line < def_line || si.line > brace_line)
		fprintf(stderr, "%s: line %d, want %d-%d\n", fn, si.line, def_line, brace_line);
	sym_info_free(&si);

	/* The last byte is still in the function, in its body. */
	CHECK_INT(symbolize(s, prog, NULL, vaddr + size - 1, &si), 0);
	CHECK_STR(si.function, fn);
	CHECK_INT(si.func_offset, size - 1);
	CHECK(si.line > brace_line && si.line < brace_line + 15);
	sym_info_free(&si);
}

static void test_program(struct symbolizer *s, const char *prog)
{
	struct elf_module *m = elfmod_open(prog);

	CHECK(m != NULL);
	if (!m)
		return;
	check_function(s, m, prog, "prog_leaf", "int prog_leaf(");
	check_function(s, m, prog, "main", "int main(void)");
	elfmod_close(m);
}

/* A stripped copy whose symbols and lines are in a separate file named
 * by .gnu_debuglink, beside it. */
static void test_separate_debug(struct symbolizer *s, const char *dir, const char *prog)
{
	char *stripped = xasprintf("%s/prog-stripped", dir);
	char *cmd = xasprintf("cd '%s' && objcopy --only-keep-debug '%s' prog.debug && "
			      "strip -s -o prog-stripped '%s' && "
			      "objcopy --add-gnu-debuglink=prog.debug prog-stripped", dir, prog, prog);
	struct elf_module *m = elfmod_open(prog);
	uint64_t vaddr = 0, size, unused;
	const char *name;
	struct sym_info si;

	CHECK(m != NULL);
	CHECK_INT(system(cmd), 0);
	if (m)
		CHECK_INT(elfmod_find_function(m, "prog_leaf", &vaddr, &size), 0);
	elfmod_close(m);
	m = elfmod_open(stripped);
	CHECK(m != NULL);
	if (m)   /* or the names below would not come from the debug file */
		CHECK_INT(elfmod_symbolize(m, vaddr + 1, &name, &unused), -1);
	elfmod_close(m);

	CHECK_INT(symbolize(s, stripped, NULL, vaddr + 1, &si), 0);
	CHECK_STR(si.function, "prog_leaf");
	CHECK_INT(si.func_offset, 1);
	CHECK(ends_with(si.file, "/" SOURCE));
	CHECK(si.line >= source_line_of("int prog_leaf(", 1) &&
	      si.line <= source_line_of("{", source_line_of("int prog_leaf(", 1)));
	sym_info_free(&si);
	free(cmd);
	free(stripped);
}

/* A module with a build id and no debug info anywhere: libdw's standard
 * search would dlopen libdebuginfod (and libcurl) to ask servers that
 * DEBUGINFOD_URLS does not name. */
static void test_no_debuginfod(struct symbolizer *s, const char *dir, const char *prog)
{
	char *bare = xasprintf("%s/prog-bare", dir);
	char *cmd = xasprintf("strip -s -o '%s' '%s'", bare, prog);
	struct sym_info si;
	FILE *maps;
	char line[4096];
	bool loaded = false;

	unsetenv("DEBUGINFOD_URLS");
	CHECK_INT(system(cmd), 0);
	if (symbolize(s, bare, NULL, 0x1000, &si) == 0)
		sym_info_free(&si);
	maps = fopen("/proc/self/maps", "r");
	CHECK(maps != NULL);
	while (maps && fgets(line, sizeof(line), maps))
		loaded = loaded || strstr(line, "libdebuginfod");
	if (maps)
		fclose(maps);
	CHECK(!loaded);
	free(cmd);
	free(bare);
}

/* Debian's libc has no .symtab: names come from .dynsym (or from its
 * debug info, when installed). */
static void test_libc(struct symbolizer *s)
{
	struct map_list maps;
	const struct map_entry *e;
	uint64_t bias, vaddr;
	struct sym_info si;
	struct elf_module *libc;

	CHECK_INT(procmaps_read(getpid(), &maps), 0);
	e = procmaps_find(&maps, (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "calloc"));
	CHECK(e != NULL);
	if (!e || !(libc = elfmod_open(e->path))) {
		unit_failures++;
		procmaps_free(&maps);
		return;
	}
	CHECK_INT(elfmod_load_bias(libc, &maps, e->path, &bias), 0);
	vaddr = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "calloc") - bias;
	CHECK_INT(symbolize(s, e->path, NULL, vaddr + 2, &si), 0);
	CHECK_STR(si.function, "calloc");
	CHECK_INT(si.func_offset, 2);
	printf("libc calloc+2: %s:%d\n", si.file ? si.file : "(no debug info)", si.line);
	sym_info_free(&si);
	elfmod_close(libc);
	procmaps_free(&maps);
}

/* symbolize_if_read() names nothing of a module not read yet, and waits
 * for nothing; once the background thread has read it, it names as
 * symbolize() does. */
static void test_if_read(const char *prog)
{
	struct symbolizer *s = symbolizer_new();
	struct elf_module *m = elfmod_open(prog);
	struct sym_info si, want;
	uint64_t vaddr;

	CHECK(m && elfmod_find_function(m, "prog_leaf", &vaddr, NULL) == 0);
	if (!m)
		goto out;
	CHECK_INT(symbolize_if_read(s, prog, NULL, vaddr, &si), -1);
	CHECK(si.function == NULL);
	symbolizer_prefetch(s, prog, NULL);
	/* symbolize() waits for the thread; then the module is read. */
	CHECK_INT(symbolize(s, prog, NULL, vaddr, &want), 0);
	CHECK_INT(symbolize_if_read(s, prog, NULL, vaddr, &si), 0);
	CHECK_STR(si.function, "prog_leaf");
	CHECK_INT(si.line, want.line);
	sym_info_free(&si);
	sym_info_free(&want);
out:
	elfmod_close(m);
	symbolizer_free(s);
}

/* A program with symbols but no line program anywhere (strip -g, as
 * most of a distribution's programs have them): once read, its functions
 * are named without waiting (no file:line will ever come), and an
 * address no symbol covers is answered 1, nothing to look for later. */
static void test_if_read_no_lines(const char *dir, const char *prog)
{
	char *nolines = xasprintf("%s/prog-nolines", dir);
	char *cmd = xasprintf("strip -g -o '%s' '%s'", nolines, prog);
	struct symbolizer *s = symbolizer_new();
	struct elf_module *m = NULL;
	struct sym_info si;
	uint64_t vaddr = 0;

	CHECK_INT(system(cmd), 0);
	m = elfmod_open(nolines);
	CHECK(m && elfmod_find_function(m, "prog_leaf", &vaddr, NULL) == 0);
	symbolizer_prefetch(s, nolines, NULL);
	CHECK_INT(symbolize(s, nolines, NULL, vaddr + 1, &si), 0);
	sym_info_free(&si);
	CHECK_INT(symbolize_if_read(s, nolines, NULL, vaddr + 1, &si), 0);
	CHECK_STR(si.function, "prog_leaf");
	CHECK_INT(si.func_offset, 1);
	CHECK(si.file == NULL);
	sym_info_free(&si);
	CHECK_INT(symbolize_if_read(s, nolines, NULL, 0, &si), 1);
	CHECK(si.function == NULL && si.file == NULL);
	elfmod_close(m);
	symbolizer_free(s);
	free(cmd);
	free(nolines);
}

/* With the C library being opened in the background, a module asked
 * for is opened at once by the caller (not after libc), and the
 * symbolizer is freed without waiting: the thread frees it as it ends
 * (ASan sees any use after that). */
/* prog opened, and where its prog_leaf is (NULL: it could not be). */
static struct elf_module *prog_leaf(const char *prog, uint64_t *vaddr)
{
	struct elf_module *m = elfmod_open(prog);

	CHECK(m && elfmod_find_function(m, "prog_leaf", vaddr, NULL) == 0);
	return m;
}

static void test_free_while_opening(const char *prog)
{
	struct symbolizer *s = symbolizer_new();
	struct sym_info si;
	uint64_t vaddr;
	struct elf_module *m = prog_leaf(prog, &vaddr);

	symbolizer_prefetch_libc(s);
	symbolizer_prefetch(s, prog, NULL);
	CHECK_INT(m ? symbolize(s, prog, NULL, vaddr, &si) : -1, 0);
	CHECK_STR(si.function, "prog_leaf");
	sym_info_free(&si);
	symbolizer_free(s);
	elfmod_close(m);
	usleep(300 * 1000);
}

/* A module is asked for as a build (its build-id): the file at its path
 * names its code only if it is that build; another build there (the
 * program built again during the run) names none of it, and is asked
 * for as a module of its own. */
static void test_other_build(const char *prog)
{
	struct symbolizer *s = symbolizer_new();
	struct sym_info si;
	uint64_t vaddr;
	struct elf_module *m = prog_leaf(prog, &vaddr);

	if (!m) {
		symbolizer_free(s);
		return;
	}
	CHECK_INT(symbolize(s, prog, "buildid:0123456789abcdef", vaddr, &si), -1);
	CHECK(si.function == NULL);
	CHECK_INT(symbolize(s, prog, elfmod_identity(m), vaddr, &si), 0);
	CHECK_STR(si.function, "prog_leaf");
	sym_info_free(&si);
	CHECK_INT(symbolize_if_read(s, prog, "buildid:0123456789abcdef", vaddr, &si), -1);
	symbolizer_free(s);
	elfmod_close(m);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

#define WARMED 200

/* libc's code, WARMED addresses across it: named in the background
 * (symbolizer_warm()) while the caller names them too, last first, they
 * are named as by a symbolizer alone; one freed with addresses still to
 * warm frees them as its thread ends (ASan in t0190 sees any use after). */
static void test_warm(void)
{
	struct symbolizer *alone = symbolizer_new(), *warmed = symbolizer_new(), *freed;
	struct sym_info want[WARMED], got;
	uint64_t vaddr[WARMED], bias;
	const struct map_entry *e;
	struct elf_module *libc;
	struct map_list maps;
	int differ = 0;

	CHECK_INT(procmaps_read(getpid(), &maps), 0);
	e = procmaps_find(&maps, (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "calloc"));
	if (!e || !(libc = elfmod_open(e->path)) || elfmod_load_bias(libc, &maps, e->path, &bias)) {
		unit_failures++;
		procmaps_free(&maps);
		return;
	}
	for (int k = 0; k < WARMED; k++) {
		vaddr[k] = e->start - bias + (e->end - e->start) / WARMED * k + 5;
		symbolize(alone, e->path, NULL, vaddr[k], &want[k]);
	}
	/* The thread names from the first, the caller from the last: both
	 * grow the module's line table, and meet in the middle. */
	for (int k = 0; k < WARMED; k++)
		symbolizer_warm(warmed, e->path, NULL, vaddr[k]);
	for (int k = WARMED - 1; k >= 0; k--) {
		symbolize(warmed, e->path, NULL, vaddr[k], &got);
		if (!same_str(got.function, want[k].function) || got.func_offset != want[k].func_offset ||
		    !same_str(got.file, want[k].file) || got.line != want[k].line) {
			if (!differ++)
				fprintf(stderr, "libc %#llx: %s+%llu %s:%d warmed, %s+%llu %s:%d alone\n",
					(unsigned long long)vaddr[k], got.function,
					(unsigned long long)got.func_offset, got.file, got.line,
					want[k].function, (unsigned long long)want[k].func_offset,
					want[k].file, want[k].line);
		}
		sym_info_free(&got);
		sym_info_free(&want[k]);
	}
	CHECK_INT(differ, 0);
	freed = symbolizer_new();
	for (int k = 0; k < WARMED; k++)
		symbolizer_warm(freed, e->path, NULL, vaddr[k]);
	symbolizer_free(freed);
	symbolizer_free(warmed);
	symbolizer_free(alone);
	elfmod_close(libc);
	procmaps_free(&maps);
	usleep(300 * 1000);
}

/* Every address of the function name in prog (past its first byte, as
 * return addresses are): those of inlined code name the call at
 * call_line of source; *own counts those with no call line.  Returns the
 * inlined addresses that name line (any line: 0), -1 without the
 * function. */
static int inlined_in(const char *prog, const char *name, const char *source, int call_line,
		      int line, int *own)
{
	int inlined = 0;
	struct symbolizer *s = symbolizer_new();
	struct elf_module *m = elfmod_open(prog);
	uint64_t vaddr, size;
	char *suffix = xasprintf("/%s", source);

	*own = 0;
	if (!m || elfmod_find_function(m, name, &vaddr, &size)) {
		fprintf(stderr, "%s: no function %s\n", prog, name);
		inlined = -1;
	}
	for (uint64_t a = vaddr + 1; inlined >= 0 && a <= vaddr + size; a++) {
		struct sym_info si;

		if (symbolize(s, prog, NULL, a, &si))
			continue;
		/* (The first byte of grab's code, as a return address, is
		 * after a call made before it: the function's own.) */
		if (si.call_file) {
			inlined += !line || si.line == line;
			CHECK(ends_with(si.call_file, suffix));
			CHECK_INT(si.call_line, call_line);
		} else {
			(*own)++;
		}
		sym_info_free(&si);
	}
	if (m)
		elfmod_close(m);
	symbolizer_free(s);
	free(suffix);
	return inlined;
}

/* In outer(), grab()'s code is named by grab's line and called from
 * outer's (the address after it, a return address, names it); outer's
 * own code has no call line.  Also with the DWARF sections compressed,
 * as Go builds them, where the sections numamma never asks libdw about
 * (the variables' location lists, .debug_loclists at -O2) are hidden from
 * it, not inflated. */
static void test_inlined(const char *dir, const char *out, const char *flags)
{
	char *prog = data_compile(dir, out, "inline-prog.c", flags);
	int own;

	CHECK(prog != NULL);
	if (prog)
		CHECK(inlined_in(prog, "outer", "inline-prog.c",
				 line_in("inline-prog.c", "OUTER CALL", 1),
				 line_in("inline-prog.c", "GRAB LINE", 1), &own) > 0 && own > 0);
	free(prog);
}

/* Inlined code no plain function's range holds, found by the walk of its
 * whole unit: a nested function's; and in the second range of a function
 * split in two, found from the function's (GCC's names for the parts). */
static void test_inlined_apart(const char *dir)
{
	const char *src = "inline-ranges.c";
	char *prog = data_compile(dir, "inline-ranges", src, "-O2");
	int own;

	CHECK(prog != NULL);
	if (!prog)
		return;
	CHECK(inlined_in(prog, "nested.0", src, line_in(src, "NESTED CALL", 1), 0, &own) > 0);
	CHECK(inlined_in(prog, "split.cold", src, line_in(src, "COLD CALL", 1), 0, &own) > 0);
	free(prog);
}

int main(void)
{
	char *dir = data_tmpdir();
	char *pie = data_compile(dir, "prog-pie", SOURCE, "-fPIE -pie");
	char *exec = data_compile(dir, "prog-exec", SOURCE, "-fno-PIE -no-pie");
	struct symbolizer *s = symbolizer_new();
	struct sym_info si;

	if (!pie || !exec) {
		data_rmdir(dir);
		UNIT_SKIP("cc cannot build tests/unit/data/" SOURCE);
	}
	test_program(s, pie);
	test_program(s, exec);
	test_separate_debug(s, dir, pie);
	test_no_debuginfod(s, dir, pie);
	test_libc(s);
	test_if_read(pie);
	test_if_read_no_lines(dir, pie);
	test_free_while_opening(pie);
	test_other_build(pie);
	test_warm();
	test_inlined(dir, "inline-prog", "-O2");
	test_inlined(dir, "inline-prog-gz", "-O2 -gz=zlib");
	test_inlined_apart(dir);

	CHECK_INT(symbolize(s, "/nonexistent/lib.so", NULL, 0x1000, &si), -1);
	CHECK(si.function == NULL && si.file == NULL);
	CHECK_INT(symbolize(s, pie, NULL, 0x7fffffff0000ULL, &si), -1);

	symbolizer_free(s);
	free(pie);
	free(exec);
	data_rmdir(dir);
	return unit_done();
}
