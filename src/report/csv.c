/* The CSV renderer: one table, a header row of column keys, raw numbers
 * (bytes, ns, percents from 0 to 100), empty fields for unknown values,
 * text quoted when it holds a comma, a quote or a line break (RFC 4180). */
#include <string.h>

#include "error.h"
#include "report.h"

static void csv_text(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Unknown: an empty field. */
static void csv_cell(FILE *f, const struct rcell *c)
{
	char buf[64];
	const char *num = rcell_number(c, buf, sizeof(buf));

	if (num)
		fputs(num, f);
	else if (c->type == RT_TEXT)
		csv_text(f, c->s);
}

int report_render_csv(FILE *f, const struct report *rep, const char *id)
{
	const struct rtable *t = report_table(rep, id);
	char buf[64];

	if (!t)
		return error("no section '%s' in this report", id);
	for (int c = 0; c < t->ncols; c++) {
		fputs(c ? "," : "", f);
		fputs(rcolumn_key(t, c, buf, sizeof(buf)), f);
	}
	fputs("\n", f);
	for (size_t i = 0; i < t->ncells; i++) {
		csv_cell(f, &t->cells[i]);
		fputs((i + 1) % t->ncols ? "," : "\n", f);
	}
	return 0;
}
