/* Builds the test programs of tests/unit/data/ at test time, with the
 * system's cc, into a fresh temporary directory. */
#ifndef NUMAMMA_TEST_DATA_BUILD_H
#define NUMAMMA_TEST_DATA_BUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

/* The source tree: tests run from it (tests/run-tests cds there) unless
 * $TOP says otherwise. */
static inline char *data_source(const char *name)
{
	const char *top = getenv("TOP");

	return xasprintf("%s/tests/unit/data/%s", top ? top : ".", name);
}

static inline char *data_tmpdir(void)
{
	char *dir = xstrdup("/tmp/numamma-unit-XXXXXX");

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

/* Runs cmd (freed), which builds path: path, or NULL (freed) when it
 * failed. */
static inline char *data_built(char *cmd, char *path)
{
	int status = system(cmd);

	free(cmd);
	if (status != 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* Compiles source (a file of tests/unit/data/) with flags into dir/out.
 * Returns the output's path, or NULL when cc failed (its errors are in
 * dir/out.log). */
static inline char *data_compile(const char *dir, const char *out, const char *source,
				 const char *flags)
{
	char *src = data_source(source);
	char *path = xasprintf("%s/%s", dir, out);
	char *cmd = xasprintf("cc -g -O0 %s -o '%s' '%s' >'%s.log' 2>&1", flags, path, src, path);

	free(src);
	return data_built(cmd, path);
}

/* The same, the source copied to dir/out.c and compiled there by its
 * relative name: the unit's file is then in its compile directory
 * (DW_AT_comp_dir), not in a directory the line program names. */
static inline char *data_compile_here(const char *dir, const char *out, const char *source,
				      const char *flags)
{
	char *src = data_source(source);
	char *path = xasprintf("%s/%s", dir, out);
	char *cmd = xasprintf("cp '%s' '%s.c' && cd '%s' && cc -g -O0 %s -o '%s' '%s.c' >'%s.log' 2>&1",
			      src, path, dir, flags, out, out, out);

	free(src);
	return data_built(cmd, path);
}

/* Compiles a Rust source of tests/unit/data/ into dir/out with rustc -O;
 * NULL when rustc is not installed or failed (dir/out.log). */
static inline char *data_compile_rust(const char *dir, const char *out, const char *source)
{
	char *src = data_source(source);
	char *path = xasprintf("%s/%s", dir, out);
	char *cmd = xasprintf("command -v rustc >/dev/null && rustc -O -o '%s' '%s' >'%s.log' 2>&1",
			      path, src, path);

	free(src);
	return data_built(cmd, path);
}

static inline void data_rmdir(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(dir);
}

#endif
