/* elfsyms: file checks, symbol lookups, build-id and load bias, on
 * programs compiled at test time and on the system's libc. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <gelf.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "section_stream.h"
#include "unit.h"
#include "data/build.h"

#define BUILD_ID "0123456789abcdef0123456789abcdef01234567"

static char *tmpdir;

static char *write_header(const char *name, unsigned char class, uint16_t machine)
{
	unsigned char h[64] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, class, ELFDATA2LSB, EV_CURRENT };
	char *path = xasprintf("%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memcpy(h + EI_NIDENT + 2, &machine, sizeof(machine));
	if (fd < 0 || write(fd, h, sizeof(h)) != sizeof(h))
		abort();
	close(fd);
	return path;
}

static void test_check_file(const char *prog)
{
	char *src = data_source("elfsyms-prog.c");
	char *elf32 = write_header("elf32", ELFCLASS32, EM_386);
	char *arm = write_header("arm64", ELFCLASS64, EM_AARCH64);
	char *x86 = write_header("x86-64", ELFCLASS64, EM_X86_64);

	CHECK_INT(elf_check_file(prog), ELF_OK_64);
	CHECK_INT(elf_check_file(src), ELF_NOT_ELF);
	CHECK_INT(elf_check_file(elf32), ELF_32BIT);
	CHECK_INT(elf_check_file(arm), ELF_OTHER_MACHINE);
	CHECK_INT(elf_check_file(x86), ELF_OK_64);
	CHECK_INT(elf_check_file("/nonexistent/numamma"), ELF_UNREADABLE);
	CHECK(elfmod_open(src) == NULL);
	free(src);
	free(elf32);
	free(arm);
	free(x86);
}

struct seen_objects {
	uint64_t global_vaddr, global_size, local_vaddr, local_size;
	int global_count, local_count, total;
	uint64_t last_vaddr;
	int out_of_order;
};

static void note_object(void *arg, const struct nm_static *st)
{
	struct seen_objects *s = arg;
	const char *name = st->name;
	uint64_t vaddr = st->vaddr, size = st->size;

	if (s->total++ && vaddr <= s->last_vaddr)
		s->out_of_order++;
	s->last_vaddr = vaddr;
	if (!strcmp(name, "prog_global_array")) {
		s->global_count++;
		s->global_vaddr = vaddr;
		s->global_size = size;
	} else if (!strcmp(name, "prog_local_table")) {
		s->local_count++;
		s->local_vaddr = vaddr;
		s->local_size = size;
	}
}

/* Runs the program, reads the addresses it prints and its maps, and
 * checks them against the symbols moved by the computed load bias. */
static void check_runtime_addresses(struct elf_module *m, const char *prog,
				    const struct seen_objects *objs)
{
	int in[2], out[2];
	unsigned long fn_addr = 0, global_addr = 0, local_addr = 0;
	uint64_t fn_vaddr, bias = 0;
	struct map_list maps = { 0 };
	FILE *f;
	pid_t pid;
	int status;

	if (pipe(in) || pipe(out))
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f = fdopen(out[0], "r");
	CHECK_INT(fscanf(f, "%lx %lx %lx", &fn_addr, &global_addr, &local_addr), 3);
	CHECK_INT(procmaps_read(pid, &maps), 0);
	close(in[1]);
	fclose(f);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	CHECK_INT(elfmod_load_bias(m, &maps, prog, &bias), 0);
	if (!elfmod_is_pie_or_dso(m))
		CHECK_INT(bias, 0);
	CHECK_INT(elfmod_find_function(m, "prog_leaf", &fn_vaddr, NULL), 0);
	CHECK_INT(fn_vaddr + bias, fn_addr);
	CHECK_INT(objs->global_vaddr + bias, global_addr);
	CHECK_INT(objs->local_vaddr + bias, local_addr);
	/* Mappings of some other file do not give a bias. */
	CHECK_INT(elfmod_load_bias(m, &maps, "/nonexistent", &bias), -1);
	procmaps_free(&maps);
}

/* The large statics alone, the range of all, and any found by address:
 * what samples need of the others. */
static void test_statics_on_demand(const struct nm_static_table *statics,
				   const struct seen_objects *all)
{
	struct seen_objects large = { 0 };
	struct nm_static st;
	uint64_t lo, hi;

	statics->foreach_large(statics->owner, 300, note_object, &large, &lo, &hi);
	CHECK_INT(large.global_count, 1);
	CHECK_INT(large.local_count, 0);
	CHECK(lo <= all->local_vaddr && all->local_vaddr + all->local_size <= hi);
	CHECK(lo <= all->global_vaddr && all->global_vaddr + all->global_size <= hi);
	CHECK(statics->find(statics->owner, all->local_vaddr + 199, &st));
	CHECK_STR(st.name, "prog_local_table");
	CHECK_INT(st.vaddr, all->local_vaddr);
	CHECK_INT(st.size, 200);
	CHECK(statics->find(statics->owner, all->global_vaddr, &st));
	CHECK_STR(st.name, "prog_global_array");
	CHECK(!statics->find(statics->owner, lo - 1, &st));
}

static void test_program(const char *prog, bool want_pie)
{
	struct elf_module *m = elfmod_open(prog);
	struct seen_objects objs = { 0 };
	struct nm_static_table statics;
	uint64_t lo, hi;
	uint64_t vaddr = 0, size = 0, off, start, fsize;
	const char *name;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_STR(elfmod_path(m), prog);
	CHECK_STR(elfmod_build_id(m), BUILD_ID);
	CHECK_STR(elfmod_identity(m), "buildid:" BUILD_ID);
	CHECK_INT(elfmod_is_pie_or_dso(m), want_pie);

	CHECK_INT(elfmod_find_function(m, "prog_leaf", &vaddr, &size), 0);
	CHECK(vaddr != 0 && size > 8);
	CHECK_INT(elfmod_find_function(m, "prog_lea", &vaddr, &size), -1);
	CHECK_INT(elfmod_find_function(m, "prog_global_array", &vaddr, &size), -1);
	CHECK_INT(elfmod_find_function(m, "prog_leaf", &vaddr, &size), 0);

	CHECK_INT(elfmod_symbolize(m, vaddr, &name, &off), 0);
	CHECK_STR(name, "prog_leaf");
	CHECK_INT(off, 0);
	CHECK_INT(elfmod_symbolize(m, vaddr + size - 1, &name, &off), 0);
	CHECK_STR(name, "prog_leaf");
	CHECK_INT(off, size - 1);
	if (elfmod_symbolize(m, vaddr + size, &name, &off) == 0)
		CHECK(strcmp(name, "prog_leaf"));
	/* The clock sampler's function bounds. */
	CHECK_INT(elfmod_function_at(m, vaddr + size / 2, &start, &fsize), 0);
	CHECK_INT(start, vaddr);
	CHECK_INT(fsize, size);
	/* Its FDE's, up to the next FDE. */
	CHECK_INT(elfmod_code_range(m, vaddr + size / 2, &start, &fsize), 0);
	CHECK_INT(start, vaddr);
	CHECK(fsize >= size && fsize < size + 64);
	CHECK_INT(elfmod_code_range(m, 0, &start, &fsize), -1);
	/* The last FDE's: no FDE after it says where it ends, the symbol does. */
	CHECK_INT(elfmod_find_function(m, "prog_last", &vaddr, &size), 0);
	CHECK_INT(elfmod_code_range(m, vaddr + size / 2, &start, &fsize), 0);
	CHECK_INT(start, vaddr);
	CHECK_INT(fsize, size);

	statics = elfmod_statics(m);
	statics.foreach_large(statics.owner, 0, note_object, &objs, &lo, &hi);
	test_statics_on_demand(&statics, &objs);
	CHECK_INT(objs.global_count, 1);
	CHECK_INT(objs.global_size, 400);
	CHECK_INT(objs.local_count, 1);
	CHECK_INT(objs.local_size, 200);
	CHECK_INT(objs.out_of_order, 0);
	CHECK(objs.global_vaddr != objs.local_vaddr);

	check_runtime_addresses(m, prog, &objs);
	elfmod_close(m);
}

/* Where glibc puts the executable's copy below the thread pointer: its
 * first byte keeps its alignment offset from the file. */
static void test_tls_block_formula(void)
{
	struct elf_tls aligned = { .vaddr = 0x3d80, .memsz = 100, .align = 64 };
	struct elf_tls offset = { .vaddr = 0x3d90, .memsz = 100, .align = 64 };
	struct elf_tls bytes = { .vaddr = 0x3d81, .memsz = 3, .align = 1 };

	CHECK_INT(elf_tls_exe_block(&aligned, 0x10000), 0x10000 - 128);
	/* 48 bytes of padding first: (0x10000 - 112) % 64 == 0x3d90 % 64. */
	CHECK_INT(elf_tls_exe_block(&offset, 0x10000), 0x10000 - 112);
	CHECK_INT(elf_tls_exe_block(&bytes, 0x10000), 0x10000 - 3);

	/* A library's block, read from a thread's DTV: static or not. */
	CHECK(elf_tls_static_block(&aligned, 0x7f0000010000, 0x7f0000010000 - 0x1c0));
	CHECK(!elf_tls_static_block(&aligned, 0x7f0000010000, 0x7f0000010000 - 0x1c8)); /* alignment */
	CHECK(!elf_tls_static_block(&aligned, 0x7f0000010000, 0x7f0000010000 - 0x40));  /* past tp */
	CHECK(!elf_tls_static_block(&aligned, 0x7f0000010000, 0x7f0000010000 + 0x40));  /* above */
	CHECK(!elf_tls_static_block(&aligned, 0x7f0000010000, 0x550000001000));         /* malloc'd */
	CHECK(elf_tls_static_block(&offset, 0x7f0000010000, 0x7f0000010000 - 0x1b0));
}

/* The program prints each thread's pointer and copies: each copy is
 * where elf_tls_exe_block() says, its variable found by its offset. */
static void test_thread_locals(const char *prog)
{
	struct elf_module *m = elfmod_open(prog);
	char *cmd = xasprintf("'%s'", prog), name[32];
	struct elf_tls tls;
	unsigned long addr, tp = 0;
	struct nm_static var;
	int copies = 0;
	FILE *f;

	CHECK(m != NULL);
	if (!m || !(f = popen(cmd, "r")))
		abort();
	CHECK(elfmod_tls(m, &tls));
	CHECK_INT(tls.align, 64);
	while (fscanf(f, "%31s %lx", name, &addr) == 2) {
		uint64_t off = addr - elf_tls_exe_block(&tls, tp);

		if (!strcmp(name, "tp")) {
			tp = addr;
			continue;
		}
		copies++;
		CHECK(off < tls.memsz);
		CHECK(tls.vars.find(tls.vars.owner, off, &var));
		CHECK_STR(var.name, name);
		CHECK_INT(var.vaddr, off);
		CHECK(tls.vars.find(tls.vars.owner, off + var.size - 1, &var));
		CHECK_STR(var.name, name);
	}
	CHECK_INT(pclose(f), 0);
	CHECK_INT(copies, 6);
	free(cmd);
	elfmod_close(m);
}

static void test_no_build_id(const char *prog)
{
	struct elf_module *m = elfmod_open(prog);

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(elfmod_build_id(m) == NULL);
	CHECK_STR(elfmod_identity(m), prog);
	elfmod_close(m);
}

/* Code ranges come from .eh_frame_hdr, so a stripped program has them
 * (cc1's static functions); without that table they are the function
 * symbols'. */
static void test_code_ranges(const char *prog)
{
	char *stripped = xasprintf("%s/stripped-prog", tmpdir), *no_hdr = xasprintf("%s/no-eh-hdr", tmpdir);
	char *cmd = xasprintf("strip -o '%s' '%s' && objcopy -R .eh_frame_hdr '%s' '%s'", stripped,
			      prog, prog, no_hdr);
	uint64_t vaddr = 0, size = 0, start = 0, fsize = 0;
	struct elf_module *m = elfmod_open(prog);

	CHECK(m != NULL);
	if (!m || system(cmd) != 0) {
		fprintf(stderr, "could not strip %s, or copy it without its .eh_frame_hdr\n", prog);
		unit_failures++;
		goto out;
	}
	CHECK_INT(elfmod_find_function(m, "prog_leaf", &vaddr, &size), 0);
	elfmod_close(m);

	m = elfmod_open(stripped);
	CHECK_INT(elfmod_function_at(m, vaddr + size / 2, &start, &fsize), -1);
	CHECK_INT(elfmod_code_range(m, vaddr + size / 2, &start, &fsize), 0);
	CHECK_INT(start, vaddr);
	CHECK(fsize >= size && fsize < size + 64);
	elfmod_close(m);

	m = elfmod_open(no_hdr);
	CHECK_INT(elfmod_code_range(m, vaddr + size / 2, &start, &fsize), 0);
	CHECK_INT(start, vaddr);
	CHECK_INT(fsize, size);
out:
	elfmod_close(m);
	free(cmd);
	free(no_hdr);
	free(stripped);
}

/* "versioned_fn" must resolve to its default version, VER_2, whether it
 * comes from .symtab ("name@@VER") or, stripped, from .dynsym. */
static void test_versioned(void)
{
	char *flags = data_source("versioned-lib.map");
	char *opts = xasprintf("-shared -fPIC -Wl,--version-script='%s'", flags);
	char *lib = data_compile(tmpdir, "versioned.so", "versioned-lib.c", opts);
	char *stripped = xasprintf("%s/stripped.so", tmpdir);
	char *unhashed = xasprintf("%s/unhashed.so", tmpdir);
	/* Stripped, .dynsym is looked up through .gnu.hash; without that
	 * table, scanned. */
	char *cmd = xasprintf("strip -o '%s' '%s' && objcopy -R .gnu.hash '%s' '%s'", stripped,
			      lib ? lib : "", stripped, unhashed);
	const char *libs[] = { lib, stripped, unhashed };
	uint64_t v1 = 0, v2 = 0, got;

	CHECK(lib != NULL);
	if (!lib || system(cmd) != 0) {
		fprintf(stderr, "could not build or strip the versioned library\n");
		unit_failures++;
		goto out;
	}
	struct elf_module *m = elfmod_open(lib);
	CHECK_INT(elfmod_find_function(m, "versioned_fn_v1", &v1, NULL), 0);
	CHECK_INT(elfmod_find_function(m, "versioned_fn_v2", &v2, NULL), 0);
	CHECK(v1 != v2);
	elfmod_close(m);

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		m = elfmod_open(libs[i]);
		CHECK(m != NULL);
		if (!m)
			continue;
		got = 0;
		CHECK_INT(elfmod_find_function(m, "versioned_fn", &got, NULL), 0);
		CHECK_INT(got, v2);
		CHECK_INT(elfmod_find_function(m, "versioned_fn@VER_1", &got, NULL), -1);
		elfmod_close(m);
	}
out:
	free(cmd);
	free(unhashed);
	free(stripped);
	free(lib);
	free(opts);
	free(flags);
}

static const char *const allocator_functions[] = {
	"malloc", "free", "calloc", "realloc", "posix_memalign", "aligned_alloc",
	"memalign", "valloc", "pvalloc", "reallocarray", "mmap", "munmap", "mremap",
};

/* libc's own definition: under a sanitizer, the global lookup finds its
 * interposed allocator first. */
static uint64_t libc_symbol(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	return libc ? (uint64_t)(uintptr_t)dlsym(libc, name) : 0;
}

/* All the allocators at once, with a name libc lacks and one it has in
 * two versions (memcpy@GLIBC_2.2.5 and the default memcpy@@GLIBC_2.14):
 * the answers of one lookup each. */
static void test_batch(struct elf_module *libc)
{
	enum { N = sizeof(allocator_functions) / sizeof(allocator_functions[0]) };
	const char *names[N + 2];
	struct elf_function found[N + 2];
	uint64_t vaddr, size;

	memcpy(names, allocator_functions, sizeof(allocator_functions));
	names[N] = "no_such_function";
	names[N + 1] = "memcpy";
	elfmod_find_functions(libc, names, N + 2, found);
	for (size_t i = 0; i < N + 2; i++) {
		bool one = elfmod_find_function(libc, names[i], &vaddr, &size) == 0;

		CHECK_INT(found[i].found, one);
		if (one) {
			CHECK_INT(found[i].vaddr, vaddr);
			CHECK_INT(found[i].size, size);
		}
	}
	CHECK(!found[N].found);
	CHECK(found[N + 1].found);
}

/* The libc this process runs: every allocator entry point is found, and
 * lands where the dynamic linker put it. */
static void test_libc(void)
{
	struct map_list maps;
	const struct map_entry *e;
	struct elf_module *libc, *ldso;
	uint64_t vaddr, bias;
	const char *name;
	uint64_t off;

	CHECK_INT(procmaps_read(getpid(), &maps), 0);
	e = procmaps_find(&maps, libc_symbol("malloc"));
	CHECK(e != NULL);
	if (!e)
		return;
	libc = elfmod_open(e->path);
	CHECK(libc != NULL);
	if (!libc)
		return;
	CHECK(elfmod_build_id(libc) != NULL);
	CHECK_INT(elfmod_load_bias(libc, &maps, e->path, &bias), 0);
	for (size_t i = 0; i < sizeof(allocator_functions) / sizeof(allocator_functions[0]); i++) {
		const char *fn = allocator_functions[i];

		vaddr = 0;
		CHECK_INT(elfmod_find_function(libc, fn, &vaddr, NULL), 0);
		CHECK_INT(vaddr + bias, libc_symbol(fn));
	}
	/* Two versions: the default one (realpath@@GLIBC_2.3), as dlsym. */
	CHECK_INT(elfmod_find_function(libc, "realpath", &vaddr, NULL), 0);
	CHECK_INT(vaddr + bias, libc_symbol("realpath"));
	test_batch(libc);
	CHECK_INT(elfmod_find_function(libc, "malloc", &vaddr, NULL), 0);
	CHECK_INT(elfmod_symbolize(libc, vaddr + 4, &name, &off), 0);
	CHECK_STR(name, "malloc");
	CHECK_INT(off, 4);
	elfmod_close(libc);
	procmaps_free(&maps);

	ldso = elfmod_open("/lib64/ld-linux-x86-64.so.2");
	CHECK(ldso != NULL);
	if (ldso) {
		CHECK_INT(elfmod_find_function(ldso, "_dl_debug_state", &vaddr, NULL), 0);
		elfmod_close(ldso);
	}
}

/* The file offset and size of a section's bytes, read with libelf. */
static bool section_extent(const char *path, const char *name, off_t *off, size_t *size)
{
	int fd = open(path, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	elf_version(EV_CURRENT);
	e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	while (e && elf_getshdrstrndx(e, &shstrndx) == 0 && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(e, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name)) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			found = true;
			break;
		}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

/* A zlib-compressed .debug_line (-gz=zlib, as Debian's debug packages
 * ship them) reads as the same bytes as the plain one; with its stream
 * damaged, as nothing. */
static void test_compressed_sections(void)
{
	char *plain = data_compile(tmpdir, "prog-gz-none", "elfsyms-prog.c", "-g -gz=none");
	char *packed = data_compile(tmpdir, "prog-gz-zlib", "elfsyms-prog.c", "-g -gz=zlib");
	struct elf_module *a, *b;
	const void *want, *got;
	size_t want_size = 0, got_size = 0, size = 0;
	off_t off = 0;
	int fd;

	if (!plain || !packed) {
		printf("cc cannot build with -gz=zlib: no compressed sections to read\n");
		free(plain);
		free(packed);
		return;
	}
	a = elfmod_open(plain);
	b = elfmod_open(packed);
	CHECK(a && b);
	want = a ? elfmod_section_data(a, ".debug_line", &want_size) : NULL;
	got = b ? elfmod_section_data(b, ".debug_line", &got_size) : NULL;
	CHECK(want && got);
	CHECK_INT(got_size, want_size);
	CHECK(want && got && got_size == want_size && !memcmp(want, got, want_size));
	/* Asked twice: the bytes inflated the first time. */
	CHECK(b && elfmod_section_data(b, ".debug_line", &size) == got);
	/* As a stream: the same bytes, compressed or not. */
	for (int i = 0; i < 2 && want; i++) {
		struct section_stream *s = elfmod_section_stream(i ? b : a, ".debug_line");
		const uint8_t *bytes = s ? section_stream_reveal(s, want_size) : NULL;

		CHECK(s && section_stream_size(s) == want_size);
		CHECK(bytes && !memcmp(bytes, want, want_size));
		CHECK(elfmod_section_stream(i ? b : a, ".debug_line") == s);    /* one each */
	}
	elfmod_close(a);
	elfmod_close(b);

	CHECK(section_extent(packed, ".debug_line", &off, &size) && size > 40);
	fd = open(packed, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "\xff\xff\xff\xff", 4, off + size / 2) == 4);
	close(fd);
	b = elfmod_open(packed);
	CHECK(b && !elfmod_section_data(b, ".debug_line", &size));
	CHECK(b && elfmod_section_stream(b, ".debug_line") &&
	      !section_stream_reveal(elfmod_section_stream(b, ".debug_line"), SIZE_MAX));
	elfmod_close(b);
	free(plain);
	free(packed);
}

/* A PIE, a position-dependent and a static build: each its own TLS
 * access model, one layout. */
static void test_thread_locals_builds(void)
{
	static const char *const flags[] = { "-pthread -fPIE -pie", "-pthread -no-pie", "-pthread -static" };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *out = xasprintf("tls-prog-%zu", i);
		char *prog = data_compile(tmpdir, out, "tls-prog.c", flags[i]);

		if (prog)
			test_thread_locals(prog);
		else
			printf("tls-prog with %s: not built\n", flags[i]);
		CHECK(prog || i == 2);      /* a static libc may be missing */
		free(prog);
		free(out);
	}
}

int main(void)
{
	char *pie, *plain, *static_prog;

	tmpdir = data_tmpdir();
	pie = data_compile(tmpdir, "prog-pie", "elfsyms-prog.c",
			   "-fPIE -pie -Wl,--build-id=0x" BUILD_ID);
	plain = data_compile(tmpdir, "prog-no-id", "elfsyms-prog.c", "-Wl,--build-id=none");
	static_prog = data_compile(tmpdir, "prog-static", "elfsyms-prog.c",
				   "-static -Wl,--build-id=0x" BUILD_ID);
	if (!pie || !plain) {
		data_rmdir(tmpdir);
		UNIT_SKIP("cc cannot build tests/unit/data/elfsyms-prog.c");
	}

	test_check_file(pie);
	test_program(pie, true);
	if (static_prog)
		test_program(static_prog, false);
	else
		printf("static libc missing: no -static variant\n");
	test_no_build_id(plain);
	test_tls_block_formula();
	test_thread_locals_builds();
	test_code_ranges(pie);
	test_versioned();
	test_compressed_sections();
	test_libc();

	free(pie);
	free(plain);
	free(static_prog);
	data_rmdir(tmpdir);
	return unit_done();
}
