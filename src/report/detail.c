/* The tables only data formats show (--format json, csv, html): for the
 * objects and call sites the other sections list, their call stacks,
 * their accesses per thread, per node and per page, and the cache lines
 * that several threads wrote.  Ids join them to the other sections. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

/* Sorted, distinct ids. */
struct idset {
	int64_t *v;
	size_t n;
};

static int cmp_id(const void *x, const void *y)
{
	return CMP(*(const int64_t *)x, *(const int64_t *)y);
}

static void idset_add(struct idset *s, int64_t id)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = id;
}

/* Adds the integer cells of column col of the table id (when there is
 * such a table and column). */
static void add_column(struct idset *s, const struct report *rep, const char *id, const char *col)
{
	const struct rtable *t = report_table(rep, id);

	for (size_t r = 0; t && r < rtable_rows(t); r++) {
		const struct rcell *c = rtable_get(t, r, col);

		if (c && c->type == RT_INT)
			idset_add(s, c->i);
	}
}

static void idset_sort(struct idset *s)
{
	size_t n = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_id);
	for (size_t i = 0; i < s->n; i++)
		if (!n || s->v[i] != s->v[n - 1])
			s->v[n++] = s->v[i];
	s->n = n;
}

static bool idset_has(const struct idset *s, int64_t id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_id) != NULL;
}

/* ---- call stacks ---- */

static const struct rcolumn stack_cols[] = {
	RIGHT("CALLSITE"), RIGHT("DEPTH"), LEFT("FUNCTION"),
	LEFT("FILE"), RIGHT("LINE"), LEFT("MODULE"),
	RIGHT("OFFSET"), RIGHT("SHOWN"), LEFT("CALL FILE"), RIGHT("CALL LINE"),
};

static void stack_rows(struct rtable *t, const struct prof_run *run, const struct prof_callsite *cs)
{
	int shown = shown_depth(run, cs);

	for (int d = 0; d < cs->nframes; d++) {
		const struct prof_frame *f = cs->frames[d];
		const struct prof_module *m = prof_module(run, f->module);

		rtable_int(t, cs->id);
		rtable_int(t, d);
		rtable_str(t, f->function);
		rtable_str(t, f->file);
		if (f->line)
			rtable_int(t, f->line);
		else
			rtable_null(t);
		rtable_str(t, m && m->path ? m->path : f->module);
		rtable_int(t, (int64_t)f->offset);
		rtable_int(t, d == shown);
		rtable_str(t, f->call_file);
		if (f->call_file)
			rtable_int(t, f->call_line);
		else
			rtable_null(t);
	}
}

static void section_stacks(struct ctx *c, const struct idset *ids)
{
	struct rtable *t = report_add_table(c->rep, "stacks", stack_cols, 10, "Call stacks");

	for (size_t i = 0; i < ids->n; i++) {
		const struct prof_callsite *cs = prof_callsite(c->run, ids->v[i]);

		if (cs)
			stack_rows(t, c->run, cs);
	}
}

/* ---- accesses of the most accessed objects ---- */

static const struct rcolumn thread_cols[] = {
	RIGHT("ID"), RIGHT("TID"), RIGHT("SAMPLES"), RIGHT("READS"), RIGHT("WRITES"),
};
static const struct rcolumn node_cols[] = { RIGHT("ID"), RIGHT("NODE"), RIGHT("SAMPLES") };
static const struct rcolumn page_cols[] = {
	RIGHT("ID"), RIGHT("PAGE"), RIGHT("TID"), RIGHT("SAMPLES"),
};
static const struct rcolumn line_cols[] = {
	RIGHT("ID"), RIGHT("ADDRESS"), RIGHT("OFFSET"), RIGHT("WRITERS"),
	LEFT("TIDS"),
};

static void thread_row(struct rtable *t, const void *row)
{
	const struct prof_object_thread *r = row;

	rtable_int(t, r->object_id);
	rtable_int(t, r->tid);
	rtable_int(t, r->samples);
	rtable_int(t, r->reads);
	rtable_int(t, r->writes);
}

static void node_row(struct rtable *t, const void *row)
{
	const struct prof_object_node *r = row;

	rtable_int(t, r->object_id);
	rtable_int(t, r->node);
	rtable_int(t, r->samples);
}

static void page_row(struct rtable *t, const void *row)
{
	const struct prof_object_page *r = row;

	rtable_int(t, r->object_id);
	rtable_int(t, r->page);
	rtable_int(t, r->tid);
	rtable_int(t, r->samples);
}

/* A table of the rows (each starting with an object id) of the objects
 * in ids.  The table is filled before the next is added: adding one
 * moves the others. */
static void object_rows(const struct idset *ids, struct rtable *t, const void *rows,
			size_t n, size_t size, void (*row)(struct rtable *, const void *))
{
	for (size_t i = 0; i < n; i++) {
		const void *r = (const char *)rows + i * size;

		if (idset_has(ids, *(const int64_t *)r))
			row(t, r);
	}
}

static void section_accesses(struct ctx *c, const struct idset *ids)
{
	const struct prof_run *run = c->run;

	object_rows(ids, report_add_table(c->rep, "object_threads", thread_cols, 5,
					     "Accesses per object and thread"),
		    run->object_threads, run->nobject_threads, sizeof(*run->object_threads), thread_row);
	object_rows(ids, report_add_table(c->rep, "nodes", node_cols, 3,
					     "Accesses per object and cpu node"),
		    run->object_nodes, run->nobject_nodes, sizeof(*run->object_nodes), node_row);
	object_rows(ids, report_add_table(c->rep, "pages", page_cols, 4,
					     "Accesses per object, 4 KiB page and thread"),
		    run->object_pages, run->nobject_pages, sizeof(*run->object_pages), page_row);
}

/* False-sharing candidates: lines written by two threads or more, of
 * any object of the process(es) shown, the most written first. */
static int by_writers(const void *x, const void *y)
{
	const struct prof_line *p = ROW(struct prof_line, x), *q = ROW(struct prof_line, y);

	return p->writers != q->writers ? CMP(q->writers, p->writers) : CMP(p, q);
}

static int line_kept(const struct ctx *c, const void *row)
{
	const struct prof_object *o = prof_object(c->run, ((const struct prof_line *)row)->object_id);

	return o && want_pid(c, o->pid) && (!c->opts->object || o->id == c->opts->object);
}

static void section_lines(struct ctx *c)
{
	struct rtable *t = report_add_table(c->rep, "lines", line_cols, 5,
					    "Cache lines written by several threads");
	size_t n;
	const void **v = select_rows(c, c->run->lines, c->run->nlines, sizeof(*c->run->lines),
				     line_kept, by_writers, &n);

	for (size_t i = 0; i < top_n(c, n); i++) {
		const struct prof_line *l = v[i];
		const struct prof_object *o = prof_object(c->run, l->object_id);

		rtable_int(t, l->object_id);
		rtable_address(t, l->addr);
		rtable_int(t, (int64_t)(l->addr - o->addr));
		rtable_int(t, l->writers);
		rtable_str(t, l->tids);
	}
	free(v);
}

/* The details of the objects and call sites the tables list, or with
 * --object of that object alone. */
void report_build_detail(struct ctx *c)
{
	struct idset sites = { 0 }, objects = { 0 };
	const struct prof_object *o = prof_object(c->run, c->opts->object);

	if (o) {
		idset_add(&objects, o->id);
		if (o->callsite_id)
			idset_add(&sites, o->callsite_id);
	} else {
		add_column(&sites, c->rep, "objects", "callsite");
		add_column(&sites, c->rep, "accessed", "callsite");
		if (c->opts->group == GROUP_STACK)
			add_column(&sites, c->rep, "callsites", "callsite");
		add_column(&objects, c->rep, "accessed", "id");
	}
	idset_sort(&sites);
	idset_sort(&objects);
	section_stacks(c, &sites);
	section_accesses(c, &objects);
	section_lines(c);
	free(sites.v);
	free(objects.v);
}
