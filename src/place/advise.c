/* advise: from a profile to a placement policy.
 *
 * Objects are grouped by allocation site (heap/mmap: call stack; static:
 * module + symbol) so that the plan applies to the next run's objects.
 * Each sample becomes a proportional position in its object plus the
 * thread that made it (advise_threads.c plans where threads run); the
 * site's samples then say which action fits (advise_patterns.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "advise_int.h"
#include "error.h"
#include "topology.h"

/* ---- objects and their samples ---- */

static int same_site(const struct site *s, enum obj_kind kind, int64_t callsite,
		     const char *module, const char *symbol)
{
	if (s->kind != kind)
		return 0;
	if (kind != OBJ_STATIC)
		return s->callsite_id == callsite;
	return !strcmp(s->module, module) && !strcmp(s->symbol, symbol);
}

static void add_object(struct analysis *a, const struct prof_object *o)
{
	struct site *s = a->nsites ? &a->sites[a->nsites - 1] : NULL;

	if (!s || !same_site(s, o->kind, o->callsite_id, o->module, o->name)) {
		a->sites = xrealloc(a->sites, (a->nsites + 1) * sizeof(*a->sites));
		s = &a->sites[a->nsites++];
		*s = (struct site){ .kind = o->kind, .callsite_id = o->callsite_id };
		if (o->kind == OBJ_STATIC) {
			s->module = o->module;
			s->symbol = o->name;
		}
	}
	s->nobjects++;
	if (o->size > s->max_size)
		s->max_size = o->size;
	if (a->nobjs % 1024 == 0)
		a->objs = xrealloc(a->objs, (a->nobjs + 1024) * sizeof(*a->objs));
	a->objs[a->nobjs++] = (struct obj_ref){ o->id, o->addr, o->size, a->nsites - 1, o->pid, -1,
						false };
}

static int obj_cmp(const void *x, const void *y)
{
	const struct obj_ref *p = x, *q = y;

	return (p->id > q->id) - (p->id < q->id);
}

/* Object ids grow with time: the allocation order of each site's objects
 * in the first process, as run counts them. */
static void number_objects(struct analysis *a)
{
	a->first_pid = main_pid(a);
	for (size_t i = 0; i < a->nobjs; i++)
		if (a->objs[i].pid == a->first_pid)
			a->objs[i].nth = a->sites[a->objs[i].site].nfirst++;
}

static int by_place(const void *x, const void *y)
{
	const struct obj_ref *p = *(const struct obj_ref *const *)x, *q = *(const struct obj_ref *const *)y;

	if (p->site != q->site)
		return p->site < q->site ? -1 : 1;
	if (p->addr != q->addr)
		return p->addr < q->addr ? -1 : 1;
	return (p->size > q->size) - (p->size < q->size);
}

/* A fork copies its parent's objects: a child's object at the address,
 * of the size and from the site of one of the first process's is its
 * copy (the same pages when the mapping is shared). */
static void find_copies(struct analysis *a)
{
	struct obj_ref **v = xcalloc(a->nobjs + 1, sizeof(*v));

	for (size_t i = 0; i < a->nobjs; i++)
		v[i] = &a->objs[i];
	qsort(v, a->nobjs, sizeof(*v), by_place);
	for (size_t i = 0, j; i < a->nobjs; i = j) {
		bool first = false;

		for (j = i; j < a->nobjs && !by_place(&v[i], &v[j]); j++)
			first |= v[j]->pid == a->first_pid;
		for (size_t k = i; first && k < j; k++)
			v[k]->copy = v[k]->pid != a->first_pid;
	}
	free(v);
}

static int null_first(const char *p, const char *q)
{
	if (!p || !q)
		return !q - !p;
	return strcmp(p, q);
}

/* Site order: kind (by name), call site, static's module, name. */
static int site_order(const void *x, const void *y)
{
	const struct prof_object *p = *(const struct prof_object *const *)x;
	const struct prof_object *q = *(const struct prof_object *const *)y;
	int c = strcmp(obj_kind_name(p->kind), obj_kind_name(q->kind));

	if (c)
		return c;
	if (p->callsite_id != q->callsite_id)
		return p->callsite_id < q->callsite_id ? -1 : 1;
	c = null_first(p->module, q->module);
	return c ? c : null_first(p->name, q->name);
}

/* The objects a rule can find next time: heap and mmap objects by their
 * call site, statics by module and symbol. */
static int placeable(const struct prof_object *o)
{
	if (o->size == 0)
		return 0;
	if (o->kind == OBJ_STATIC)
		return o->module && o->name;
	return (o->kind == OBJ_HEAP || o->kind == OBJ_MMAP) && o->callsite_id;
}

/* Objects in site order, so that one pass groups them. */
static void read_objects(struct analysis *a)
{
	const struct prof_object **v = xcalloc(a->run->nobjects + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < a->run->nobjects; i++)
		if (placeable(&a->run->objects[i]))
			v[n++] = &a->run->objects[i];
	qsort(v, n, sizeof(*v), site_order);
	for (size_t i = 0; i < n; i++)
		add_object(a, v[i]);
	free(v);
	if (a->nobjs)
		qsort(a->objs, a->nobjs, sizeof(*a->objs), obj_cmp);
	number_objects(a);
	find_copies(a);
}

const struct obj_ref *sample_object(const struct analysis *a, const struct prof_sample *ps)
{
	struct obj_ref key = { .id = ps->object_id };
	const struct obj_ref *o = bsearch(&key, a->objs, a->nobjs, sizeof(key), obj_cmp);

	return o && ps->addr >= o->addr && ps->addr - o->addr < o->size ? o : NULL;
}

static void read_samples(struct analysis *a)
{
	for (size_t i = 0; i < a->run->nsamples; i++) {
		const struct prof_sample *ps = &a->run->samples[i];
		const struct obj_ref *o = sample_object(a, ps);
		struct point p;

		if (!o) {
			const struct prof_object *own = prof_object(a->run, ps->object_id);

			a->adv->thread_own_samples += own && (own->kind == OBJ_STACK || own->kind == OBJ_TLS);
			continue;
		}
		/* Worker processes share out what the first process made;
		 * what one allocates itself it touches first, on its cpu. */
		if (a->adv->worker_processes && o->pid != a->first_pid && !o->copy)
			continue;
		p.pos = (uint32_t)((unsigned __int128)(ps->addr - o->addr) * POLICY_PPM / o->size);
		p.off = ps->addr - o->addr;
		p.size = o->size;
		p.thread = find_thread(a->adv, ps->pid, ps->tid);
		p.node = sample_node(a, ps->cpu, ps->node);
		p.page_node = ps->page_node;
		p.nth = o->nth;
		p.access = ps->access;
		p.time_ns = ps->time_ns;
		add_point(&a->sites[o->site], p);
		a->adv->samples++;
	}
}

/* ---- rules ---- */

/* "main() app.c:42": a demangled C++ name has its parameters already,
 * and inlined code is at its function's own line (call_file).  Without
 * a symbol, "libgomp.so.1+0xd09c", as the report says it: the module's
 * file, not its build id (the plan's key, no name to a person). */
static char *frame_where(const struct prof_run *run, const struct prof_frame *f)
{
	const char *file = f->call_file ? f->call_file : f->file;
	const char *slash = file ? strrchr(file, '/') : NULL;
	const char *parens = f->function && strchr(f->function, '(') ? "" : "()";
	const struct prof_module *m;

	if (f->function && file)
		return xasprintf("%s%s %s:%d", f->function, parens, slash ? slash + 1 : file,
				 f->call_file ? f->call_line : f->line);
	if (f->function)
		return xasprintf("%s%s", f->function, parens);
	m = prof_module(run, f->module);
	file = m && m->path ? m->path : f->module;
	slash = strrchr(file, '/');
	return xasprintf("%s+0x%" PRIx64, slash ? slash + 1 : file, f->offset);
}

/* The callsite's frames into r, up to the first of unknown module;
 * returns where it is, for humans. */
static char *callsite_frames(const struct analysis *a, int64_t id, struct policy_rule *r)
{
	const struct prof_callsite *cs = prof_callsite(a->run, id);
	char *where = NULL;

	for (int i = 0; cs && i < cs->nframes && cs->frames[i]->module; i++) {
		r->frames = xrealloc(r->frames, (r->nframes + 1) * sizeof(*r->frames));
		r->frames[r->nframes++] = (struct policy_frame){
			xstrdup(cs->frames[i]->module), cs->frames[i]->offset };
		if (!where)
			where = frame_where(a->run, cs->frames[i]);
	}
	return where;
}

void locality_text(char *buf, size_t len, struct locality l)
{
	if (l.total)
		snprintf(buf, len, "%.0f%%", 100 * fraction(l));
	else
		snprintf(buf, len, "n/a");
}

static void add_locality(struct locality *sum, struct locality l)
{
	sum->local += l.local;
	sum->total += l.total;
}

/* How the next run's objects will be recognised, and where that is for
 * humans. */
static void site_identity(const struct analysis *a, const struct site *s, struct policy_rule *r,
			  struct advice_site *out)
{
	r->kind = s->kind;
	if (s->kind == OBJ_STATIC) {
		r->site = SITE_STATIC;
		r->module = xstrdup(s->module);
		r->symbol = xstrdup(s->symbol);
		out->where = xstrdup(s->symbol);
		return;
	}
	r->site = SITE_CALLSITE;
	out->where = callsite_frames(a, s->callsite_id, r);
	if (!out->where)
		out->where = xasprintf("callsite %" PRId64, s->callsite_id);
}

/* The nodes the site's sampled pages were on. */
static uint64_t page_nodes(const struct site *s)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].page_node >= 0 && s->pts[i].page_node < POLICY_MAX_NODES)
			mask |= 1ULL << s->pts[i].page_node;
	return mask;
}

/* A plan that does no better than first touch is not worth making.  On a
 * tie, leave; but interleaving also spreads the load, and data no thread
 * owns that first touch crowded onto fewer nodes is interleaved even when
 * its first toucher's node made a few more accesses local: every thread
 * then queues at that node's memory.  Never when the threads are spread
 * by rank: first touch then puts a page where its first toucher will
 * run, not where the profile saw it, and what leaving the pages would
 * make local is chance (a worker planned onto the node where another one
 * touched the pages: a queue's consumer planned where its producer had
 * run, 1 profile in 10 of the guest's t9028, left the queue unbound). */
static void unless_first_touch(const struct analysis *a, struct policy_rule *r,
			       struct advice_site *out, struct locality kept, const struct site *eval)
{
	if (a->adv->spread ||
	    (r->action == ACT_INTERLEAVE && popcount64(page_nodes(eval)) < popcount64(r->nodemask)))
		return;
	if (r->action == ACT_LEAVE || kept.total != out->after.total ||
	    kept.local < out->after.local ||
	    (kept.local == out->after.local && r->action == ACT_INTERLEAVE))
		return;
	free(out->reason);
	out->reason = xasprintf("leave: first touch already makes %.0f%% of %" PRIu64
				" samples local", 100 * fraction(kept), kept.total);
	reset_rule(r);
	r->action = ACT_LEAVE;
	out->after = kept;
}

/* A rule and its advice for site s, recognising its objects. */
static struct advice_site *open_site(struct analysis *a, struct site *s, struct policy_rule **r)
{
	struct advice *adv = a->adv;
	struct advice_site *out;

	*r = policy_add_rule(adv->policy);
	adv->sites = xrealloc(adv->sites, (adv->nsites + 1) * sizeof(*adv->sites));
	s->advice = adv->nsites;
	out = &adv->sites[adv->nsites++];
	*out = (struct advice_site){ .rule = adv->policy->nrules - 1, .kind = s->kind,
				     .nobjects = s->nobjects, .max_size = s->max_size,
				     .samples = s->npts };
	site_identity(a, s, *r, out);
	return out;
}

/* The rule's comment (the advice in words) and text. */
static void close_site(const struct site *s, const struct advice_site *out, struct policy_rule *r)
{
	char before[16], after[16];

	locality_text(before, sizeof(before), out->before);
	locality_text(after, sizeof(after), out->after);
	free(r->comment);
	r->comment = xasprintf("%s: %s\n%d object%s, up to %" PRIu64 " bytes; local accesses: "
			       "before %s, after %s", out->where, out->reason, s->nobjects,
			       s->nobjects > 1 ? "s" : "", s->max_size, before, after);
	policy_rule_format(r);
}

static void advise_site(struct analysis *a, struct site *s)
{
	struct advice *adv = a->adv;
	struct policy_rule *r, leave = { .action = ACT_LEAVE };
	struct advice_site *out = open_site(a, s, &r);
	struct locality kept;
	struct site *eval;

	out->reason = choose_action(a, s, r, &eval);
	out->before = measured(eval);
	out->after = predict(a, eval, r);
	kept = predict(a, eval, &leave);
	add_locality(&adv->unplanned, kept);
	unless_first_touch(a, r, out, kept, eval);
	drop_copy(s, &eval);
	add_locality(&adv->before, out->before);
	add_locality(&adv->after, out->after);
	close_site(s, out, r);
}

/* ---- sites too cold to tell ---- */

/* Plans that share an object out between threads: the ones a sibling
 * array follows.  Not bind or interleave: what one object's few users
 * do says little about another's. */
static int shared_out(enum policy_action act)
{
	return act == ACT_BLOCK || act == ACT_PAGEMAP || act == ACT_CYCLIC || act == ACT_TILES;
}

/* The most sampled site planned from its own samples whose objects have
 * s's size: its index in adv->sites, or -1. */
static int sibling(const struct advice *adv, const struct site *s)
{
	int best = -1;

	for (int i = 0; i < adv->nsites; i++) {
		const struct advice_site *o = &adv->sites[i];

		if (o->max_size == s->max_size && shared_out(adv->policy->rules[o->rule].action) &&
		    (best < 0 || o->samples > adv->sites[best].samples))
			best = i;
	}
	return best;
}

/* A site too cold to tell (or never sampled) whose objects have the size
 * of a site shared out between threads takes its plan: arrays of one
 * size are usually shared out alike (a = b + s * c), and where a loop
 * reads several, the clock sampler under emulation sees only the first
 * (the emulator takes interrupts between translated blocks). */
static void follow_sibling(struct analysis *a, struct site *s)
{
	struct advice *adv = a->adv;
	int sib = sibling(adv, s), sib_rule;
	struct advice_site *out;
	struct policy_rule *r;
	char *where;

	enum policy_action own = s->advice >= 0 ? adv->policy->rules[adv->sites[s->advice].rule].action
					       : ACT_LEAVE;

	if (sib < 0 || s->max_size < a->opts->min_size || shared_out(own) || own == ACT_EACH)
		return;
	sib_rule = adv->sites[sib].rule;
	where = xstrdup(adv->sites[sib].where);
	if (s->advice < 0) {
		out = open_site(a, s, &r);
	} else {
		out = &adv->sites[s->advice];
		r = &adv->policy->rules[out->rule];
		adv->after.local -= out->after.local;
		adv->after.total -= out->after.total;
	}
	policy_copy_action(r, &adv->policy->rules[sib_rule]);
	free(out->reason);
	out->reason = xasprintf("%s, as %s: too cold to tell (%zu samples), and objects of one "
				"size (%" PRIu64 " bytes) are usually shared out alike",
				policy_action_name(r->action), where, s->npts, s->max_size);
	free(where);
	out->after = predict(a, s, r);
	add_locality(&adv->after, out->after);
	close_site(s, out, r);
}

static int site_by_samples(const void *x, const void *y)
{
	const struct advice_site *p = x, *q = y;

	return (p->samples < q->samples) - (p->samples > q->samples);
}

static void advise_sites(struct analysis *a)
{
	for (int i = 0; i < a->nsites; i++) {
		a->sites[i].advice = -1;
		if (a->sites[i].npts)
			advise_site(a, &a->sites[i]);
	}
	for (int i = 0; i < a->nsites; i++)
		if (!a->sites[i].npts || a->sites[i].cold)
			follow_sibling(a, &a->sites[i]);
	/* Most sampled first, in the report; the policy keeps site order. */
	if (a->adv->nsites)	/* qsort of NULL is undefined, even for 0 */
		qsort(a->adv->sites, a->adv->nsites, sizeof(*a->adv->sites), site_by_samples);
}

static void read_binaries(struct analysis *a)
{
	for (size_t i = 0; i < a->run->nbinaries; i++)
		policy_add_binary(a->adv->policy, a->run->binaries[i]);
}

static void analysis_free(struct analysis *a)
{
	for (int i = 0; i < a->nsites; i++)
		site_free(&a->sites[i]);
	free(a->sites);
	free(a->objs);
	free(a->target);
	free(a->profile.cpu_node);
	free(a->profile.node_ids);
	if (a->bound.nr_nodes)
		topology_free(&a->bound);
}

int advise_profile(const struct prof_run *run, const char *name, const struct advise_opts *opts,
		   struct advice *adv)
{
	struct analysis a = { .run = run, .opts = opts, .adv = adv };

	memset(adv, 0, sizeof(*adv));
	adv->policy = policy_new(name);
	read_profile_topology(&a);
	read_threads(&a);
	read_binaries(&a);
	choose_target(&a);
	read_objects(&a);
	plan_threads(&a);
	read_samples(&a);
	advise_sites(&a);
	analysis_free(&a);
	return 0;
}

void advice_free(struct advice *adv)
{
	for (int i = 0; i < adv->nsites; i++) {
		free(adv->sites[i].where);
		free(adv->sites[i].reason);
	}
	free(adv->sites);
	free(adv->threads);
	free(adv->mapping);
	free(adv->binding);
	policy_free(adv->policy);
	memset(adv, 0, sizeof(*adv));
}

