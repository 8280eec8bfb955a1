/* The launcher's binding: see include/binding.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "error.h"
#include "topology.h"

#define BINDING_MAX_CPUS 8192

int binding_parse(struct binding *b, const char *cpus, const char *mems)
{
	unsigned char *nodes = NULL;
	int ret = 0;

	*b = (struct binding){ .all_nodes = true };
	if (cpus) {
		b->cpus = xmalloc(BINDING_MAX_CPUS);
		b->ncpus = BINDING_MAX_CPUS;
		if (parse_cpulist(cpus, b->cpus, BINDING_MAX_CPUS) <= 0)
			ret = -1;
	}
	if (mems && !ret) {
		nodes = xmalloc(POLICY_MAX_NODES);
		if (parse_cpulist(mems, nodes, POLICY_MAX_NODES) <= 0)
			ret = -1;
		for (int n = 0; n < POLICY_MAX_NODES && !ret; n++)
			b->nodes |= (uint64_t)(nodes[n] != 0) << n;
		b->all_nodes = ret != 0;
		free(nodes);
	}
	if (ret)
		binding_free(b);
	return ret;
}

void binding_free(struct binding *b)
{
	free(b->cpus);
	*b = (struct binding){ .all_nodes = true };
}

bool binding_has_cpu(const struct binding *b, int cpu)
{
	return cpu >= 0 && (!b->cpus || (cpu < b->ncpus && b->cpus[cpu]));
}

bool binding_has_node(const struct binding *b, int node)
{
	return node >= 0 && (b->all_nodes || (node < POLICY_MAX_NODES && (b->nodes >> node & 1)));
}

/* The allowed cpu after `turn` others among those on node (any node
 * when node < 0), cycling; -1 when there is none. */
static int nth_allowed(const struct binding *b, const struct nm_topology *topo, int node, int turn)
{
	int n = 0, want;

	for (int c = 0; c < topo->nr_cpus; c++)
		n += binding_has_cpu(b, c) && (node < 0 || topo->cpu_node[c] == node);
	if (!n)
		return -1;
	want = turn % n;
	for (int c = 0; c < topo->nr_cpus; c++)
		if (binding_has_cpu(b, c) && (node < 0 || topo->cpu_node[c] == node) && want-- == 0)
			return c;
	return -1;
}

int binding_pick_cpu(const struct binding *b, const struct nm_topology *topo, int cpu, int turn)
{
	int c;

	if (binding_has_cpu(b, cpu))
		return cpu;
	c = nth_allowed(b, topo, topology_node_of_cpu(topo, cpu), turn);
	return c >= 0 ? c : nth_allowed(b, topo, -1, turn);
}

static int node_at(const struct nm_topology *t, int i)
{
	return t->node_ids ? t->node_ids[i] : i;
}

/* Bit i: the i-th node of topo is kept. */
static uint64_t kept_nodes(const struct binding *b, const struct nm_topology *topo)
{
	uint64_t with_cpu = 0, allowed = 0;

	for (int i = 0; i < topo->nr_nodes && i < POLICY_MAX_NODES; i++) {
		int node = node_at(topo, i);

		if (!binding_has_node(b, node))
			continue;
		allowed |= 1ULL << i;
		for (int c = 0; c < topo->nr_cpus; c++)
			if (topo->cpu_node[c] == node && binding_has_cpu(b, c)) {
				with_cpu |= 1ULL << i;
				break;
			}
	}
	return with_cpu ? with_cpu : allowed;
}

static bool cpus_narrower(const struct binding *b, const struct nm_topology *topo)
{
	for (int c = 0; c < topo->nr_cpus; c++)
		if (topo->cpu_node[c] >= 0 && !binding_has_cpu(b, c))
			return true;
	return false;
}

int binding_restrict_topology(const struct binding *b, const struct nm_topology *topo,
			      struct nm_topology *out)
{
	uint64_t keep = kept_nodes(b, topo);
	int n = __builtin_popcountll(keep);

	if (!n || (n == topo->nr_nodes && !cpus_narrower(b, topo)))
		return 0;
	*out = (struct nm_topology){ .nr_cpus = topo->nr_cpus };
	out->node_ids = xmalloc(n * sizeof(int));
	for (int i = 0; i < topo->nr_nodes && i < POLICY_MAX_NODES; i++)
		if (keep >> i & 1)
			out->node_ids[out->nr_nodes++] = node_at(topo, i);
	out->cpu_node = xmalloc((topo->nr_cpus ? topo->nr_cpus : 1) * sizeof(int));
	for (int c = 0; c < topo->nr_cpus; c++)
		out->cpu_node[c] = binding_has_cpu(b, c) ? topo->cpu_node[c] : -1;
	return 1;
}

int binding_restrict_ranges(const struct binding *b, struct place_range *r, int n, int *narrowed)
{
	int kept = 0;

	*narrowed = 0;
	for (int i = 0; i < n; i++) {
		uint64_t mask = b->all_nodes ? r[i].nodemask : r[i].nodemask & b->nodes;

		*narrowed += mask != r[i].nodemask;
		if (!mask)
			continue;
		r[kept] = r[i];
		r[kept++].nodemask = mask;
	}
	return kept;
}
