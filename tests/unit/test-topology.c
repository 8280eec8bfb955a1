/* Topology: cpulist parsing, a fake 4-node sysfs tree, and this machine. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology.h"
#include "unit.h"

static void test_parse_cpulist(void)
{
	unsigned char mask[16];

	CHECK_INT(parse_cpulist("0-3", mask, 16), 4);
	CHECK(mask[0] && mask[3] && !mask[4]);
	CHECK_INT(parse_cpulist("0,2,5-6\n", mask, 16), 4);
	CHECK(mask[0] && !mask[1] && mask[2] && mask[5] && mask[6] && !mask[7]);
	CHECK_INT(parse_cpulist("", mask, 16), 0);          /* a memory-only node */
	CHECK_INT(parse_cpulist("\n", mask, 16), 0);
	CHECK_INT(parse_cpulist("14-20", mask, 16), 2);     /* clipped to max */
	CHECK_INT(parse_cpulist("1,1,0-1", mask, 16), 2);   /* counted once */
	CHECK_INT(parse_cpulist("3-1", mask, 16), -1);
	CHECK_INT(parse_cpulist("a", mask, 16), -1);
	CHECK_INT(parse_cpulist("1-", mask, 16), -1);
	CHECK_INT(parse_cpulist("1;2", mask, 16), -1);
}

static void write_file(const char *dir, int node, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/node/node%d", dir, node);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/node/node%d/%s", dir, node, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Nodes 0, 1, 2 and 4 (a hole, as on some machines), 2 cpus each but
 * node 4 without cpus. */
static void test_fake_sysfs(void)
{
	char dir[] = "/tmp/numamma-topo-XXXXXX", cmd[600], path[512];
	const char *cpus[] = { "0-1\n", "2,3\n", "4-5\n", "\n" };
	const char *dist[] = { "10 20 20 20\n", "20 10 20 20\n", "20 20 10 20\n", "20 20 20 10\n" };
	const int ids[] = { 0, 1, 2, 4 };
	struct nm_topology t;
	int i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/node", dir);
	mkdir(path, 0755);
	for (i = 0; i < 4; i++) {
		write_file(dir, ids[i], "cpulist", cpus[i]);
		write_file(dir, ids[i], "distance", dist[i]);
	}
	CHECK_INT(topology_read(&t, dir), 0);
	CHECK_INT(t.nr_nodes, 4);
	CHECK_INT(t.nr_cpus, 6);
	CHECK_INT(t.node_ids[3], 4);
	CHECK_INT(topology_node_of_cpu(&t, 0), 0);
	CHECK_INT(topology_node_of_cpu(&t, 3), 1);
	CHECK_INT(topology_node_of_cpu(&t, 5), 2);
	CHECK_INT(topology_node_of_cpu(&t, 6), -1);
	CHECK_INT(topology_node_of_cpu(&t, -1), -1);
	CHECK_INT(t.distance[0 * 4 + 0], 10);
	CHECK_INT(t.distance[1 * 4 + 2], 20);
	CHECK_INT(t.distance[3 * 4 + 3], 10);
	topology_free(&t);

	/* A node directory without cpulist is an error, not a silent guess. */
	snprintf(path, sizeof(path), "%s/node/node7", dir);
	mkdir(path, 0755);
	CHECK_INT(topology_read(&t, dir), -1);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

/* No node directory: one node with every configured cpu. */
static void test_no_numa(void)
{
	struct nm_topology t;

	CHECK_INT(topology_read(&t, "/nonexistent"), 0);
	CHECK_INT(t.nr_nodes, 1);
	CHECK_INT(t.nr_cpus, sysconf(_SC_NPROCESSORS_CONF));
	CHECK_INT(topology_node_of_cpu(&t, 0), 0);
	CHECK_INT(t.distance[0], 10);
	topology_free(&t);
}

static void test_this_machine(void)
{
	struct nm_topology t;
	int c, n = 0;

	CHECK_INT(topology_read(&t, NULL), 0);
	printf("this machine: %d node(s), %d cpu(s)\n", t.nr_nodes, t.nr_cpus);
	CHECK(t.nr_nodes >= 1);
	CHECK(t.nr_cpus >= 1);
	for (c = 0; c < t.nr_cpus; c++)
		n += topology_node_of_cpu(&t, c) >= 0;
	CHECK_INT(n, sysconf(_SC_NPROCESSORS_ONLN));
	topology_free(&t);
}

int main(void)
{
	test_parse_cpulist();
	test_fake_sysfs();
	test_no_numa();
	test_this_machine();
	return unit_done();
}
