/* The HTML renderer: one self-contained page (no network: inline CSS,
 * inline SVG, a few lines of inline JS to sort tables) that answers
 * "which objects are remote, who touches them, what should I do" at a
 * glance.  Its size is bounded by --top, whatever the profile's: every
 * table has at most --top rows, and the plots (html_plots.c) have at
 * most --top objects, 48 x 16 heat-map cells each, 24 x 24 threads. */
#include <inttypes.h>
#include <string.h>

#include "html.h"

void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;padding:0 1em;max-width:72em;"
	"color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;text-align:left}"
	"td.n,th.n{text-align:right}th{background:#eee;cursor:pointer;user-select:none}"
	"tr:nth-child(even) td{background:#f7f7f7}.note{color:#666;font-style:italic}"
	".headline{background:#fff4e0;border-left:4px solid #e67e22;padding:.5em 1em}"
	"svg text{font:11px system-ui,sans-serif}code{font-size:13px}"
	"details{margin:.4em 0}summary{cursor:pointer;font-weight:600}";

/* Click a header to sort by it; numbers sort by their raw value
 * (data-v), the rest as text.  body gets data-ready once it ran: the
 * tests look for it. */
static const char script[] =
	"document.querySelectorAll('table.sort th').forEach(function(th){"
	"th.addEventListener('click',function(){"
	"var i=th.cellIndex,tb=th.closest('table').tBodies[0],asc=th.dataset.asc!=='1';"
	"th.dataset.asc=asc?'1':'0';"
	"Array.from(tb.rows).sort(function(a,b){"
	"var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;"
	"var r=x!==undefined&&y!==undefined?x-y:"
	"a.cells[i].textContent.localeCompare(b.cells[i].textContent);"
	"return asc?r:-r;}).forEach(function(r){tb.appendChild(r);});});});"
	"document.body.dataset.ready='1';";

static void html_cell(FILE *f, const struct rcolumn *col, const struct rcell *c)
{
	char buf[64], raw[64];
	const char *num = rcell_number(c, raw, sizeof(raw));

	fputs(col->align == 'r' ? "<td class=n" : "<td", f);
	if (num)
		fprintf(f, " data-v=\"%s\"", num);
	fputs(">", f);
	html_text(f, rcell_text(col, c, buf, sizeof(buf)));
	fputs("</td>", f);
}

/* A table as a sortable HTML table (its data-only columns left out). */
void html_table(FILE *f, const struct rtable *t)
{
	if (t->note) {
		fputs("<p class=note>", f);
		html_text(f, t->note);
		fputs("</p>\n", f);
		return;
	}
	if (!t->ncells) {
		fputs("<p class=note>none</p>\n", f);
		return;
	}
	fprintf(f, "<table class=sort id=\"t-%s\">", t->id);
	if (t->cols[0].name) {
		fputs("<thead><tr>", f);
		for (int c = 0; c < t->ncols; c++)
			if (!t->cols[c].data_only)
				fprintf(f, "<th%s>%s</th>", t->cols[c].align == 'r' ? " class=n" : "",
					t->cols[c].name);
		fputs("</tr></thead>", f);
	}
	fputs("<tbody>\n", f);
	for (size_t i = 0; i < t->ncells; i++) {
		int c = i % t->ncols;

		fputs(c ? "" : "<tr>", f);
		if (!t->cols[c].data_only)
			html_cell(f, &t->cols[c], &t->cells[i]);
		fputs(c == t->ncols - 1 ? "</tr>\n" : "", f);
	}
	fputs("</tbody></table>\n", f);
}

static void html_section(FILE *f, const struct report *rep, const char *id, const char *heading)
{
	const struct rtable *t = report_table(rep, id);

	if (!t)
		return;
	fputs("<h2>", f);
	html_text(f, heading ? heading : t->title);
	fputs("</h2>\n", f);
	html_table(f, t);
}

void report_render_html(FILE *f, const struct report *rep, const struct prof_run *run)
{
	const char *cmd = run->run.command ? run->run.command : "?";

	fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
	      "<meta name=viewport content=\"width=device-width\">\n<title>numamma report: ", f);
	html_text(f, cmd);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>numamma report: <code>", style);
	html_text(f, cmd);
	fputs("</code></h1>\n", f);
	if (report_table(rep, "diff")) {
		html_diff(f, rep);
		html_section(f, rep, "diff", NULL);
		fprintf(f, "<script>%s</script>\n</body></html>\n", script);
		return;
	}
	if (!report_table(rep, "object"))
		html_headline(f, rep, run);
	html_section(f, rep, "run", "Run");
	html_section(f, rep, "object", NULL);
	html_section(f, rep, "accessed", "Most accessed objects");
	html_remote_bars(f, rep);
	html_node_bars(f, run);
	html_objects(f, rep, run);
	html_sharing(f, rep);
	html_section(f, rep, "lines", "False-sharing candidates: cache lines written by several threads");
	html_section(f, rep, "placement", "Placement outcome (numamma run): pages on the intended nodes");
	html_section(f, rep, "objects", NULL);
	html_section(f, rep, "callsites", NULL);
	html_section(f, rep, "threads", NULL);
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
}
