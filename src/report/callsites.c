/* The allocation call-site section: per call stack (or per function or
 * source line shown for it), how many allocations, their bytes, the peak
 * of bytes live at once and the bytes still live at the end (leaks, for
 * a program that exited).  The peak comes from a sweep over the objects'
 * lifetimes, or from callsite_totals when the profile counted every
 * allocation there; the sweep then leaves out a fork child's copies of
 * its parent's blocks (inherited_copy()), and the sites none of whose
 * blocks got a row (small blocks no sample hit) are listed from
 * callsite_totals alone. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_int.h"

/* MAX and LIVE AT END of a site without rows in an older profile, whose
 * callsite_totals did not keep them: unknown. */
#define UNKNOWN_BYTES(n) { .name = n, .align = 'r', .null_text = "?" }

static const struct rcolumn stack_cols[] = {
	RIGHT("CALLSITE"), RIGHT("COUNT"), RIGHT("TOTAL"), UNKNOWN_BYTES("MAX"), RIGHT("PEAK"),
	UNKNOWN_BYTES("LIVE AT END"), CODE("WHERE"),
};

static const struct rcolumn group_cols[] = {
	RIGHT("SITES"), RIGHT("COUNT"), RIGHT("TOTAL"), UNKNOWN_BYTES("MAX"), RIGHT("PEAK"),
	UNKNOWN_BYTES("LIVE AT END"), CODE("WHERE"),
};

struct site_total {
	int64_t group, id;      /* id: the group's first call site */
	int64_t count;
	uint64_t total, max, peak, live;
	bool unknown;           /* max and live: not kept (older profiles' sites without rows) */
	int sites;              /* counted sites merged in (use_callsite_totals()) */
};

/* An allocation (delta > 0) or a free of one object. */
struct site_event {
	int64_t group;
	uint64_t t;
	int64_t delta;
	const struct prof_object *o;
};

struct grouping {
	int64_t *of_site;       /* the group of each run->callsites[i] */
	char **key;             /* by group: what WHERE says */
	size_t *nsites;         /* by group: its call sites */
	size_t ngroups;
};

static char *group_key(const struct prof_run *run, const struct prof_callsite *cs,
		       enum report_group g)
{
	const struct prof_frame *f = shown_frame(run, cs);

	if (g == GROUP_FUNCTION && f && f->function)
		return xstrdup(f->function);
	return describe_callsite(run, cs->id);
}

static int by_key(const void *x, const void *y, void *keys)
{
	char **k = keys;

	return strcmp(k[*(const size_t *)x], k[*(const size_t *)y]);
}

/* Call sites whose function (or line) is the same make one group, in
 * the order of their keys. */
static void group_sites(const struct prof_run *run, enum report_group g, struct grouping *gr)
{
	size_t n = run->ncallsites, *order = xcalloc(n + 1, sizeof(*order));
	char **keys = xcalloc(n + 1, sizeof(*keys));

	gr->of_site = xcalloc(n + 1, sizeof(*gr->of_site));
	gr->key = xcalloc(n + 1, sizeof(*gr->key));
	gr->nsites = xcalloc(n + 1, sizeof(*gr->nsites));
	gr->ngroups = 0;
	for (size_t i = 0; i < n; i++) {
		keys[i] = group_key(run, &run->callsites[i], g);
		order[i] = i;
	}
	qsort_r(order, n, sizeof(*order), by_key, keys);
	for (size_t i = 0; i < n; i++) {
		size_t s = order[i];

		if (!i || strcmp(keys[s], gr->key[gr->ngroups - 1]))
			gr->key[gr->ngroups++] = xstrdup(keys[s]);
		gr->of_site[s] = gr->ngroups - 1;
		gr->nsites[gr->ngroups - 1]++;
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(order);
}

static void grouping_free(struct grouping *gr)
{
	for (size_t i = 0; i < gr->ngroups; i++)
		free(gr->key[i]);
	free(gr->key);
	free(gr->nsites);
	free(gr->of_site);
}

/* The group of an object: its call site, or with grouping the group of
 * it (objects of a call site without frames: a group of their own, -1). */
static int64_t group_of(const struct ctx *c, const struct grouping *gr, const struct prof_object *o)
{
	const struct prof_callsite *cs;

	if (c->opts->group == GROUP_STACK)
		return o->callsite_id;
	cs = prof_callsite(c->run, o->callsite_id);
	return cs ? gr->of_site[cs - c->run->callsites] : -1;
}

static int by_group_time(const void *x, const void *y)
{
	const struct site_event *p = x, *q = y;

	if (p->group != q->group)
		return CMP(p->group, q->group);
	if (p->t != q->t)
		return CMP(p->t, q->t);
	return CMP(p->delta, q->delta);       /* a free before an allocation */
}

/* A profile that counted every call says which processes called each
 * site; a fork child's objects at a site it never called are copies of
 * its parent's blocks, not allocations: left out (python's fork
 * workers' copies of its arenas showed 4 MiB live at the end of a site
 * that allocated 1 MiB).  With --pid, the process's objects all count. */
static bool inherited_copy(const struct ctx *c, const struct prof_object *o)
{
	return !c->opts->pid && prof_callsite_total(c->run, o->callsite_id) &&
	       !prof_site_called(c->run, o->callsite_id, o->pid);
}

/* Two events per freed object, one per object still live. */
static size_t site_events(const struct ctx *c, const struct grouping *gr, struct site_event *ev)
{
	const struct prof_run *run = c->run;
	size_t n = 0;

	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];
		int64_t g;

		if (!o->callsite_id || !want_pid(c, o->pid) || inherited_copy(c, o))
			continue;
		g = group_of(c, gr, o);
		ev[n++] = (struct site_event){ g, o->alloc_ns, (int64_t)o->size, o };
		if (o->free_ns)
			ev[n++] = (struct site_event){ g, o->free_ns, -(int64_t)o->size, o };
	}
	qsort(ev, n, sizeof(*ev), by_group_time);
	return n;
}

static void count_site(struct site_total *s, const struct site_event *e, int64_t *live)
{
	*live += e->delta;
	if ((uint64_t)*live > s->peak)
		s->peak = *live;
	if (e->delta < 0)
		return;
	s->count++;
	s->total += e->o->size;
	s->max = e->o->size > s->max ? e->o->size : s->max;
	if (!s->id || e->o->callsite_id < s->id)
		s->id = e->o->callsite_id;
}

/* Every group's totals, from the sweep of its objects' lifetimes. */
static size_t site_totals(const struct ctx *c, const struct grouping *gr, struct site_total *out)
{
	struct site_event *ev = xcalloc(2 * c->run->nobjects + 1, sizeof(*ev));
	size_t nev = site_events(c, gr, ev), n = 0;
	int64_t live = 0;

	for (size_t i = 0; i < nev; i++) {
		if (!i || ev[i].group != ev[i - 1].group) {
			if (i)
				out[n - 1].live = live;
			out[n++] = (struct site_total){ .group = ev[i].group };
			live = 0;
		}
		count_site(&out[n - 1], &ev[i], &live);
	}
	if (n)
		out[n - 1].live = live;
	free(ev);
	return n;
}

static int by_group_then_id(const void *x, const void *y)
{
	const struct site_total *p = x, *q = y;

	return p->group != q->group ? CMP(p->group, q->group) : CMP(p->id, q->id);
}

/* Sites of one group (u sorted by group, then id) made one. */
static size_t collapse_groups(struct site_total *u, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		struct site_total *g = out ? &u[out - 1] : NULL;

		if (!g || g->group != u[i].group) {
			u[out++] = u[i];
			continue;
		}
		g->count += u[i].count;
		g->total += u[i].total;
		g->live += u[i].live;
		g->max = u[i].max > g->max ? u[i].max : g->max;
		g->peak = u[i].peak > g->peak ? u[i].peak : g->peak;
		g->unknown |= u[i].unknown;
		g->sites++;
	}
	return out;
}

/* A group both swept (its objects) and counted. */
static struct site_total merge_counted(const struct site_total *swept, const struct site_total *counted)
{
	struct site_total m = *counted;

	if (counted->sites > 1 && swept->peak > m.peak)
		m.peak = swept->peak;
	if (counted->unknown) {       /* an older profile: the objects' */
		m.max = swept->max;
		m.live = swept->live;
		m.unknown = false;
	}
	m.id = swept->id < counted->id ? swept->id : counted->id;
	return m;
}

struct counted {
	const struct ctx *c;
	const struct grouping *gr;
	struct site_total *u;
	size_t n;
};

static void add_counted(void *arg, const struct prof_callsite_total *t)
{
	struct counted *k = arg;
	const struct prof_run *run = k->c->run;
	const struct prof_callsite *cs = prof_callsite(run, t->callsite_id);

	if (!t->callsite_id)
		return;
	k->u[k->n++] = (struct site_total){
		.group = k->c->opts->group == GROUP_STACK ? t->callsite_id
			 : cs ? k->gr->of_site[cs - run->callsites] : -1,
		.id = t->callsite_id, .count = (int64_t)t->allocations, .total = t->bytes,
		.max = t->max_bytes, .peak = t->peak_live_bytes, .live = t->live_bytes,
		.unknown = !t->has_max_live, .sites = 1,
	};
}

/* The counted sites' totals (--pid: that process's), one per group,
 * sorted by group. */
static size_t counted_groups(const struct ctx *c, const struct grouping *gr, struct site_total *u)
{
	struct counted k = { c, gr, u, 0 };

	prof_each_counted(c->run, c->opts->pid, add_counted, &k);
	qsort(u, k.n, sizeof(*u), by_group_then_id);
	return collapse_groups(u, k.n);
}

/* A profile that counted every allocation knows better than the objects
 * it kept: count, bytes, largest call and bytes never freed are its
 * sites' sums (--pid: the process's), its sites without rows listed too.
 * A site's peak is exact (summed over processes: the most it can have
 * had live at once); a group of several sites shows the largest of
 * theirs and of the objects' sweep, a floor. */
static size_t use_callsite_totals(const struct ctx *c, const struct grouping *gr,
				  struct site_total **sp, size_t n)
{
	struct site_total *s = *sp, *u;
	size_t nu, i = 0, j = 0, out = 0;

	if (!c->run->ncallsite_totals)
		return n;
	u = xcalloc(c->run->ncallsite_totals + c->run->nsite_callers + 1, sizeof(*u));
	nu = counted_groups(c, gr, u);
	*sp = s = xrealloc(s, (n + nu + 1) * sizeof(*s));
	/* Both sorted by group: s moved up by nu, merged into it from the
	 * front (what is written never overtakes what is left to read). */
	memmove(s + nu, s, n * sizeof(*s));
	for (i = nu, j = 0; i < nu + n || j < nu; out++) {
		if (j == nu || (i < nu + n && s[i].group < u[j].group)) {
			s[out] = s[i++];
		} else if (i < nu + n && s[i].group == u[j].group) {
			s[out] = merge_counted(&s[i++], &u[j++]);
		} else {
			s[out] = u[j++];
		}
	}
	free(u);
	return out;
}

static uint64_t sort_key(const struct site_total *s, enum report_sort k)
{
	switch (k) {
	case SORT_COUNT:
		return s->count;
	case SORT_PEAK:
		return s->peak;
	case SORT_LIVE:
		return s->live;
	case SORT_BYTES:
		break;
	}
	return s->total;
}

static int by_key_then_id(const void *x, const void *y, void *k)
{
	const struct site_total *p = x, *q = y;
	uint64_t a = sort_key(p, *(enum report_sort *)k), b = sort_key(q, *(enum report_sort *)k);

	return a != b ? CMP(b, a) : CMP(p->id, q->id);
}

static void site_row(const struct ctx *c, struct rtable *t, const struct grouping *gr,
		     const struct site_total *s)
{
	char *where = NULL;

	if (c->opts->group == GROUP_STACK)
		rtable_int(t, s->id);
	else
		rtable_int(t, s->group < 0 ? 0 : (int64_t)gr->nsites[s->group]);
	rtable_int(t, s->count);
	rtable_bytes(t, s->total);
	if (s->unknown)
		rtable_null(t);
	else
		rtable_bytes(t, s->max);
	rtable_bytes(t, s->peak);
	if (s->unknown)
		rtable_null(t);
	else
		rtable_bytes(t, s->live);
	if (c->opts->group == GROUP_STACK || s->group < 0)
		where = describe_callsite(c->run, s->id);
	rtable_str(t, where ? where : gr->key[s->group]);
	free(where);
}

void section_callsites(struct ctx *c)
{
	static const char *const titles[] = {
		[GROUP_STACK] = "Allocation call sites",
		[GROUP_FUNCTION] = "Allocation call sites by function",
		[GROUP_LINE] = "Allocation call sites by line",
	};
	enum report_group g = c->opts->group;
	enum report_sort k = c->opts->sort;
	struct site_total *s = xcalloc(c->run->nobjects + 1, sizeof(*s));
	struct rtable *t = report_add_table(c->rep, "callsites", g == GROUP_STACK ? stack_cols : group_cols,
					    7, "%s", titles[g]);
	struct grouping gr = { 0 };
	size_t n;

	if (g != GROUP_STACK)
		group_sites(c->run, g, &gr);
	n = site_totals(c, &gr, s);
	n = use_callsite_totals(c, &gr, &s, n);
	qsort_r(s, n, sizeof(*s), by_key_then_id, &k);
	for (size_t i = 0; i < top_n(c, n); i++)
		site_row(c, t, &gr, &s[i]);
	grouping_free(&gr);
	free(s);
}
