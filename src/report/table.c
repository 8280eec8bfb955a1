/* Typed report tables: cells are appended row by row, each with its own
 * type, so that a key/value table can hold a count next to a duration. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"

struct rtable *report_add_table(struct report *rep, const char *id, const struct rcolumn *cols,
				int ncols, const char *title_fmt, ...)
{
	struct rtable *t;
	va_list ap;

	rep->tables = xrealloc(rep->tables, (rep->ntables + 1) * sizeof(*rep->tables));
	t = &rep->tables[rep->ntables++];
	*t = (struct rtable){ .id = id, .cols = cols, .ncols = ncols };
	va_start(ap, title_fmt);
	if (vasprintf(&t->title, title_fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return t;
}

static void add(struct rtable *t, struct rcell c)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->ncells++] = c;
}

void rtable_int(struct rtable *t, int64_t v)
{
	add(t, (struct rcell){ .type = RT_INT, .i = v });
}

void rtable_bytes(struct rtable *t, uint64_t v)
{
	add(t, (struct rcell){ .type = RT_BYTES, .u = v });
}

void rtable_percent(struct rtable *t, double v)
{
	add(t, (struct rcell){ .type = RT_PERCENT, .f = v });
}

void rtable_duration(struct rtable *t, uint64_t ns)
{
	add(t, (struct rcell){ .type = RT_DURATION, .u = ns });
}

void rtable_null(struct rtable *t)
{
	add(t, (struct rcell){ .type = RT_NULL });
}

void rtable_str(struct rtable *t, const char *s)
{
	if (s)
		add(t, (struct rcell){ .type = RT_TEXT, .s = xstrdup(s) });
	else
		rtable_null(t);
}

void rtable_text(struct rtable *t, const char *fmt, ...)
{
	struct rcell c = { .type = RT_TEXT };
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&c.s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	add(t, c);
}

size_t rtable_rows(const struct rtable *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

void report_free(struct report *rep)
{
	for (size_t i = 0; i < rep->ntables; i++) {
		struct rtable *t = &rep->tables[i];

		for (size_t c = 0; c < t->ncells; c++)
			if (t->cells[c].type == RT_TEXT)
				free(t->cells[c].s);
		free(t->cells);
		free(t->title);
		free(t->note);
	}
	free(rep->tables);
	memset(rep, 0, sizeof(*rep));
}
