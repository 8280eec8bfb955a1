/* Placement policies: building them, matching objects to rules and
 * turning a rule into page-aligned mbind ranges.  Pure logic: no I/O, and
 * matching (policy_place) allocates nothing, so that it can run inside an
 * allocator before malloc returns.  Loading and checking a policy is
 * policy_load.c's; `numamma run` does the mbind calls. */
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "placement.h"

const char *policy_action_name(enum policy_action a)
{
	static const char *const names[] = {
		[ACT_LEAVE] = "leave",
		[ACT_BIND] = "bind",
		[ACT_INTERLEAVE] = "interleave",
		[ACT_BLOCK] = "block",
		[ACT_PAGEMAP] = "pagemap",
		[ACT_EACH] = "each",
		[ACT_CYCLIC] = "cyclic",
		[ACT_TILES] = "tiles",
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

struct policy *policy_new(const char *source)
{
	struct policy *pol = xcalloc(1, sizeof(*pol));

	pol->source = xstrdup(source);
	return pol;
}

struct policy_rule *policy_add_rule(struct policy *pol)
{
	struct policy_rule *r;

	pol->rules = xrealloc(pol->rules, (pol->nrules + 1) * sizeof(*pol->rules));
	r = &pol->rules[pol->nrules++];
	memset(r, 0, sizeof(*r));
	r->launcher_rank = -1;
	return r;
}

void policy_add_pin(struct policy *pol, int child, int rank, int cpu, int node, int line)
{
	pol->pins = xrealloc(pol->pins, (pol->npins + 1) * sizeof(*pol->pins));
	pol->pins[pol->npins++] = (struct policy_pin){ child, rank, cpu, node, line, -1 };
}

void policy_add_binary(struct policy *pol, const char *module_identity)
{
	for (int i = 0; i < pol->nbinaries; i++)
		if (!strcmp(pol->binaries[i], module_identity))
			return;
	pol->binaries = xrealloc(pol->binaries, (pol->nbinaries + 1) * sizeof(char *));
	pol->binaries[pol->nbinaries++] = xstrdup(module_identity);
}

static void rule_free(struct policy_rule *r)
{
	for (int i = 0; i < r->nframes; i++)
		free(r->frames[i].module);
	free(r->frames);
	free(r->module);
	free(r->symbol);
	free(r->seg);
	free(r->each);
	free(r->comment);
	free(r->text);
}

static void *copy_array(const void *v, size_t n, size_t size)
{
	void *copy = n ? xmalloc(n * size) : NULL;

	if (n)
		memcpy(copy, v, n * size);
	return copy;
}

static char *copy_str(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void policy_copy_action(struct policy_rule *to, const struct policy_rule *from)
{
	free(to->seg);
	free(to->each);
	to->action = from->action;
	to->nodemask = from->nodemask;
	to->chunk = from->chunk;
	to->chunk_from = from->chunk_from;
	to->nseg = from->nseg;
	to->seg = copy_array(from->seg, from->nseg, sizeof(*from->seg));
	to->neach = from->neach;
	to->each = copy_array(from->each, from->neach, sizeof(*from->each));
}

/* A copy of rule `from` appended to pol, for the process of launcher
 * rank `rank`. */
static void add_rule_copy(struct policy *pol, const struct policy_rule *from, int rank)
{
	struct policy_rule *r = policy_add_rule(pol);

	r->site = from->site;
	r->kind = from->kind;
	r->nframes = from->nframes;
	r->frames = copy_array(from->frames, from->nframes, sizeof(*from->frames));
	for (int i = 0; i < r->nframes; i++)
		r->frames[i].module = xstrdup(from->frames[i].module);
	r->module = copy_str(from->module);
	r->symbol = copy_str(from->symbol);
	policy_copy_action(r, from);
	r->comment = copy_str(from->comment);
	r->text = copy_str(from->text);
	r->line = from->line;
	r->launcher_rank = rank;
}

void policy_add_rank(struct policy *job, const struct policy *one, int rank)
{
	for (int i = 0; i < one->nbinaries; i++)
		policy_add_binary(job, one->binaries[i]);
	for (int i = 0; i < one->nrules; i++)
		add_rule_copy(job, &one->rules[i], rank);
	for (int i = 0; i < one->npins; i++) {
		const struct policy_pin *p = &one->pins[i];

		policy_add_pin(job, p->child, p->rank, p->cpu, p->node, p->line);
		job->pins[job->npins - 1].launcher_rank = rank;
	}
	job->ranked = 1;
}

int policy_select_rank(struct policy *pol, int rank)
{
	int nrules = 0, npins = 0, own = 0;

	for (int i = 0; i < pol->nrules; i++) {
		struct policy_rule *r = &pol->rules[i];

		if (r->launcher_rank >= 0 && r->launcher_rank != rank) {
			rule_free(r);
			continue;
		}
		own += r->launcher_rank >= 0;
		pol->rules[nrules++] = *r;
	}
	for (int i = 0; i < pol->npins; i++) {
		if (pol->pins[i].launcher_rank >= 0 && pol->pins[i].launcher_rank != rank)
			continue;
		own += pol->pins[i].launcher_rank >= 0;
		pol->pins[npins++] = pol->pins[i];
	}
	pol->nrules = nrules;
	pol->npins = npins;
	return own;
}

void policy_free(struct policy *pol)
{
	if (!pol)
		return;
	for (int i = 0; i < pol->nrules; i++)
		rule_free(&pol->rules[i]);
	for (int i = 0; i < pol->nbinaries; i++)
		free(pol->binaries[i]);
	free(pol->binaries);
	free(pol->rules);
	free(pol->pins);
	free(pol->source);
	free(pol);
}

void place_plan_free(struct place_plan *p)
{
	free(p->ranges);
	p->ranges = NULL;
	p->n = 0;
}

/* ---- topology checks ---- */

static int topo_node_id(const struct nm_topology *t, int index)
{
	return t->node_ids ? t->node_ids[index] : index;
}

static uint64_t topo_node_mask(const struct nm_topology *t)
{
	uint64_t mask = 0;

	for (int i = 0; i < t->nr_nodes; i++)
		if (topo_node_id(t, i) < POLICY_MAX_NODES)
			mask |= 1ULL << topo_node_id(t, i);
	return mask;
}

int policy_parse_nodelist(const char *s, const struct nm_topology *topo, uint64_t *mask)
{
	*mask = 0;
	if (!strcmp(s, "all")) {
		if (!topo)
			return -1;
		*mask = topo_node_mask(topo);
		return 0;
	}
	while (*s) {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0)
			return -1;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				return -1;
		}
		if (hi >= POLICY_MAX_NODES) {
			*mask = (uint64_t)hi;
			return NODELIST_TOO_BIG;
		}
		for (long n = lo; n <= hi; n++)
			*mask |= 1ULL << n;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return *mask ? 0 : -1;
}

/* ---- matching ---- */

static int placeable_kind(enum obj_kind kind)
{
	return kind == OBJ_HEAP || kind == OBJ_MMAP || kind == OBJ_STATIC;
}

/* Number of leading frames equal to the rule's, or 0 when they differ
 * before one side runs out: the tracer may record fewer frames than the
 * profile had, and a deeper rule is the more specific one. */
static int callsite_score(const struct policy_rule *r, const struct nm_frame *frames, int nframes)
{
	int n = r->nframes < nframes ? r->nframes : nframes;

	for (int i = 0; i < n; i++)
		if (r->frames[i].offset != frames[i].offset ||
		    !frames[i].module || strcmp(r->frames[i].module, frames[i].module))
			return 0;
	return n;
}

/* How specifically rule r matches: 0 not at all, higher is better. */
static int rule_score(const struct policy_rule *r, const struct nm_object *obj,
		      const struct nm_frame *frames, int nframes)
{
	switch (r->site) {
	case SITE_DEFAULT:
		return 1;
	case SITE_STATIC:
		if (r->kind != obj->kind || !obj->name || strcmp(r->symbol, obj->name))
			return 0;
		if (nframes > 0 && frames[0].module && strcmp(r->module, frames[0].module))
			return 0;
		return 2;
	case SITE_CALLSITE:
		if (r->kind != obj->kind)
			return 0;
		return 2 + callsite_score(r, frames, nframes);
	}
	return 0;
}

static const struct policy_rule *best_rule(const struct policy *pol, const struct nm_object *obj,
					   const struct nm_frame *frames, int nframes)
{
	const struct policy_rule *best = NULL;
	int best_score = 0;

	for (int i = 0; i < pol->nrules; i++) {
		int score = rule_score(&pol->rules[i], obj, frames, nframes);

		/* A callsite rule matching no frame scores 2: not a match. */
		if (pol->rules[i].site == SITE_CALLSITE && score <= 2)
			continue;
		if (score > best_score) {
			best = &pol->rules[i];
			best_score = score;
		}
	}
	return best;
}

/* ---- plans ---- */

/* Appends a range to ranges[0..*n), merged with the last when they touch
 * with the same mode and nodes; the caller sized ranges for the rule. */
static void range_add(struct place_range *ranges, int *n, uint64_t offset, uint64_t length,
		      int mode, uint64_t mask)
{
	struct place_range *last = *n ? &ranges[*n - 1] : NULL;

	if (!length)
		return;
	if (last && last->offset + last->length == offset && last->mode == mode && last->nodemask == mask) {
		last->length += length;
		return;
	}
	ranges[(*n)++] = (struct place_range){ offset, length, mode, mask };
}

/* The address of proportional position ppm in [addr, addr+size), on the
 * nearest page boundary within [lo, hi]: neighbouring slices share it. */
static uint64_t slice_boundary(uint64_t addr, uint64_t size, uint32_t ppm, uint64_t page_size,
			       uint64_t lo, uint64_t hi)
{
	uint64_t at = addr + (uint64_t)((unsigned __int128)size * ppm / POLICY_PPM);

	at = (at + page_size / 2) / page_size * page_size;
	return at < lo ? lo : at > hi ? hi : at;
}

/* Chunks dealt to nodes in turn over [lo, hi) of an object at addr:
 * chunk k, from origin + k * chunk, on nodes[k mod n], -1 left alone.
 * Chunk ends are rounded to the nearest page boundary, as slices' are;
 * with one range left of `room`, the rest is interleaved. */
struct deal {
	uint64_t addr, origin, chunk, lo, hi;
	const int *nodes;
	int n;
};

static int deal_chunks(const struct deal *d, uint64_t page_size, struct place_range *ranges, int room)
{
	uint64_t mask = 0, from = (d->origin + page_size / 2) / page_size * page_size;
	int n = 0;

	for (int i = 0; i < d->n; i++)
		if (d->nodes[i] >= 0)
			mask |= 1ULL << d->nodes[i];
	if (d->chunk < page_size || !mask)
		return 0;
	from = from < d->lo ? d->lo : from;
	for (uint64_t k = 0; from < d->hi; k++) {
		uint64_t to = d->origin + (k + 1) * d->chunk;
		int node = d->nodes[k % d->n];

		if (n == room - 1) {
			range_add(ranges, &n, from - d->addr, d->hi - from, MPOL_INTERLEAVE, mask);
			break;
		}
		to = (to + page_size / 2) / page_size * page_size;
		to = to < from ? from : to > d->hi ? d->hi : to;
		if (node >= 0)
			range_add(ranges, &n, from - d->addr, to - from, MPOL_BIND, 1ULL << node);
		from = to;
	}
	return n;
}

/* Chunk k (r->chunk bytes from chunk_from on) on node each[k mod neach]:
 * OpenMP's schedule(static, chunk); the bytes before chunk_from are left
 * alone. */
static int cyclic_ranges(const struct policy_rule *r, const struct nm_object *obj,
			 uint64_t page_size, uint64_t lo, uint64_t hi, struct place_range *ranges)
{
	struct deal d = { obj->addr, obj->addr + r->chunk_from, r->chunk, lo, hi, r->each, r->neach };

	return r->chunk_from < obj->size ? deal_chunks(&d, page_size, ranges, CYCLIC_MAX_RANGES) : 0;
}

/* Each slice's chunks, from the slice's start, dealt to its nodes: a
 * 2-D array's tiles (a band of rows per group of threads, each thread a
 * column range of every row).  The slices share the ranges' room. */
static int tiles_ranges(const struct policy_rule *r, const struct nm_object *obj,
			uint64_t page_size, uint64_t lo, uint64_t hi, struct place_range *ranges)
{
	int n = 0;

	for (int i = 0; i < r->nseg; i++) {
		const struct policy_segment *s = &r->seg[i];
		struct deal d = {
			obj->addr, obj->addr + (uint64_t)((unsigned __int128)obj->size * s->start / POLICY_PPM),
			r->chunk, slice_boundary(obj->addr, obj->size, s->start, page_size, lo, hi),
			slice_boundary(obj->addr, obj->size, s->end, page_size, lo, hi), r->each + s->first,
			s->count
		};

		n += deal_chunks(&d, page_size, ranges + n, (CYCLIC_MAX_RANGES - n) / (r->nseg - i));
	}
	return n;
}

int policy_tiles_node(const struct policy_rule *r, uint64_t off, uint64_t size)
{
	uint32_t pos = size ? (uint32_t)((unsigned __int128)off * POLICY_PPM / size) : 0;

	for (int i = 0; i < r->nseg; i++) {
		const struct policy_segment *s = &r->seg[i];
		uint64_t start = (uint64_t)((unsigned __int128)size * s->start / POLICY_PPM);

		if (pos >= s->start && pos < s->end && off >= start && r->chunk && s->count)
			return r->each[s->first + (off - start) / r->chunk % (uint64_t)s->count];
	}
	return -1;
}

static int rule_ranges(const struct policy_rule *r, const struct nm_object *obj, uint64_t nth,
		       uint64_t page_size, struct place_range *ranges)
{
	/* Only pages wholly inside the object: a page shared with a
	 * neighbour belongs to whoever placed it first. */
	uint64_t lo = (obj->addr + page_size - 1) / page_size * page_size;
	uint64_t hi = (obj->addr + obj->size) / page_size * page_size;
	int n = 0;

	if (hi <= lo)
		return 0;
	switch (r->action) {
	case ACT_BIND:
	case ACT_INTERLEAVE:
		range_add(ranges, &n, lo - obj->addr, hi - lo,
			  r->action == ACT_BIND ? MPOL_BIND : MPOL_INTERLEAVE, r->nodemask);
		break;
	case ACT_BLOCK:
	case ACT_PAGEMAP:
		for (int i = 0; i < r->nseg; i++) {
			uint64_t from = slice_boundary(obj->addr, obj->size, r->seg[i].start, page_size, lo, hi);
			uint64_t to = slice_boundary(obj->addr, obj->size, r->seg[i].end, page_size, lo, hi);

			if (to > from)
				range_add(ranges, &n, from - obj->addr, to - from, MPOL_BIND,
					  1ULL << r->seg[i].node);
		}
		break;
	case ACT_EACH:
		/* The list repeats: a run with more objects than the profile
		 * had follows the same rotation. */
		if (r->neach && r->each[nth % r->neach] >= 0)
			range_add(ranges, &n, lo - obj->addr, hi - lo, MPOL_BIND,
				  1ULL << r->each[nth % r->neach]);
		break;
	case ACT_CYCLIC:
		return cyclic_ranges(r, obj, page_size, lo, hi, ranges);
	case ACT_TILES:
		return tiles_ranges(r, obj, page_size, lo, hi, ranges);
	case ACT_LEAVE:
		break;
	}
	return n;
}

static int rule_max_ranges(const struct policy_rule *r)
{
	if (r->action == ACT_CYCLIC || r->action == ACT_TILES)
		return CYCLIC_MAX_RANGES;
	return r->nseg > 1 ? r->nseg : 1;
}

int policy_max_ranges(const struct policy *pol)
{
	int most = 1;

	for (int i = 0; pol && i < pol->nrules; i++)
		if (rule_max_ranges(&pol->rules[i]) > most)
			most = rule_max_ranges(&pol->rules[i]);
	return most;
}

int policy_place(const struct policy *pol, const struct nm_object *obj,
		 const struct nm_frame *frames, int nframes, uint64_t *matched, uint64_t page_size,
		 struct place_range *ranges, const char **rule)
{
	const struct policy_rule *r;
	uint64_t nth = 0;
	int n;

	if (!pol || pol->disabled || !placeable_kind(obj->kind) || !page_size)
		return 0;
	r = best_rule(pol, obj, frames, nframes);
	if (r && matched)
		nth = matched[r - pol->rules]++;
	if (!r || r->action == ACT_LEAVE)
		return 0;
	n = rule_ranges(r, obj, nth, page_size, ranges);
	if (n && rule)
		*rule = r->text;
	return n;
}

enum stack_placement policy_kind_placement(const struct policy *pol, enum obj_kind kind,
					   struct place_range *whole)
{
	if (!pol || pol->disabled || (kind != OBJ_HEAP && kind != OBJ_MMAP))
		return STACK_LEAVES;
	for (int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].site == SITE_CALLSITE && pol->rules[i].kind == kind)
			return STACK_PLANS;
	/* Only the default rule, if any, can match (rule_score()). */
	return policy_stack_placement(pol, kind, NULL, 0, whole);
}

enum stack_placement policy_stack_placement(const struct policy *pol, enum obj_kind kind,
					    const struct nm_frame *frames, int nframes,
					    struct place_range *whole)
{
	const struct policy_rule *r;

	if (!pol || pol->disabled || (kind != OBJ_HEAP && kind != OBJ_MMAP))
		return STACK_LEAVES;
	/* A heap block's or mapping's rule is chosen by its kind and stack
	 * alone (rule_score()). */
	r = best_rule(pol, &(struct nm_object){ .kind = kind }, frames, nframes);
	if (!r || r->action == ACT_LEAVE)
		return STACK_LEAVES;
	if (r->action != ACT_BIND && r->action != ACT_INTERLEAVE)
		return STACK_PLANS;
	*whole = (struct place_range){ .mode = r->action == ACT_BIND ? MPOL_BIND : MPOL_INTERLEAVE,
				       .nodemask = r->nodemask };
	return STACK_WHOLE;
}

int policy_plan_object(const struct policy *pol, const struct nm_object *obj,
		       const struct nm_frame *frames, int nframes, uint64_t *matched,
		       uint64_t page_size, struct place_plan *plan)
{
	/* Sized for the rule that will match, not the policy's largest: a
	 * cyclic rule's room would be allocated for every object. */
	const struct policy_rule *r = pol && !pol->disabled ? best_rule(pol, obj, frames, nframes) : NULL;

	memset(plan, 0, sizeof(*plan));
	plan->ranges = xcalloc(r ? rule_max_ranges(r) : 1, sizeof(*plan->ranges));
	plan->n = policy_place(pol, obj, frames, nframes, matched, page_size, plan->ranges,
			       &plan->rule);
	if (!plan->n)
		place_plan_free(plan);
	return plan->n > 0;
}

int place_plan_thp_edges(const struct place_plan *plan, uint64_t obj_addr, uint64_t *pages)
{
	int n = 0;

	for (int i = 0; i < plan->n; i++) {
		uint64_t start = obj_addr + plan->ranges[i].offset;
		uint64_t end = start + plan->ranges[i].length;
		bool shared = i && obj_addr + plan->ranges[i - 1].offset + plan->ranges[i - 1].length == start;

		if (start % PLACE_THP_SIZE && !shared)
			pages[n++] = start;
		if (end % PLACE_THP_SIZE)
			pages[n++] = end - PLACE_PAGE_SIZE;
	}
	return n;
}

int place_page_target(const struct place_range *r, uint64_t page, int status)
{
	int k;

	if (status < 0 || !r->nodemask || (status < POLICY_MAX_NODES && (r->nodemask >> status & 1)))
		return -1;
	k = (int)(page % (uint64_t)__builtin_popcountll(r->nodemask));
	for (int node = 0; node < POLICY_MAX_NODES; node++)
		if ((r->nodemask >> node & 1) && k-- == 0)
			return node;
	return -1;
}

static int pin_cpu(const struct policy *pol, int child, int rank)
{
	if (!pol || pol->disabled)
		return -1;
	for (int i = 0; i < pol->npins; i++)
		if (pol->pins[i].child == child && pol->pins[i].rank == rank)
			return pol->pins[i].cpu;
	return -1;
}

int policy_thread_cpu(const struct policy *pol, int rank)
{
	return pin_cpu(pol, 0, rank);
}

bool policy_main_thread_only(const struct policy *pol)
{
	bool main = false;

	if (!pol || pol->disabled)
		return false;
	for (int i = 0; i < pol->npins; i++) {
		if (pol->pins[i].child || pol->pins[i].rank)
			return false;
		main = true;
	}
	return main;
}

int policy_child_cpu(const struct policy *pol, int child)
{
	return child > 0 ? pin_cpu(pol, child, 0) : -1;
}

int policy_matches_module(const struct policy *pol, const char *module_identity)
{
	if (!pol->nbinaries)
		return 1;
	for (int i = 0; i < pol->nbinaries; i++)
		if (!strcmp(pol->binaries[i], module_identity))
			return 1;
	return 0;
}

void policy_nodelist_text(uint64_t nodes, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int n = 0; n < POLICY_MAX_NODES && used < len; n++) {
		int end = n;

		if (!(nodes >> n & 1))
			continue;
		while (end + 1 < POLICY_MAX_NODES && (nodes >> (end + 1) & 1))
			end++;
		if (end > n)
			used += snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", n, end);
		else
			used += snprintf(buf + used, len - used, "%s%d", used ? "," : "", n);
		n = end;
	}
}
