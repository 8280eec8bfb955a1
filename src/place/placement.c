/* Placement policies: matching objects to rules and turning a rule into
 * page-aligned mbind ranges.  Pure logic; `numamma run` does the calls. */
#include <numaif.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "db.h"
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
	return r;
}

void policy_add_pin(struct policy *pol, int rank, int cpu, int node, int line)
{
	pol->pins = xrealloc(pol->pins, (pol->npins + 1) * sizeof(*pol->pins));
	pol->pins[pol->npins++] = (struct policy_pin){ rank, cpu, node, line };
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

static int topo_has_node(const struct nm_topology *t, int node)
{
	for (int i = 0; i < t->nr_nodes; i++)
		if (topo_node_id(t, i) == node)
			return 1;
	return 0;
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
		if (hi >= POLICY_MAX_NODES)
			return -1;
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

/* "policy 'FILE' line N" or "policy 'FILE'" for rules built in memory. */
static int policy_error(const struct policy *pol, int line, const char *what, int value)
{
	if (line)
		return error("policy '%s' line %d: %s %d does not exist on this machine",
			     pol->source, line, what, value);
	return error("policy '%s': %s %d does not exist on this machine", pol->source, what, value);
}

static int first_missing_node(const struct policy_rule *r, const struct nm_topology *t)
{
	for (int n = 0; n < POLICY_MAX_NODES; n++)
		if ((r->nodemask >> n & 1) && !topo_has_node(t, n))
			return n;
	for (int i = 0; i < r->nseg; i++)
		if (!topo_has_node(t, r->seg[i].node))
			return r->seg[i].node;
	for (int i = 0; i < r->neach; i++)
		if (r->each[i] >= 0 && !topo_has_node(t, r->each[i]))
			return r->each[i];
	return -1;
}

int policy_validate(const struct policy *pol, const struct nm_topology *topo)
{
	if (!topo)
		return 0;
	for (int i = 0; i < pol->nrules; i++) {
		int node = first_missing_node(&pol->rules[i], topo);

		if (node >= 0)
			return policy_error(pol, pol->rules[i].line, "node", node);
	}
	for (int i = 0; i < pol->npins; i++) {
		const struct policy_pin *p = &pol->pins[i];

		if (p->cpu >= 0 && (p->cpu >= topo->nr_cpus || topo->cpu_node[p->cpu] < 0))
			return policy_error(pol, p->line, "cpu", p->cpu);
		if (p->cpu < 0 && !topo_has_node(topo, p->node))
			return policy_error(pol, p->line, "node", p->node);
	}
	return 0;
}

/* A pin naming only a node gets the node's cpus in turn, so that threads
 * planned on one node do not all share its first cpu. */
static void resolve_node_pins(struct policy *pol, const struct nm_topology *topo)
{
	int *next = xcalloc(POLICY_MAX_NODES, sizeof(int));

	for (int i = 0; i < pol->npins; i++) {
		struct policy_pin *p = &pol->pins[i];
		int ncpus = 0, want;

		if (p->cpu >= 0)
			continue;
		for (int c = 0; c < topo->nr_cpus; c++)
			ncpus += topo->cpu_node[c] == p->node;
		if (!ncpus)
			continue;
		want = next[p->node]++ % ncpus;
		for (int c = 0; c < topo->nr_cpus; c++)
			if (topo->cpu_node[c] == p->node && want-- == 0)
				p->cpu = c;
	}
	free(next);
}

/* ---- loading ---- */

static int is_sqlite_file(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	int yes;

	if (!f)
		return 0;
	yes = fread(head, 1, sizeof(head), f) == sizeof(head) && !memcmp(head, magic, sizeof(head));
	fclose(f);
	return yes;
}

static struct policy *policy_from_profile(const char *path, const struct nm_topology *topo)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .machine = topo };
	struct nm_db *db = db_open(path);
	struct advice adv;
	struct policy *pol = NULL;

	if (!db)
		return NULL;
	/* Planned for the machine it is applied on. */
	opts.nodes = topo ? topo->nr_nodes : 0;
	if (advise_db(db_sqlite(db), path, &opts, &adv) == 0) {
		pol = adv.policy;
		adv.policy = NULL;
		advice_free(&adv);
	}
	db_close(db);
	return pol;
}

struct policy *policy_load(const char *path, const struct nm_topology *topo, int strict)
{
	struct policy *pol;

	pol = is_sqlite_file(path) ? policy_from_profile(path, topo) : policy_read_file(path);
	if (!pol)
		return NULL;
	if (policy_validate(pol, topo) < 0) {
		policy_free(pol);
		return NULL;
	}
	if (topo)
		resolve_node_pins(pol, topo);
	pol->strict = strict;
	return pol;
}

struct policy *policy_global(const char *mode, const char *nodes, const struct nm_topology *topo)
{
	struct policy *pol;
	struct policy_rule *r;
	uint64_t mask;
	int bind = !strcmp(mode, "bind");

	if (!bind && strcmp(mode, "interleave")) {
		error("unknown placement '%s' (want interleave or bind)", mode);
		return NULL;
	}
	if (policy_parse_nodelist(nodes, topo, &mask) < 0 || (bind && (mask & (mask - 1)))) {
		error("--%s=%s: %s", mode, nodes,
		      bind ? "want one node number" : "want 'all' or a node list like 0-3,5");
		return NULL;
	}
	if (topo && (mask & ~topo_node_mask(topo))) {
		error("--%s=%s: node %d does not exist on this machine", mode, nodes,
		      __builtin_ctzll(mask & ~topo_node_mask(topo)));
		return NULL;
	}
	pol = policy_new(bind ? "--bind" : "--interleave");
	r = policy_add_rule(pol);
	r->site = SITE_DEFAULT;
	r->action = bind ? ACT_BIND : ACT_INTERLEAVE;
	r->nodemask = mask;
	policy_rule_format(r);
	return pol;
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

static void plan_add(struct place_plan *plan, uint64_t offset, uint64_t length, int mode, uint64_t mask)
{
	struct place_range *last = plan->n ? &plan->ranges[plan->n - 1] : NULL;

	if (!length)
		return;
	if (last && last->offset + last->length == offset && last->mode == mode && last->nodemask == mask) {
		last->length += length;
		return;
	}
	plan->ranges = xrealloc(plan->ranges, (plan->n + 1) * sizeof(*plan->ranges));
	plan->ranges[plan->n++] = (struct place_range){ offset, length, mode, mask };
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

int policy_plan_object(const struct policy *pol, const struct nm_object *obj,
		       const struct nm_frame *frames, int nframes, uint64_t *matched,
		       uint64_t page_size, struct place_plan *plan)
{
	const struct policy_rule *r;
	uint64_t lo, hi, nth = 0;

	memset(plan, 0, sizeof(*plan));
	if (!pol || pol->disabled || !placeable_kind(obj->kind) || !page_size)
		return 0;
	r = best_rule(pol, obj, frames, nframes);
	if (r && matched)
		nth = matched[r - pol->rules]++;
	if (!r || r->action == ACT_LEAVE)
		return 0;
	/* Only pages wholly inside the object: a page shared with a
	 * neighbour belongs to whoever placed it first. */
	lo = (obj->addr + page_size - 1) / page_size * page_size;
	hi = (obj->addr + obj->size) / page_size * page_size;
	if (hi <= lo)
		return 0;
	switch (r->action) {
	case ACT_BIND:
	case ACT_INTERLEAVE:
		plan_add(plan, lo - obj->addr, hi - lo,
			 r->action == ACT_BIND ? MPOL_BIND : MPOL_INTERLEAVE, r->nodemask);
		break;
	case ACT_BLOCK:
	case ACT_PAGEMAP:
		for (int i = 0; i < r->nseg; i++) {
			uint64_t from = slice_boundary(obj->addr, obj->size, r->seg[i].start, page_size, lo, hi);
			uint64_t to = slice_boundary(obj->addr, obj->size, r->seg[i].end, page_size, lo, hi);

			if (to > from)
				plan_add(plan, from - obj->addr, to - from, MPOL_BIND, 1ULL << r->seg[i].node);
		}
		break;
	case ACT_EACH:
		/* The list repeats: a run with more objects than the profile
		 * had follows the same rotation. */
		if (r->neach && r->each[nth % r->neach] >= 0)
			plan_add(plan, lo - obj->addr, hi - lo, MPOL_BIND, 1ULL << r->each[nth % r->neach]);
		break;
	case ACT_LEAVE:
		break;
	}
	if (!plan->n)
		return 0;
	plan->rule = r->text;
	return 1;
}

int policy_thread_cpu(const struct policy *pol, int rank)
{
	if (!pol || pol->disabled)
		return -1;
	for (int i = 0; i < pol->npins; i++)
		if (pol->pins[i].rank == rank)
			return pol->pins[i].cpu;
	return -1;
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

int policy_check_binary(struct policy *pol, const char *module_identity)
{
	if (policy_matches_module(pol, module_identity))
		return 0;
	if (pol->strict)
		return error("policy '%s' was made for %s, not for this program (%s)",
			     pol->source, pol->binaries[0], module_identity);
	warning("policy '%s' was made for %s, not for this program (%s): ignoring it",
		pol->source, pol->binaries[0], module_identity);
	hint("re-run 'numamma advise' on a profile of this program, or pass --strict to make this an error");
	pol->disabled = 1;
	return 0;
}
