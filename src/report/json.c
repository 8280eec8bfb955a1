/* The JSON renderer: one document, each table a section keyed by its id,
 * rows as objects keyed by column, numbers as raw numbers (bytes, ns,
 * percents from 0 to 100).  doc/report-json.md describes it; bump
 * REPORT_JSON_VERSION when a key changes meaning or goes away. */
#include "report_int.h"

#define REPORT_JSON_VERSION 1

static void json_cell(FILE *f, const struct rcell *c)
{
	char buf[64];
	const char *num = rcell_number(c, buf, sizeof(buf));

	if (num)
		fputs(num, f);
	else if (c->type == RT_TEXT)
		json_string(f, c->s);
	else
		fputs("null", f);
}

/* A table without column names holds key/value rows: one object. */
static void json_values(FILE *f, const struct rtable *t)
{
	fputs(", \"values\": {", f);
	for (size_t i = 0; i + 1 < t->ncells; i += 2) {
		fputs(i ? ", " : "", f);
		json_string(f, t->cells[i].type == RT_TEXT ? t->cells[i].s : "?");
		fputs(": ", f);
		json_cell(f, &t->cells[i + 1]);
	}
	fputs("}", f);
}

static void json_rows(FILE *f, const struct rtable *t)
{
	char buf[64];

	fputs(", \"columns\": [", f);
	for (int c = 0; c < t->ncols; c++) {
		fputs(c ? ", " : "", f);
		json_string(f, rcolumn_key(t, c, buf, sizeof(buf)));
	}
	fputs("], \"rows\": [", f);
	for (size_t i = 0; i < t->ncells; i++) {
		int c = i % t->ncols;

		fputs(c ? ", " : i ? "},\n    {" : "\n    {", f);
		json_string(f, rcolumn_key(t, c, buf, sizeof(buf)));
		fputs(": ", f);
		json_cell(f, &t->cells[i]);
	}
	fputs(t->ncells ? "}]" : "]", f);
}

void report_render_json(FILE *f, const struct report *rep)
{
	fprintf(f, "{\"format\": \"numamma-report\", \"version\": %d,\n \"sections\": {",
		REPORT_JSON_VERSION);
	for (size_t i = 0; i < rep->ntables; i++) {
		const struct rtable *t = &rep->tables[i];

		fputs(i ? ",\n  " : "\n  ", f);
		json_string(f, t->id);
		fputs(": {\"title\": ", f);
		json_string(f, t->title);
		fputs(", \"note\": ", f);
		if (t->note)
			json_string(f, t->note);
		else
			fputs("null", f);
		if (t->cols[0].name)
			json_rows(f, t);
		else
			json_values(f, t);
		fputs("}", f);
	}
	fputs("\n }\n}\n", f);
}
