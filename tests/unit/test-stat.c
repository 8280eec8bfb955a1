/* numamma stat's pure parsers on literal kernel text: numastat, vmstat,
 * numa_maps lines; and per-rank file names. */
#include "stat.h"
#include "unit.h"

static const char numastat_text[] =
	"numa_hit 123456\n"
	"numa_miss 7\n"
	"numa_foreign 0\n"
	"interleave_hit 512\n"
	"local_node 120000\n"
	"other_node 3463\n";

static void test_numastat(void)
{
	uint64_t v[NUMASTAT_NKEYS] = { 0 }, found = 0;

	CHECK_INT(stat_parse_counters(numastat_text, numastat_keys, NUMASTAT_NKEYS, v, &found), 6);
	CHECK_INT(found, 0x3f);
	CHECK_INT(v[NS_NUMA_HIT], 123456);
	CHECK_INT(v[1], 7);
	CHECK_INT(v[3], 512);
	CHECK_INT(v[NS_OTHER_NODE], 3463);
}

static void test_vmstat(void)
{
	/* Keys that are prefixes of others, a truncated line, no final newline. */
	static const char text[] =
		"nr_free_pages 1000\n"
		"numa_hit 42\n"
		"numa_hit_extra 9\n"
		"numa_miss\n"
		"numa_local 40\n"
		"numa_other 2\n"
		"pgmigrate_success 17";
	uint64_t v[VMSTAT_NKEYS], found = 0;

	for (int i = 0; i < VMSTAT_NKEYS; i++)
		v[i] = 99;
	CHECK_INT(stat_parse_counters(text, vmstat_keys, VMSTAT_NKEYS, v, &found), 4);
	CHECK_STR(vmstat_keys[0], "numa_hit");
	CHECK_INT(v[0], 42);
	CHECK(!(found & 2));          /* numa_miss without a value */
	CHECK_INT(v[1], 99);          /* untouched */
	CHECK_STR(vmstat_keys[4], "numa_local");
	CHECK_INT(v[4], 40);
	CHECK_INT(v[5], 2);
	CHECK_STR(vmstat_keys[11], "pgmigrate_success");
	CHECK_INT(v[11], 17);
	CHECK_INT(stat_parse_counters("", vmstat_keys, VMSTAT_NKEYS, v, &found), 0);
}

static void test_numa_maps(void)
{
	static uint64_t kib[STAT_MAX_NODES];

	CHECK_INT(stat_parse_numa_maps_line("7f0000000000 bind:2 anon=256 dirty=256 "
					    "N2=256 kernelpagesize_kB=4\n", kib), 0);
	CHECK_INT(kib[2], 1024);
	/* A hugetlbfs mapping over two nodes: 2 MiB pages. */
	CHECK_INT(stat_parse_numa_maps_line("7f0000200000 default file=/anon_hugepage\\040(deleted) "
					    "huge anon=3 dirty=3 N0=1 N3=2 kernelpagesize_kB=2048",
					    kib), 0);
	CHECK_INT(kib[0], 2048);
	CHECK_INT(kib[3], 4096);
	CHECK_INT(kib[2], 1024);
	/* A mapping with no resident page. */
	CHECK_INT(stat_parse_numa_maps_line("555555554000 default file=/usr/bin/cat "
					    "kernelpagesize_kB=4", kib), 0);
	CHECK_INT(kib[0], 2048);
	/* Not numa_maps lines: kib untouched. */
	CHECK_INT(stat_parse_numa_maps_line("numa_hit 12", kib), -1);
	CHECK_INT(stat_parse_numa_maps_line("", kib), -1);
	CHECK_INT(stat_parse_numa_maps_line("7f00 N1=5", kib), 0);
	CHECK_INT(kib[1], 20);
	/* A node beyond any kernel's limit is not counted. */
	CHECK_INT(stat_parse_numa_maps_line("7f00 N4096=5 N1=1", kib), 0);
	CHECK_INT(kib[1], 24);
}

int main(void)
{
	test_numastat();
	test_vmstat();
	test_numa_maps();
	return unit_done();
}
