/* NUMA topology from sysfs: node/nodeN/cpulist and node/nodeN/distance. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "topology.h"

#define MAX_CPUS 8192

int parse_cpulist(const char *s, unsigned char *mask, int max)
{
	int count = 0;

	memset(mask, 0, max);
	while (*s && *s != '\n') {
		char *end;
		long lo, hi, c;

		if (!isdigit((unsigned char)*s))
			return -1;
		lo = hi = strtol(s, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -1;
			hi = strtol(end + 1, &end, 10);
		}
		if (hi < lo)
			return -1;
		for (c = lo; c <= hi && c < max; c++) {
			count += !mask[c];
			mask[c] = 1;
		}
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return -1;
		s = end;
	}
	return count;
}

/* The first line of a sysfs file, without its newline; NULL if unreadable. */
static char *read_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	if (getline(&line, &cap, f) < 0) {
		free(line);
		line = NULL;
	}
	fclose(f);
	return line;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The sysfs numbers of the nodes, sorted; count in *n (0 without sysfs). */
static int *list_nodes(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int *ids = NULL, cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *end;
		long id;

		if (strncmp(e->d_name, "node", 4) || !isdigit((unsigned char)e->d_name[4]))
			continue;
		id = strtol(e->d_name + 4, &end, 10);
		if (*end)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[(*n)++] = (int)id;
	}
	closedir(d);
	qsort(ids, *n, sizeof(*ids), cmp_int);
	return ids;
}

static void single_node(struct nm_topology *t)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	int i;

	t->nr_nodes = 1;
	t->nr_cpus = cpus > 0 ? (int)cpus : 1;
	t->cpu_node = xmalloc(t->nr_cpus * sizeof(int));
	for (i = 0; i < t->nr_cpus; i++)
		t->cpu_node[i] = 0;
	t->distance = xmalloc(sizeof(int));
	t->distance[0] = 10;
	t->node_ids = xmalloc(sizeof(int));
	t->node_ids[0] = 0;
}

/* Node i's cpus into cpu_node[], as sysfs node numbers (what move_pages
 * and numactl speak); nr_cpus grows to the highest cpu + 1. */
static int read_node_cpus(struct nm_topology *t, const char *dir, int i, int *cpu_node)
{
	unsigned char *mask = xmalloc(MAX_CPUS);
	char *path = xasprintf("%s/node%d/cpulist", dir, t->node_ids[i]);
	char *line = read_line(path);
	int c, ret = 0;

	if (!line || parse_cpulist(line, mask, MAX_CPUS) < 0) {
		ret = error("topology: cannot read %s", path);
	} else {
		for (c = 0; c < MAX_CPUS; c++) {
			if (!mask[c])
				continue;
			cpu_node[c] = t->node_ids[i];
			if (c >= t->nr_cpus)
				t->nr_cpus = c + 1;
		}
	}
	free(line);
	free(path);
	free(mask);
	return ret;
}

/* Row i of the distance matrix; a missing file leaves 10/20 defaults. */
static void read_node_distances(struct nm_topology *t, const char *dir, int i)
{
	char *path = xasprintf("%s/node%d/distance", dir, t->node_ids[i]);
	char *line = read_line(path), *p = line, *end;
	int j;

	for (j = 0; j < t->nr_nodes; j++) {
		long d = p ? strtol(p, &end, 10) : 0;

		if (!p || end == p) {
			p = NULL;
			d = i == j ? 10 : 20;
		} else {
			p = end;
		}
		t->distance[i * t->nr_nodes + j] = (int)d;
	}
	free(line);
	free(path);
}

int topology_read(struct nm_topology *t, const char *sysfs_root)
{
	char *dir = xasprintf("%s/node", sysfs_root ? sysfs_root : "/sys/devices/system");
	int *cpu_node, i, ret = 0;

	memset(t, 0, sizeof(*t));
	t->node_ids = list_nodes(dir, &t->nr_nodes);
	if (!t->nr_nodes) {
		free(t->node_ids);
		free(dir);
		single_node(t);
		return 0;
	}
	cpu_node = xmalloc(MAX_CPUS * sizeof(int));
	for (i = 0; i < MAX_CPUS; i++)
		cpu_node[i] = -1;
	t->distance = xmalloc(t->nr_nodes * t->nr_nodes * sizeof(int));
	for (i = 0; i < t->nr_nodes && !ret; i++) {
		ret = read_node_cpus(t, dir, i, cpu_node);
		read_node_distances(t, dir, i);
	}
	t->cpu_node = xrealloc(cpu_node, (t->nr_cpus ? t->nr_cpus : 1) * sizeof(int));
	free(dir);
	if (ret)
		topology_free(t);
	return ret;
}

void topology_free(struct nm_topology *t)
{
	free(t->cpu_node);
	free(t->distance);
	free(t->node_ids);
	memset(t, 0, sizeof(*t));
}

int topology_node_of_cpu(const struct nm_topology *t, int cpu)
{
	if (!t || cpu < 0 || cpu >= t->nr_cpus)
		return -1;
	return t->cpu_node[cpu];
}
