/* numamma stat's output on a made-up run with a PMU (which this machine
 * lacks): hardware counts, their derived ratios, a multiplexed count, an
 * event not counted, a signal death, resident pages and numastat deltas,
 * in text and JSON. */
#include <signal.h>

#include "stat.h"
#include "unit.h"

static struct stat_event event(const char *name, bool hw, uint64_t value, double running)
{
	return (struct stat_event){
		.name = (char *)name, .hardware = hw, .value = value,
		.enabled = 1000, .running = (uint64_t)(1000 * running),
	};
}

static void fill(struct stat_result *r)
{
	static struct stat_event ev[8];

	ev[0] = event("task-clock", false, 2000000000, 1);
	ev[0].unit = UNIT_NSEC;
	ev[1] = event("page-faults", false, 4000, 1);
	ev[2] = event("cycles", true, 1000000, 1);
	ev[3] = event("instructions", true, 2500000, 0.5);
	ev[4] = event("local-dram", true, 300, 1);
	ev[5] = event("remote-dram", true, 100, 1);
	ev[6] = event("remote-cache", true, 0, 0);
	snprintf(ev[6].why, sizeof(ev[6].why), "never scheduled");
	r->events = (struct stat_events){ .ev = ev, .n = 7 };
	r->command = "./app 'a b'";
	r->pid = 42;
	r->rank = 3;
	r->status = SIGKILL;                 /* a wait status: killed by 9 */
	r->elapsed = 1.0;
	r->resident.ok = true;
	r->resident.kib[0] = 4;
	r->resident.kib[2] = 12;
	r->before.nnodes = r->after.nnodes = 2;
	r->before.node[1] = r->after.node[1] = 2;
	r->before.numastat[1][NS_NUMA_HIT] = 100;
	r->after.numastat[1][NS_NUMA_HIT] = 4100;
	r->after.numastat[1][NS_LOCAL_NODE] = 3000;
	r->after.numastat[1][NS_OTHER_NODE] = 1000;
}

static char *render(void (*print)(FILE *, const struct stat_result *), const struct stat_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	print(f, r);
	fclose(f);
	return buf;
}

#define CHECK_HAS(text, want) do { \
	if (!strstr(text, want)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: no \"%s\" in:\n%s\n", __FILE__, __LINE__, want, text); \
	} \
} while (0)

int main(void)
{
	static struct stat_result r;
	char *text, *json;

	fill(&r);
	text = render(stat_print_text, &r);
	CHECK_HAS(text, " numamma stat: ./app 'a b' (pid 42, MPI rank 3, killed by SIGKILL)");
	CHECK_HAS(text, "2000.00 msec task-clock              #    2.000 CPUs utilized");
	CHECK_HAS(text, "4000      page-faults             #    2.000 K/sec");
	CHECK_HAS(text, "2500000      instructions            #     2.50 insn per cycle  (50.0%)");
	CHECK_HAS(text, "300      local-dram              #    75.00 % of DRAM loads local");
	CHECK_HAS(text, "<not counted>      remote-cache  (never scheduled)");
	CHECK_HAS(text, "3      pages on node 2");
	CHECK_HAS(text, "4      pages in all");
	CHECK_HAS(text, " SYSTEM-WIDE (every process)");
	CHECK_HAS(text, "75.00 %  (local_node / (local_node + other_node))");
	CHECK(!strstr(text, "no hardware counters"));

	json = render(stat_print_json, &r);
	CHECK_HAS(json, "\"command\":\"./app 'a b'\",\"pid\":42,\"mode\":\"launch\",\"rank\":3");
	CHECK_HAS(json, "\"exit\":{\"signal\":9,\"signal_name\":\"SIGKILL\"}");
	CHECK_HAS(json, "\"instructions\":{\"counted\":true,\"value\":2500000,\"unit\":\"\","
		  "\"user_only\":false,\"running_fraction\":0.5000}");
	CHECK_HAS(json, "\"remote-cache\":{\"counted\":false,\"value\":null,\"why\":\"never scheduled\"}");
	CHECK_HAS(json, "\"hardware\":{\"requested\":5,\"counted\":4}");
	CHECK_HAS(json, "\"insn_per_cycle\":2.5,");
	CHECK_HAS(json, "\"local_dram_ratio\":0.75,");
	CHECK_HAS(json, "\"cache_miss_ratio\":null,");
	CHECK_HAS(json, "\"pages\":4,\"nodes\":{\"0\":{\"pages\":1,\"kib\":4},\"2\":{\"pages\":3,\"kib\":12}}");
	CHECK_HAS(json, "\"2\":{\"numa_hit\":4000,");
	/* One line: its only newline is the last character. */
	CHECK(strchr(json, '\n') == json + strlen(json) - 1);
	free(text);
	free(json);
	return unit_done();
}
