/* The ELF reader on damaged files: truncated and mutated copies of real
 * executables and of libc must be read or refused, never crash numamma
 * (a module it hooks may be a file being rewritten, or a bad download).
 * A bounded fuzz run with a fixed seed: the same inputs every time, so a
 * failure reproduces.  Longer runs: NUMAMMA_FUZZ_ROUNDS=100000. */
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsyms.h"
#include "error.h"
#include "unit.h"

static size_t opened, refused;

static void count_object(void *arg, const struct nm_static *s)
{
	(*(size_t *)arg) += s->size > 0;
}

/* Everything numamma asks of a module, on whatever opened. */
static void read_everything(const char *path)
{
	struct elf_module *m = elfmod_open(path);
	uint64_t vaddr, size, off;
	const char *name;
	size_t objects = 0;
	struct nm_static_table statics;
	struct nm_static st;
	uint64_t lo, hi;

	if (!m) {
		refused++;
		return;
	}
	opened++;
	elfmod_build_id(m);
	elfmod_identity(m);
	elfmod_is_pie_or_dso(m);
	if (elfmod_find_function(m, "malloc", &vaddr, &size) == 0)
		elfmod_symbolize(m, vaddr + size / 2, &name, &off);
	statics = elfmod_statics(m);
	statics.foreach_large(statics.owner, 1 << 20, count_object, &objects, &lo, &hi);
	statics.foreach_large(statics.owner, 0, count_object, &objects, &lo, &hi);
	statics.find(statics.owner, lo, &st);
	elfmod_symbolize(m, 0x1000, &name, &off);
	elfmod_image_end(m);
	elfmod_close(m);
	elf_check_file(path);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	unsigned char *buf;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = xmalloc(st.st_size);
	*len = read(fd, buf, st.st_size) == st.st_size ? (size_t)st.st_size : 0;
	close(fd);
	return *len ? buf : NULL;
}

static void write_file(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void truncations(const char *scratch, const unsigned char *buf, size_t len)
{
	for (size_t cut = 0; cut < len; cut += cut < 65536 ? 509 : len / 37) {
		write_file(scratch, buf, cut);
		read_everything(scratch);
	}
}

/* Mutations where they hurt most: the headers and the tables they point
 * at live in the first and the last pages. */
static void mutations(const char *scratch, const unsigned char *buf, size_t len, int rounds)
{
	unsigned char *copy = xmalloc(len);

	srandom(20261129);
	for (int r = 0; r < rounds; r++) {
		memcpy(copy, buf, len);
		for (int k = 0; k < 1 + r % 8; k++) {
			size_t span = len < 8192 ? len : 8192;
			size_t at = random() % 2 ? random() % span : len - 1 - random() % span;

			copy[at] = (unsigned char)random();
		}
		write_file(scratch, copy, len);
		read_everything(scratch);
	}
	free(copy);
}

static const char *libc_path(void)
{
	static char path[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096 + 128];

	path[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "/libc.so.6") && sscanf(line, "%*s %*s %*s %*s %*s %4095s", path) == 1)
			break;
	if (f)
		fclose(f);
	return path[0] ? path : NULL;
}

int main(void)
{
	const char *rounds_env = getenv("NUMAMMA_FUZZ_ROUNDS");
	int rounds = rounds_env ? atoi(rounds_env) : 300;
	const char *files[] = { "/proc/self/exe", libc_path() };
	char scratch[] = "/tmp/numamma-elf-XXXXXX";
	int fd = mkstemp(scratch);

	if (fd < 0)
		UNIT_SKIP("cannot make a scratch file in /tmp");
	close(fd);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		unsigned char *buf = files[i] ? slurp(files[i], &len) : NULL;

		CHECK(buf != NULL);
		if (!buf)
			continue;
		truncations(scratch, buf, len);
		mutations(scratch, buf, len, rounds);
		free(buf);
	}
	unlink(scratch);
	printf("elf reader: %zu damaged files read, %zu refused, no crash\n", opened, refused);
	CHECK(opened > 0 && refused > 0);
	return unit_done();
}
