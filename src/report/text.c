/* The plain-text renderer: each table under its title, every column as
 * wide as its widest cell, numbers right-aligned in human units. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"

/* "512 B", "1.5 MiB". */
static const char *human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static const char *human_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, len, "%.3f s", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
	return buf;
}

const char *rcell_text(const struct rcolumn *col, const struct rcell *c, char *buf, size_t len)
{
	switch (c->type) {
	case RT_NULL:
		return col->null_text ? col->null_text : "";
	case RT_INT:
		snprintf(buf, len, "%" PRId64, c->i);
		return buf;
	case RT_BYTES:
		return human_size(buf, len, c->u);
	case RT_PERCENT:
		snprintf(buf, len, "%.*f%%", col->decimals, c->f);
		return buf;
	case RT_DURATION:
		return human_duration(buf, len, c->u);
	case RT_ADDRESS:
		snprintf(buf, len, "%#" PRIx64, c->u);
		return buf;
	case RT_TEXT:
		return c->s;
	}
	return "";
}

/* Columns kept for the data formats (ids to join tables on) are not
 * printed. */
static void print_row(FILE *out, const struct rtable *t, const char *const *cells, const int *width)
{
	int last = t->ncols - 1;

	while (last > 0 && t->cols[last].data_only)
		last--;
	fputs(" ", out);
	for (int c = 0; c <= last; c++) {
		if (t->cols[c].data_only)
			continue;
		if (t->cols[c].align == 'r')
			fprintf(out, " %*s", width[c], cells[c]);
		else
			fprintf(out, " %-*s", c == last ? 0 : width[c], cells[c]);
	}
	fputs("\n", out);
}

/* Where in the code, as a terminal shows it (report_shorten_name()). */
#define CODE_WIDTH 100

/* The cells as text, and each column's width (headers included). */
static char **format_cells(const struct rtable *t, int *width)
{
	char **text = xcalloc(t->ncells + 1, sizeof(*text));
	char buf[64];

	for (int c = 0; c < t->ncols; c++)
		width[c] = t->cols[c].name ? strlen(t->cols[c].name) : 0;
	for (size_t i = 0; i < t->ncells; i++) {
		int col = i % t->ncols, w;

		if (t->cols[col].code && t->cells[i].type == RT_TEXT)
			text[i] = report_shorten_name(t->cells[i].s, CODE_WIDTH);
		else
			text[i] = xstrdup(rcell_text(&t->cols[col], &t->cells[i], buf, sizeof(buf)));
		w = strlen(text[i]);
		if (w > width[col])
			width[col] = w;
	}
	return text;
}

/* Headers are left out when the columns have no names, and a table with
 * headers and no rows says "none". */
static void print_table(FILE *out, const struct rtable *t)
{
	int width[t->ncols];
	const char *headers[t->ncols];
	char **text;

	if (t->cols[0].name && !t->ncells) {
		fputs("  none\n", out);
		return;
	}
	text = format_cells(t, width);
	for (int c = 0; c < t->ncols; c++)
		headers[c] = t->cols[c].name ? t->cols[c].name : "";
	if (t->cols[0].name)
		print_row(out, t, headers, width);
	for (size_t i = 0; i + t->ncols <= t->ncells; i += t->ncols)
		print_row(out, t, (const char *const *)&text[i], width);
	for (size_t i = 0; i < t->ncells; i++)
		free(text[i]);
	free(text);
}

/* Tables are separated by a blank line. */
void report_render_text(FILE *f, const struct report *rep)
{
	for (size_t i = 0; i < rep->ntables; i++) {
		const struct rtable *t = &rep->tables[i];

		fprintf(f, "%s%s\n", i ? "\n" : "", t->title);
		if (t->note)
			fprintf(f, "  %s\n", t->note);
		else
			print_table(f, t);
	}
}
