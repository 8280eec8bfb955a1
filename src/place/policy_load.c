/* Loading a policy for `numamma run`: from a policy file or, advised in
 * memory, from a profile; checked against the machine it is applied on.
 * The layer above placement.c's pure matching: it reads files and prints
 * what is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "error.h"
#include "placement.h"
#include "profile.h"

/* ---- checks against the machine ---- */

static int topo_has_node(const struct nm_topology *t, int node)
{
	for (int i = 0; i < t->nr_nodes; i++)
		if ((t->node_ids ? t->node_ids[i] : i) == node)
			return 1;
	return 0;
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

static struct policy *policy_from_profile(const char *path, const struct nm_topology *topo)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE, .machine = topo };
	struct profile prof;
	struct advice adv;
	struct policy *pol = NULL;

	if (profile_load(&prof, &path, 1, PROFILE_SAMPLES) < 0)
		return NULL;
	/* Planned for the machine it is applied on. */
	opts.nodes = topo ? topo->nr_nodes : 0;
	if (advise_profile(&prof.runs[0], path, &opts, &adv) == 0) {
		pol = adv.policy;
		adv.policy = NULL;
		advice_free(&adv);
	}
	profile_free(&prof);
	return pol;
}

/* An MPI job's policy: this process keeps its own rank's section. */
static void select_rank(struct policy *pol, int launcher_rank)
{
	if (!pol->ranked || policy_select_rank(pol, launcher_rank))
		return;
	if (launcher_rank < 0)
		warning("policy '%s' is for the ranks of an MPI job, and no launcher rank is in the "
			"environment: only its rules for every rank apply", pol->source);
	else
		warning("policy '%s' has no section for launcher rank %d: only its rules for every "
			"rank apply", pol->source, launcher_rank);
}

struct policy *policy_load(const char *path, const struct nm_topology *topo, int strict,
			   int launcher_rank)
{
	struct policy *pol;

	pol = profile_is_database(path) ? policy_from_profile(path, topo) : policy_read_file(path);
	if (!pol)
		return NULL;
	select_rank(pol, launcher_rank);
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
	uint64_t mask, all;
	int bind = !strcmp(mode, "bind");

	if (!bind && strcmp(mode, "interleave")) {
		error("unknown placement '%s' (want interleave or bind)", mode);
		return NULL;
	}
	if (policy_parse_nodelist(nodes, topo, &mask) == NODELIST_TOO_BIG) {
		error("--%s=%s: node %llu does not exist on this machine", mode, nodes,
		      (unsigned long long)mask);
		return NULL;
	}
	if (policy_parse_nodelist(nodes, topo, &mask) < 0 || (bind && (mask & (mask - 1)))) {
		error("--%s=%s: %s", mode, nodes,
		      bind ? "want one node number" : "want 'all' or a node list like 0-3,5");
		return NULL;
	}
	if (topo && policy_parse_nodelist("all", topo, &all) == 0 && (mask & ~all)) {
		error("--%s=%s: node %d does not exist on this machine", mode, nodes,
		      __builtin_ctzll(mask & ~all));
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
