/* Typed report tables: cells are appended row by row, each with its own
 * type, so that a key/value table can hold a count next to a duration. */
#include <ctype.h>
#include <inttypes.h>
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

void rtable_address(struct rtable *t, uint64_t addr)
{
	add(t, (struct rcell){ .type = RT_ADDRESS, .u = addr });
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

const struct rtable *report_table(const struct report *rep, const char *id)
{
	for (size_t i = 0; i < rep->ntables; i++)
		if (!strcmp(rep->tables[i].id, id))
			return &rep->tables[i];
	return NULL;
}

const char *rcell_number(const struct rcell *c, char *buf, size_t len)
{
	switch (c->type) {
	case RT_INT:
		snprintf(buf, len, "%" PRId64, c->i);
		return buf;
	case RT_BYTES:
	case RT_DURATION:
	case RT_ADDRESS:
		snprintf(buf, len, "%" PRIu64, c->u);
		return buf;
	case RT_PERCENT:
		snprintf(buf, len, "%.2f", c->f);
		return buf;
	case RT_NULL:
	case RT_TEXT:
		break;
	}
	return NULL;
}

const struct rcell *rtable_get(const struct rtable *t, size_t row, const char *key)
{
	char buf[64];

	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(rcolumn_key(t, c, buf, sizeof(buf)), key))
			return row < rtable_rows(t) ? &t->cells[row * t->ncols + c] : NULL;
	return NULL;
}

const char *rcolumn_key(const struct rtable *t, int col, char *buf, size_t len)
{
	const char *name = t->cols[col].name;
	size_t i;

	if (!name)
		return col ? "value" : "key";
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == ' ' ? '_' : tolower((unsigned char)name[i]);
	buf[i] = 0;
	return buf;
}
