/* /proc/PID/maps: a pure parser of the text, and a reader around it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "procmaps.h"
#include "sorted.h"

#define DELETED_SUFFIX " (deleted)"

/* A number in base 16 or 10 at *p, then the character sep (consumed;
 * '\0' for none).  Read by hand: sscanf was a tenth of numamma's time on
 * programs made of short processes (maps are read at each exec). */
static bool number(const char **p, int base, char sep, uint64_t *v)
{
	const char *s = *p;
	int digits = 0;

	for (*v = 0;; s++, digits++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;

		if (d < 0)
			break;
		if (*v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		*v = *v * (uint64_t)base + (uint64_t)d;
	}
	if (!digits || (sep && *s != sep))
		return false;
	*p = sep ? s + 1 : s;
	return true;
}

/* One line: "start-end perms offset major:minor inode   path".  The path
 * is everything after the blanks that follow the inode, so it may contain
 * spaces; the kernel appends " (deleted)" to unlinked files. */
static int parse_line(const char *line, struct map_entry *e)
{
	uint64_t major, minor;
	size_t len;

	if (!number(&line, 16, '-', &e->start) || !number(&line, 16, ' ', &e->end) ||
	    strcspn(line, " ") != 4 || line[4] != ' ')
		return -1;
	memcpy(e->perms, line, 4);
	e->perms[4] = '\0';
	line += 5;
	if (!number(&line, 16, ' ', &e->offset) || !number(&line, 16, ':', &major) ||
	    !number(&line, 16, ' ', &minor) || !number(&line, 10, 0, &e->inode) ||
	    major > UINT32_MAX || minor > UINT32_MAX || e->start >= e->end)
		return -1;
	e->dev_major = (unsigned)major;
	e->dev_minor = (unsigned)minor;
	if (*line && *line != ' ' && *line != '\t')
		return -1;         /* junk glued to the inode number */
	line += strspn(line, " \t");
	len = strlen(line);
	e->deleted = len >= strlen(DELETED_SUFFIX) &&
		     !strcmp(line + len - strlen(DELETED_SUFFIX), DELETED_SUFFIX);
	if (e->deleted)
		len -= strlen(DELETED_SUFFIX);
	e->path = strndup(line, len);
	if (!e->path)
		die("out of memory");
	return 0;
}

static int compare_start(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int procmaps_parse(const char *text, struct map_list *out)
{
	size_t cap = 0;
	int ret = 0;

	out->v = NULL;
	out->n = 0;
	while (*text) {
		const char *eol = strchrnul(text, '\n');
		char *line = strndup(text, eol - text);

		if (!line)
			die("out of memory");
		if (*line) {
			if (out->n == cap) {
				cap = cap ? 2 * cap : 64;
				out->v = xrealloc(out->v, cap * sizeof(*out->v));
			}
			if (parse_line(line, &out->v[out->n]) == 0)
				out->n++;
			else
				ret = -1;
		}
		free(line);
		text = *eol ? eol + 1 : eol;
	}
	/* The kernel lists mappings in order; literal text need not. */
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), compare_start);
	return ret;
}

/* The whole file: its size is unknown until read (st_size is 0). */
static char *read_text_file(const char *path)
{
	size_t len = 0, cap = 16384;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			buf = NULL;
			break;
		}
		len += n;
	}
	if (buf)
		buf[len] = '\0';
	int saved = errno;
	close(fd);
	errno = saved;
	return buf;
}

int procmaps_read(pid_t pid, struct map_list *out)
{
	char path[64];
	char *text;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	text = read_text_file(path);
	if (!text)
		return -1;
	/* Reading an exiting process gives an empty file, not an error. */
	if (!*text) {
		free(text);
		errno = ESRCH;
		return -1;
	}
	if (procmaps_parse(text, out) < 0)
		warning("%s: some lines could not be parsed", path);
	free(text);
	return 0;
}

int procmaps_lookup(pid_t pid, uint64_t addr, struct map_entry *out, uint64_t *below)
{
	char path[64], *line = NULL, buf[16384];
	size_t cap = 0;
	int found = -1, any = 0;
	uint64_t prev_end = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* /proc says its files' blocks are 1 KiB: stdio would read a
	 * program's maps in several calls, at every thread's first stop
	 * (and glibc sizes a buffer it allocates by that, whatever it is
	 * asked). */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	while (found < 0 && getline(&line, &cap, f) > 0) {
		uint64_t start = strtoull(line, NULL, 16);

		any = 1;
		if (start > addr)
			break;
		line[strcspn(line, "\n")] = '\0';
		if (parse_line(line, out) < 0)
			continue;
		if (addr < out->end) {
			found = 0;
		} else {
			prev_end = out->end;
			free(out->path);
		}
	}
	free(line);
	fclose(f);
	if (below)
		*below = prev_end;
	if (!any)
		errno = ESRCH;
	return found;
}

void procmaps_free(struct map_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void procmaps_copy(struct map_list *dst, const struct map_list *src)
{
	dst->n = src->n;
	dst->v = xmalloc((src->n ? src->n : 1) * sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		dst->v[i].path = xstrdup(src->v[i].path);
	}
}

const struct map_entry *procmaps_find(const struct map_list *l, uint64_t addr)
{
	const struct map_entry *e = SORTED_LAST_AT_MOST(l->v, l->n, start, addr);

	return e && addr < e->end ? e : NULL;
}
