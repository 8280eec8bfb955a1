/* The launcher's binding: /proc/PID/status parsing, the cpus and nodes
 * it allows, a pin moved inside it, a topology cut down to it, a plan's
 * ranges kept to its nodes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allowed.h"
#include "binding.h"
#include "topology.h"
#include "unit.h"

static void test_status(void)
{
	struct allowed a;

	allowed_parse_status("Name:\tapp\nCpus_allowed:\t0c\nCpus_allowed_list:\t2-3\n"
			     "Mems_allowed:\t00000002\nMems_allowed_list:\t1  \nvoluntary:\t3\n", &a);
	CHECK_STR(a.cpus, "2-3");
	CHECK_STR(a.mems, "1");
	allowed_free(&a);
	/* A kernel without the lists: unknown, not empty. */
	allowed_parse_status("Name:\tapp\nCpus_allowed:\tff\n", &a);
	CHECK(!a.cpus && !a.mems);
	allowed_free(&a);
	CHECK_INT(allowed_read(getpid(), &a), 0);
	CHECK(a.cpus && a.mems);
	allowed_free(&a);
}

static void test_parse(void)
{
	struct binding b;

	CHECK_INT(binding_parse(&b, "2-3,6", "1,3"), 0);
	CHECK(!binding_has_cpu(&b, 0) && binding_has_cpu(&b, 2) && binding_has_cpu(&b, 3));
	CHECK(!binding_has_cpu(&b, 4) && binding_has_cpu(&b, 6) && !binding_has_cpu(&b, -1));
	CHECK(!binding_has_node(&b, 0) && binding_has_node(&b, 1) && binding_has_node(&b, 3));
	CHECK(!binding_has_node(&b, 64));
	binding_free(&b);
	/* Unknown lists allow everything. */
	CHECK_INT(binding_parse(&b, NULL, NULL), 0);
	CHECK(binding_has_cpu(&b, 100) && binding_has_node(&b, 5));
	binding_free(&b);
	CHECK_INT(binding_parse(&b, "3-1", "0"), -1);
	CHECK(binding_has_cpu(&b, 0));
	CHECK_INT(binding_parse(&b, "0", "x"), -1);
	CHECK_INT(binding_parse(&b, "", "0"), -1);
}

/* 4 nodes of 2 cpus: cpu c on node c / 2. */
static int cpu_node4[] = { 0, 0, 1, 1, 2, 2, 3, 3 };
static int node_ids4[] = { 0, 1, 2, 3 };
static const struct nm_topology four = { 4, 8, cpu_node4, NULL, node_ids4 };

static void test_pick(void)
{
	struct binding b;

	binding_parse(&b, "2-5", NULL);
	CHECK_INT(binding_pick_cpu(&b, &four, 3, 0), 3);
	/* cpu 1's node has no allowed cpu: any allowed one, in turn. */
	CHECK_INT(binding_pick_cpu(&b, &four, 1, 0), 2);
	CHECK_INT(binding_pick_cpu(&b, &four, 1, 1), 3);
	CHECK_INT(binding_pick_cpu(&b, &four, 1, 5), 3);
	binding_free(&b);
	/* Same node first: cpu 4's node 2 has cpu 5 allowed. */
	binding_parse(&b, "0,5", NULL);
	CHECK_INT(binding_pick_cpu(&b, &four, 4, 0), 5);
	CHECK_INT(binding_pick_cpu(&b, &four, 4, 3), 5);
	CHECK_INT(binding_pick_cpu(&b, &four, 7, 1), 5);
	binding_free(&b);
}

static void test_restrict_topology(void)
{
	struct nm_topology t;
	struct binding b;

	/* A rank given cpus 2-5 and nodes 1-2 plans on nodes 1 and 2. */
	binding_parse(&b, "2-5", "1-2");
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 1);
	CHECK_INT(t.nr_nodes, 2);
	CHECK(t.nr_nodes == 2 && t.node_ids[0] == 1 && t.node_ids[1] == 2);
	CHECK_INT(t.nr_cpus, 8);
	CHECK(t.cpu_node[1] == -1 && t.cpu_node[2] == 1 && t.cpu_node[5] == 2 && t.cpu_node[6] == -1);
	topology_free(&t);
	binding_free(&b);
	/* Cpus of node 0 only, memory anywhere: threads and pages on node 0. */
	binding_parse(&b, "0-1", "0-3");
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 1);
	CHECK(t.nr_nodes == 1 && t.node_ids[0] == 0);
	topology_free(&t);
	binding_free(&b);
	/* Cpus on node 0, memory on node 3 only (a memory-only cpuset):
	 * the allowed node. */
	binding_parse(&b, "0-1", "3");
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 1);
	CHECK(t.nr_nodes == 1 && t.node_ids[0] == 3);
	topology_free(&t);
	binding_free(&b);
	/* The whole machine: nothing to cut. */
	binding_parse(&b, "0-7", "0-3");
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 0);
	binding_free(&b);
	binding_parse(&b, NULL, NULL);
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 0);
	binding_free(&b);
	/* Nodes the machine does not have: nothing left, nothing cut. */
	binding_parse(&b, "0-7", "9");
	CHECK_INT(binding_restrict_topology(&b, &four, &t), 0);
	binding_free(&b);
}

static void test_restrict_ranges(void)
{
	struct place_range r[] = {
		{ 0, 4096, 2, 0x1 },        /* bind 0: outside, dropped */
		{ 4096, 4096, 3, 0xf },     /* interleave 0-3: kept to 1-2 */
		{ 8192, 4096, 2, 0x2 },     /* bind 1: untouched */
	};
	struct binding b;
	int narrowed, n;
	char text[NODELIST_TEXT];

	binding_parse(&b, NULL, "1-2");
	n = binding_restrict_ranges(&b, r, 3, &narrowed);
	CHECK_INT(n, 2);
	CHECK_INT(narrowed, 2);
	CHECK(r[0].offset == 4096 && r[0].nodemask == 0x6 && r[0].mode == 3);
	CHECK(r[1].offset == 8192 && r[1].nodemask == 0x2);
	binding_free(&b);
	binding_parse(&b, NULL, NULL);
	CHECK_INT(binding_restrict_ranges(&b, r, 2, &narrowed), 2);
	CHECK_INT(narrowed, 0);
	binding_free(&b);
	policy_nodelist_text(0x6, text, sizeof(text));
	CHECK_STR(text, "1-2");
	policy_nodelist_text(0x2d, text, sizeof(text));
	CHECK_STR(text, "0,2-3,5");
	policy_nodelist_text(1ULL << 63, text, sizeof(text));
	CHECK_STR(text, "63");
}

int main(void)
{
	test_status();
	test_parse();
	test_pick();
	test_restrict_topology();
	test_restrict_ranges();
	return unit_done();
}
