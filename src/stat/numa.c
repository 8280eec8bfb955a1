/* Snapshots of the system's NUMA counters (numastat per node, /proc/vmstat)
 * and of a process's resident pages per node (/proc/PID/numa_maps). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stat.h"

#define NODE_DIR "/sys/devices/system/node"

const char *const numastat_keys[NUMASTAT_NKEYS] = {
	[NS_NUMA_HIT] = "numa_hit", [NS_NUMA_MISS] = "numa_miss",
	[NS_NUMA_FOREIGN] = "numa_foreign", [NS_INTERLEAVE_HIT] = "interleave_hit",
	[NS_LOCAL_NODE] = "local_node", [NS_OTHER_NODE] = "other_node",
};

const char *const vmstat_keys[VMSTAT_NKEYS] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
	"numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults",
	"numa_hint_faults_local", "numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail",
};

/* A small /proc or /sys file, whole, NUL-terminated; NULL if unreadable. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t cap = 8192, len = 0, n;
	char *buf;

	if (!f)
		return NULL;
	buf = xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[len] = 0;
	return buf;
}

static int node_id(const struct dirent *d)
{
	char *end;
	long id;

	if (strncmp(d->d_name, "node", 4) || d->d_name[4] < '0' || d->d_name[4] > '9')
		return -1;
	id = strtol(d->d_name + 4, &end, 10);
	return *end || id >= STAT_MAX_NODES ? -1 : (int)id;
}

static int is_node(const struct dirent *d)
{
	return node_id(d) >= 0;
}

static int by_node_id(const struct dirent **a, const struct dirent **b)
{
	return node_id(*a) - node_id(*b);
}

static void read_numastat(struct numa_snapshot *s)
{
	struct dirent **list;
	int n = scandir(NODE_DIR, &list, is_node, by_node_id);

	s->nnodes = 0;
	for (int i = 0; i < n; i++) {
		char *path = xasprintf(NODE_DIR "/%s/numastat", list[i]->d_name);
		char *text = read_text(path);
		uint64_t found = 0;

		if (text) {
			memset(s->numastat[s->nnodes], 0, sizeof(s->numastat[0]));
			stat_parse_counters(text, numastat_keys, NUMASTAT_NKEYS,
					    s->numastat[s->nnodes], &found);
			s->node[s->nnodes++] = node_id(list[i]);
		}
		free(text);
		free(path);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
}

void numa_snapshot_take(struct numa_snapshot *s)
{
	char *text = read_text("/proc/vmstat");

	read_numastat(s);
	s->vmstat_found = 0;
	if (text)
		stat_parse_counters(text, vmstat_keys, VMSTAT_NKEYS, s->vmstat, &s->vmstat_found);
	free(text);
}

void resident_read(pid_t pid, struct resident *r)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	memset(r->kib, 0, sizeof(r->kib));
	r->ok = false;
	f = fopen(path, "re");
	if (!f) {
		snprintf(r->why, sizeof(r->why), "cannot read %s: %s", path, strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) > 0)
		stat_parse_numa_maps_line(line, r->kib);
	free(line);
	for (int n = 0; n < STAT_MAX_NODES && !r->ok; n++)
		r->ok = r->kib[n] != 0;
	if (ferror(f)) {
		snprintf(r->why, sizeof(r->why), "cannot read %s: %s", path, strerror(errno));
		r->ok = false;
	} else if (!r->ok) {
		/* A process killed by SIGKILL stops at its exit with its pages gone. */
		snprintf(r->why, sizeof(r->why), "%s shows no page: the memory was already "
			 "released", path);
	}
	fclose(f);
}
