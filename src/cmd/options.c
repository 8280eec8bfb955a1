#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "number.h"
#include "options.h"

uint64_t opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_number(arg, 0, min, max, &v) < 0)
		die("%s: invalid --%s '%s' (want %llu..%llu)", cmd, opt, arg,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

uint64_t opt_size(const char *cmd, const char *opt, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v) < 0)
		die("%s: invalid --%s '%s' (want bytes, e.g. 4096, 64K, 1M)", cmd, opt, arg);
	return v;
}

double opt_seconds(const char *cmd, const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0))
		die("%s: invalid --%s '%s' (want seconds > 0)", cmd, opt, arg);
	return v;
}

pid_t opt_pid(const char *cmd, const char *arg)
{
	return (pid_t)opt_u64(cmd, "pid", arg, 1, 4194304);
}

enum intercept_mode opt_intercept(const char *cmd, const char *arg)
{
	static const char *const modes[] = {
		[INTERCEPT_AUTO] = "auto", [INTERCEPT_AGENT] = "agent", [INTERCEPT_TRAP] = "trap",
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i], arg))
			return (enum intercept_mode)i;
	error("%s: unknown --intercept mode '%s'", cmd, arg);
	hint("modes: auto, agent, trap");
	exit(NM_EXIT_FAILURE);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "numamma: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	hint("see 'numamma %s --help'", cmd);
	return NM_EXIT_FAILURE;
}

int option_error(const char *cmd, int opt, char **argv)
{
	/* getopt has not moved past a bad letter inside "-xyz" yet, but has
	 * moved past a bad long option. */
	char letter[3] = { '-', (char)optopt, 0 };
	const char *name = optopt ? letter : argv[optind - 1];

	if (opt == ':')
		return usage_error(cmd, "option '%s' needs a value", name);
	return usage_error(cmd, "unknown option '%s'", name);
}

static int needs_quotes(const char *s)
{
	return !*s || strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") != NULL;
}

char *join_command(char **argv)
{
	size_t cap = 1, len = 0;
	char *out;

	for (char **a = argv; *a; a++)
		cap += 4 * strlen(*a) + 3;
	out = xmalloc(cap);
	for (char **a = argv; *a; a++) {
		if (a != argv)
			out[len++] = ' ';
		if (!needs_quotes(*a)) {
			len += sprintf(out + len, "%s", *a);
			continue;
		}
		out[len++] = '\'';
		for (const char *c = *a; *c; c++) {
			if (*c == '\'') {
				memcpy(out + len, "'\\''", 4);
				len += 4;
			} else {
				out[len++] = *c;
			}
		}
		out[len++] = '\'';
	}
	out[len] = 0;
	return out;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The profiles in a directory (a job's per-rank files): its *.db files,
 * in name order, appended to v. */
static int add_directory(const char *dir, const char ***v, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int first = *n;

	if (!d)
		return error_errno("cannot read '%s'", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 3 && !strcmp(de->d_name + len - 3, ".db")) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	qsort(*v + first, *n - first, sizeof(**v), by_name);
	if (*n == first)
		return error("no profile (*.db) in '%s'", dir);
	return 0;
}

/* The command line's profiles, a directory standing for its *.db files;
 * numamma.db when none is named.  NULL after an error line. */
const char **profile_paths(char **args, int *npaths)
{
	const char **v = NULL;
	int n = 0;
	struct stat st;

	for (int i = 0; i < *npaths; i++) {
		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (add_directory(args[i], &v, &n) < 0) {
				free(v);
				return NULL;
			}
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = args[i];
	}
	if (!n) {
		v = xrealloc(v, sizeof(*v));
		v[n++] = "numamma.db";
	}
	*npaths = n;
	return v;
}
