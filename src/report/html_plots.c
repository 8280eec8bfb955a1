/* The plots of the HTML page, as inline SVG: local vs remote per object,
 * samples per node, a heat map of each hot object's pages by thread and
 * the thread x thread sharing matrix.  Each is bounded (see html.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "html.h"
#include "report_int.h"

#define HEAT_COLS 48            /* page buckets */
#define HEAT_ROWS 16            /* threads */
#define MATRIX_MAX 24           /* threads */

static uint64_t cell_u(const struct rtable *t, size_t row, const char *key)
{
	const struct rcell *c = rtable_get(t, row, key);

	return !c || c->type == RT_NULL ? 0 : c->type == RT_INT ? (uint64_t)c->i : c->u;
}

static const char *cell_s(const struct rtable *t, size_t row, const char *key, char *buf, size_t len)
{
	const struct rcell *c = rtable_get(t, row, key);
	int col = c ? (int)((c - t->cells) % t->ncols) : 0;

	return c ? rcell_text(&t->cols[col], c, buf, len) : "?";
}

/* "#166 malloc (64.0 MiB)" */
static void object_label(FILE *f, const struct rtable *t, size_t row)
{
	char a[64], b[64];

	fprintf(f, "#%" PRIu64 " ", cell_u(t, row, "id"));
	html_text(f, cell_s(t, row, "name", a, sizeof(a)));
	fprintf(f, " (%s)", cell_s(t, row, "size", b, sizeof(b)));
}

/* The listed object with the most remote samples, as "<b>#4 malloc
 * (64 B)</b>, 40% remote"; nothing when none was remote. */
static void most_remote(FILE *f, const struct rtable *t)
{
	size_t best = 0;
	char buf[64];

	for (size_t i = 1; i < rtable_rows(t); i++)
		if (cell_u(t, i, "remote_samples") > cell_u(t, best, "remote_samples"))
			best = i;
	if (!cell_u(t, best, "remote_samples"))
		return;
	fputs(" The most remote accesses are to <b>", f);
	object_label(f, t, best);
	fprintf(f, "</b>: %" PRIu64 " remote samples, %s of its located ones.",
		cell_u(t, best, "remote_samples"), cell_s(t, best, "remote", buf, sizeof(buf)));
}

void html_headline(FILE *f, const struct report *rep, const struct prof_run *run)
{
	const struct rtable *t = report_table(rep, "accessed");
	uint64_t located = 0, remote = 0;
	char buf[128];

	fputs("<div class=headline>", f);
	for (size_t i = 0; i < run->naccess; i++) {
		located += run->access[i].located;
		remote += run->access[i].remote;
	}
	if (!t || !rtable_rows(t)) {
		html_text(f, t && t->note ? t->note : "no memory-access samples in this profile");
		fputs("</div>\n", f);
		return;
	}
	if (located)
		fprintf(f, "<p><b>%.0f%%</b> of the %" PRIu64 " samples whose cpu and page nodes are"
			" known were remote.", 100.0 * remote / located, located);
	else
		fputs("<p>No sample has both its cpu node and its page node known: the remote"
		      " share is unknown.", f);
	most_remote(f, t);
	fputs("</p><p>The most accessed object is <b>", f);
	object_label(f, t, 0);
	fputs("</b>, allocated at <code>", f);
	html_text(f, cell_s(t, 0, "allocated_at", buf, sizeof(buf)));
	fprintf(f, "</code>: %" PRIu64 " samples by %" PRIu64 " threads, %s remote, ",
		cell_u(t, 0, "samples"), cell_u(t, 0, "threads"), cell_s(t, 0, "remote", buf, sizeof(buf)));
	html_text(f, cell_s(t, 0, "pattern", buf, sizeof(buf)));
	fputs(".</p><p><b>What to do:</b> <code>numamma advise PROFILE</code> proposes where each"
	      " object should live; <code>numamma run --policy POLICY -o RUN.db -- PROGRAM</code>"
	      " applies it and checks where the pages landed.</p></div>\n", f);
}

/* One horizontal bar of segments (values, colours) under a label. */
static void hbar(FILE *f, int y, const uint64_t *v, const char *const *colour, int n, uint64_t max)
{
	double x = 230;

	for (int i = 0; i < n; i++) {
		double w = max ? 400.0 * v[i] / max : 0;

		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\">"
			"<title>%" PRIu64 "</title></rect>", x, y, w, colour[i], v[i]);
		x += w;
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%d\">", x + 4, y + 11);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%" PRIu64, i ? " / " : "", v[i]);
	fputs("</text>\n", f);
}

void html_remote_bars(FILE *f, const struct report *rep)
{
	static const char *const colour[] = { "#2e86c1", "#c0392b", "#aab7b8" };
	const struct rtable *t = report_table(rep, "accessed");
	size_t n = t ? rtable_rows(t) : 0;
	uint64_t max = 1;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		max = cell_u(t, i, "samples") > max ? cell_u(t, i, "samples") : max;
	fputs("<h2>Local vs remote samples per object</h2>\n<p>blue: local, red: remote,"
	      " grey: a node unknown</p>\n", f);
	fprintf(f, "<svg class=\"plot remote\" width=\"760\" height=\"%zu\">\n", 20 * n + 10);
	for (size_t i = 0; i < n; i++) {
		uint64_t located = cell_u(t, i, "located"), rem = cell_u(t, i, "remote_samples");
		uint64_t v[3] = { located - rem, rem, cell_u(t, i, "samples") - located };

		fprintf(f, "<text x=\"0\" y=\"%zu\">", 20 * i + 16);
		object_label(f, t, i);
		fputs("</text>", f);
		hbar(f, 20 * i + 5, v, colour, 3, max);
	}
	fputs("</svg>\n", f);
}

/* Two bars per matched call site: its remote share before (light) and
 * after (dark), on a 0-100% scale. */
void html_diff(FILE *f, const struct report *rep)
{
	const struct rtable *t = report_table(rep, "diff");
	size_t n = rtable_rows(t);

	fputs("<h2>Remote share of the matched objects, before and after</h2>\n"
	      "<p>light: before, dark: after; no bar: no sample with known nodes</p>\n", f);
	fprintf(f, "<svg class=\"plot diff\" width=\"760\" height=\"%zu\">\n", 34 * n + 10);
	for (size_t i = 0; i < n; i++) {
		char buf[128];

		fprintf(f, "<text x=\"0\" y=\"%zu\">", 34 * i + 20);
		html_text(f, cell_s(t, i, "where", buf, sizeof(buf)));
		fputs("</text>", f);
		for (int k = 0; k < 2; k++) {
			const char *key = k ? "remote_after" : "remote_before";
			const struct rcell *c = rtable_get(t, i, key);
			double pct = c->type == RT_PERCENT ? c->f : 0;

			fprintf(f, "<rect x=\"230\" y=\"%zu\" width=\"%.1f\" height=\"13\" fill=\"%s\">"
				"<title>%.1f%%</title></rect><text x=\"%.1f\" y=\"%zu\">%s %s</text>",
				34 * i + 5 + 15 * k, 4.0 * pct, k ? "#c0392b" : "#f5b7b1", pct,
				234 + 4.0 * pct, 34 * i + 16 + 15 * k, k ? "after" : "before",
				cell_s(t, i, key, buf, sizeof(buf)));
		}
		fputs("\n", f);
	}
	fputs("</svg>\n", f);
}

/* Samples by the node of the cpu that made them; none where no sample's
 * node is known (a --no-raw profile's counts say no cpu). */
void html_node_bars(FILE *f, const struct prof_run *run)
{
	static const char *const colour[] = { "#16a085" };
	uint64_t max = 1, known = 0;
	uint64_t *per = xcalloc(run->nnodes + 1, sizeof(*per));

	for (size_t i = 0; i < run->nthread_cpus; i++)
		for (size_t n = 0; n < run->nnodes; n++)
			if (run->nodes[n].node == run->thread_cpus[i].node)
				per[n] += run->thread_cpus[i].samples;
	for (size_t n = 0; n < run->nnodes; n++) {
		max = per[n] > max ? per[n] : max;
		known += per[n];
	}
	if (known && run->nnodes) {
		fputs("<h2>Samples per cpu node</h2>\n", f);
		fprintf(f, "<svg class=\"plot nodes\" width=\"760\" height=\"%zu\">\n",
			20 * run->nnodes + 10);
		for (size_t n = 0; n < run->nnodes; n++) {
			fprintf(f, "<text x=\"0\" y=\"%zu\">node %d</text>", 20 * n + 16,
				run->nodes[n].node);
			hbar(f, 20 * n + 5, &per[n], colour, 1, max);
		}
		fputs("</svg>\n", f);
	}
	free(per);
}

/* The first row of a table sorted by object id (its first field) with
 * this id, or n. */
static size_t first_row(const void *rows, size_t n, size_t size, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (*(const int64_t *)((const char *)rows + mid * size) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void stack_list(FILE *f, const struct prof_run *run, const struct prof_object *o)
{
	const struct prof_callsite *cs = prof_callsite(run, o->callsite_id);
	int shown = cs ? shown_depth(run, cs) : -1;

	if (!cs) {
		fputs("<p class=note>no allocation call stack (a static, a stack or a mapping)</p>", f);
		return;
	}
	fputs("<ol class=stack>", f);
	for (int d = 0; d < cs->nframes; d++) {
		const struct prof_frame *fr = cs->frames[d];
		const struct prof_module *m = prof_module(run, fr->module);

		fputs(d == shown ? "<li><b>" : "<li>", f);
		html_text(f, fr->function ? fr->function : "?");
		if (fr->file)
			fprintf(f, " (%s:%d)", basename_of(fr->file), fr->line);
		fputs(" <span class=note>", f);
		html_text(f, basename_of(m && m->path ? m->path : fr->module ? fr->module : "?"));
		fprintf(f, "+%#" PRIx64 "</span>%s</li>", fr->offset, d == shown ? "</b>" : "");
	}
	fputs("</ol>\n", f);
}

/* Pages (in at most HEAT_COLS buckets) by thread (the first HEAT_ROWS
 * threads by tid): the darker, the more samples. */
static void heat_map(FILE *f, const struct prof_run *run, const struct prof_object *o)
{
	size_t t0 = first_row(run->object_threads, run->nobject_threads,
			      sizeof(*run->object_threads), o->id);
	size_t p0 = first_row(run->object_pages, run->nobject_pages, sizeof(*run->object_pages),
			      o->id);
	uint64_t npages = (o->size + 4095) / 4096, cells[HEAT_ROWS][HEAT_COLS] = { { 0 } }, max = 1;
	int cols = npages < HEAT_COLS ? (int)npages : HEAT_COLS, rows = 0;
	pid_t tids[HEAT_ROWS];

	for (size_t i = t0; i < run->nobject_threads && run->object_threads[i].object_id == o->id &&
			    rows < HEAT_ROWS; i++)
		tids[rows++] = run->object_threads[i].tid;
	for (size_t i = p0; i < run->nobject_pages && run->object_pages[i].object_id == o->id; i++) {
		const struct prof_object_page *p = &run->object_pages[i];
		int col = (int)(p->page * cols / (npages ? npages : 1));

		for (int r = 0; r < rows && col < cols; r++)
			if (tids[r] == p->tid && (cells[r][col] += p->samples) > max)
				max = cells[r][col];
	}
	fprintf(f, "<p>Pages (%" PRIu64 ", %d per column at most) by thread:</p>\n"
		"<svg class=\"plot heatmap\" width=\"%d\" height=\"%d\">\n",
		npages, (int)((npages + cols - 1) / (cols ? cols : 1)), 80 + 12 * cols, 14 * rows + 20);
	for (int r = 0; r < rows; r++) {
		fprintf(f, "<text x=\"0\" y=\"%d\">tid %d</text>", 14 * r + 11, tids[r]);
		for (int c = 0; c < cols; c++)
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"11\" height=\"13\" fill=\"#c0392b\""
				" fill-opacity=\"%.2f\"><title>%" PRIu64 "</title></rect>",
				80 + 12 * c, 14 * r, cells[r][c] ? 0.15 + 0.85 * cells[r][c] / max : 0.03,
				cells[r][c]);
		fputs("\n", f);
	}
	fprintf(f, "<text x=\"80\" y=\"%d\">first page</text><text x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">last page</text></svg>\n", 14 * rows + 14, 80 + 12 * cols,
		14 * rows + 14);
}

void html_objects(FILE *f, const struct report *rep, const struct prof_run *run)
{
	const struct rtable *t = report_table(rep, "accessed");
	const struct rtable *one = report_table(rep, "object");
	size_t n = t ? rtable_rows(t) : 0;

	if (one && one->ncells) {
		/* --object: its "id" row first */
		const struct prof_object *o = prof_object(run, one->cells[1].i);

		fputs("<h2>Call stack</h2>\n", f);
		stack_list(f, run, o);
		heat_map(f, run, o);
		return;
	}
	if (!n)
		return;
	fputs("<h2>Who touches the most accessed objects</h2>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct prof_object *o = prof_object(run, (int64_t)cell_u(t, i, "id"));

		if (!o)
			continue;
		fprintf(f, "<details%s><summary>", i < 3 ? " open" : "");
		object_label(f, t, i);
		fputs("</summary>\n", f);
		stack_list(f, run, o);
		heat_map(f, run, o);
		fputs("</details>\n", f);
	}
}

/* The threads of the pairs, in order of first appearance, at most
 * MATRIX_MAX. */
static int matrix_threads(const struct rtable *t, pid_t *tids)
{
	int n = 0;

	for (size_t r = 0; r < rtable_rows(t); r++)
		for (int k = 0; k < 2; k++) {
			pid_t tid = (pid_t)cell_u(t, r, k ? "tid_b" : "tid_a");
			int j = 0;

			while (j < n && tids[j] != tid)
				j++;
			if (j == n && n < MATRIX_MAX)
				tids[n++] = tid;
		}
	return n;
}

static int index_of(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return i;
	return -1;
}

void html_sharing(FILE *f, const struct report *rep)
{
	const struct rtable *t = report_table(rep, "sharing");
	pid_t tids[MATRIX_MAX];
	int n = t ? matrix_threads(t, tids) : 0;
	uint64_t max = 1;

	if (!t)
		return;
	fputs("<h2>Threads sharing memory</h2>\n", f);
	if (!n) {
		fputs("<p class=note>no two threads touched the same page in the samples</p>\n", f);
		return;
	}
	for (size_t r = 0; r < rtable_rows(t); r++)
		max = cell_u(t, r, "shared_pages") > max ? cell_u(t, r, "shared_pages") : max;
	fprintf(f, "<p>Shared pages per pair of threads (the --top pairs):</p>\n"
		"<svg class=\"plot sharing\" width=\"%d\" height=\"%d\">\n", 80 + 22 * n, 80 + 22 * n);
	for (int i = 0; i < n; i++)
		fprintf(f, "<text x=\"0\" y=\"%d\">%d</text><text transform=\"translate(%d,70) "
			"rotate(-60)\">%d</text>\n", 80 + 22 * i + 15, tids[i], 80 + 22 * i + 12, tids[i]);
	for (size_t r = 0; r < rtable_rows(t); r++) {
		int a = index_of(tids, n, (pid_t)cell_u(t, r, "tid_a"));
		int b = index_of(tids, n, (pid_t)cell_u(t, r, "tid_b"));
		uint64_t v = cell_u(t, r, "shared_pages");

		for (int k = 0; a >= 0 && b >= 0 && k < 2; k++)
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"21\" height=\"21\" fill=\"#8e44ad\""
				" fill-opacity=\"%.2f\"><title>%" PRIu64 " pages, %" PRIu64
				" lines</title></rect>\n", 80 + 22 * (k ? a : b), 80 + 22 * (k ? b : a),
				0.15 + 0.85 * v / max, v, cell_u(t, r, "shared_lines"));
	}
	fputs("</svg>\n", f);
	html_table(f, t);
}
