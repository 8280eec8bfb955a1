/* numamma stat's output: perf stat's layout in text (value, unit, name,
 * derived ratio), the same facts in JSON.  The figures derived from the
 * counts are computed once (struct derived) for both. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "stat.h"

struct derived {
	double cpus_utilized;        /* task-clock / elapsed */
	double faults_per_sec;       /* page faults per second of task-clock */
	double ipc;                  /* instructions per cycle */
	double cache_miss_ratio;     /* cache-misses / cache-references */
	double local_dram_ratio;     /* local / (local + remote) DRAM loads */
	double numa_local_ratio;     /* system-wide: local_node / (local + other) */
};

static double value_of(const struct stat_result *r, const char *name)
{
	const struct stat_event *e = stat_event_find(&r->events, name);

	return e ? (double)e->value : NAN;
}

static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

/* A node's change over the run, matched by node id (nodes may come and go). */
static uint64_t numastat_delta(const struct stat_result *r, int i, enum numastat_key key)
{
	for (int j = 0; j < r->before.nnodes; j++)
		if (r->before.node[j] == r->after.node[i])
			return r->after.numastat[i][key] - r->before.numastat[j][key];
	return r->after.numastat[i][key];
}

static uint64_t vmstat_delta(const struct stat_result *r, int key)
{
	return r->after.vmstat[key] - r->before.vmstat[key];
}

static bool vmstat_has(const struct stat_result *r, int key)
{
	return (r->after.vmstat_found & r->before.vmstat_found) & (1ULL << key);
}

static double numastat_local_ratio(const struct stat_result *r)
{
	double local = 0, other = 0;

	for (int i = 0; i < r->after.nnodes; i++) {
		local += (double)numastat_delta(r, i, NS_LOCAL_NODE);
		other += (double)numastat_delta(r, i, NS_OTHER_NODE);
	}
	return ratio(local, local + other);
}

static struct derived derive(const struct stat_result *r)
{
	double clock_s = value_of(r, "task-clock") / 1e9;
	double local = value_of(r, "local-dram");

	return (struct derived){
		.cpus_utilized = ratio(clock_s, r->elapsed),
		.faults_per_sec = ratio(value_of(r, "page-faults"), clock_s),
		.ipc = ratio(value_of(r, "instructions"), value_of(r, "cycles")),
		.cache_miss_ratio = ratio(value_of(r, "cache-misses"), value_of(r, "cache-references")),
		.local_dram_ratio = ratio(local, local + value_of(r, "remote-dram")),
		.numa_local_ratio = numastat_local_ratio(r),
	};
}

/* "SIGKILL"; real-time signals have no abbreviation: "signal 40". */
static const char *signal_name(int sig)
{
	static char buf[32];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	else
		snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

static long page_kib(void)
{
	return sysconf(_SC_PAGESIZE) / 1024;
}

static uint64_t resident_total_kib(const struct resident *res)
{
	uint64_t total = 0;

	for (int n = 0; n < STAT_MAX_NODES; n++)
		total += res->kib[n];
	return total;
}

/* --- text --- */

static void text_header(FILE *out, const struct stat_result *r)
{
	fprintf(out, "\n numamma stat: %s (pid %d", r->command, (int)r->pid);
	if (r->rank >= 0)
		fprintf(out, ", MPI rank %d", r->rank);
	if (r->attached)
		fprintf(out, ", attached%s", r->exited_during ? ", exited meanwhile" : "");
	else if (WIFSIGNALED(r->status))
		fprintf(out, ", killed by %s", signal_name(WTERMSIG(r->status)));
	else
		fprintf(out, ", exit %d", WEXITSTATUS(r->status));
	fprintf(out, ")\n\n");
}

/* The ratio perf stat prints after an event, or "". */
static void comment_for(const char *name, const struct derived *d, char *buf, size_t len)
{
	buf[0] = 0;
	if (!strcmp(name, "task-clock") && !isnan(d->cpus_utilized))
		snprintf(buf, len, "# %8.3f CPUs utilized", d->cpus_utilized);
	else if (!strcmp(name, "page-faults") && !isnan(d->faults_per_sec))
		snprintf(buf, len, "# %8.3f K/sec", d->faults_per_sec / 1e3);
	else if (!strcmp(name, "instructions") && !isnan(d->ipc))
		snprintf(buf, len, "# %8.2f insn per cycle", d->ipc);
	else if (!strcmp(name, "cache-misses") && !isnan(d->cache_miss_ratio))
		snprintf(buf, len, "# %8.2f %% of all cache refs", 100 * d->cache_miss_ratio);
	else if (!strcmp(name, "local-dram") && !isnan(d->local_dram_ratio))
		snprintf(buf, len, "# %8.2f %% of DRAM loads local", 100 * d->local_dram_ratio);
}

static void text_event(FILE *out, const struct stat_event *e, const struct derived *d)
{
	const char *suffix = e->user_only ? ":u" : "";
	char comment[64];
	int width;

	if (e->why[0]) {
		fprintf(out, " %18s      %s%s  (%s)\n", "<not counted>", e->name, suffix, e->why);
		return;
	}
	if (e->unit == UNIT_NSEC)
		fprintf(out, " %18.2f msec ", e->value / 1e6);
	else
		fprintf(out, " %18llu      ", (unsigned long long)e->value);
	width = fprintf(out, "%s%s", e->name, suffix);
	comment_for(e->name, d, comment, sizeof(comment));
	if (comment[0])
		fprintf(out, "%*s  %s", width < 22 ? 22 - width : 0, "", comment);
	if (e->running && e->running < e->enabled)
		fprintf(out, "  (%.1f%%)", 100.0 * e->running / e->enabled);
	fputc('\n', out);
}

static void text_events(FILE *out, const struct stat_result *r, const struct derived *d)
{
	for (int i = 0; i < r->events.n; i++)
		if (!(r->events.hw_why[0] && r->events.ev[i].hardware))
			text_event(out, &r->events.ev[i], d);
	if (r->events.hw_why[0])
		fprintf(out, " %s\n", r->events.hw_why);
}

static void text_resident(FILE *out, const struct stat_result *r)
{
	uint64_t total = resident_total_kib(&r->resident);

	if (!r->resident.ok) {
		fprintf(out, "\n Resident pages per node: unknown: %s\n", r->resident.why);
		return;
	}
	fprintf(out, "\n Resident pages per node, this program only, at %s (numa_maps):\n",
		r->attached ? "the end" : "its exit");
	for (int n = 0; n < STAT_MAX_NODES; n++)
		if (r->resident.kib[n])
			fprintf(out, " %18llu      pages on node %-4d  %12llu KiB  %6.2f %%\n",
				(unsigned long long)(r->resident.kib[n] / page_kib()), n,
				(unsigned long long)r->resident.kib[n],
				100.0 * r->resident.kib[n] / total);
	fprintf(out, " %18llu      pages in all\n", (unsigned long long)(total / page_kib()));
}

static void text_numastat(FILE *out, const struct stat_result *r, const struct derived *d)
{
	fprintf(out, "\n SYSTEM-WIDE (every process), change over the run, in pages "
		"(/sys/devices/system/node/node*/numastat):\n %-22s", "");
	for (int i = 0; i < r->after.nnodes; i++) {
		char head[16];

		snprintf(head, sizeof(head), "node %d", r->after.node[i]);
		fprintf(out, " %15s", head);
	}
	fputc('\n', out);
	for (int k = 0; k < NUMASTAT_NKEYS; k++) {
		fprintf(out, " %-22s", numastat_keys[k]);
		for (int i = 0; i < r->after.nnodes; i++)
			fprintf(out, " %15llu", (unsigned long long)numastat_delta(r, i, k));
		fputc('\n', out);
	}
	if (!isnan(d->numa_local_ratio))
		fprintf(out, " %-22s %14.2f %%  (local_node / (local_node + other_node))\n",
			"local ratio", 100 * d->numa_local_ratio);
}

static void text_vmstat(FILE *out, const struct stat_result *r)
{
	if (!r->after.vmstat_found)
		return;
	fprintf(out, "\n SYSTEM-WIDE (every process), change over the run (/proc/vmstat):\n");
	for (int k = 0; k < VMSTAT_NKEYS; k++)
		if (vmstat_has(r, k))
			fprintf(out, " %18llu      %s\n", (unsigned long long)vmstat_delta(r, k),
				vmstat_keys[k]);
}

void stat_print_text(FILE *out, const struct stat_result *r)
{
	struct derived d = derive(r);

	text_header(out, r);
	text_events(out, r, &d);
	text_resident(out, r);
	if (r->after.nnodes)
		text_numastat(out, r, &d);
	text_vmstat(out, r);
	fprintf(out, "\n %18.6f seconds time elapsed\n\n", r->elapsed);
	fflush(out);
}

/* --- JSON: one object on one line, for scripts --- */

/* NaN is not JSON: null. */
static void json_number(FILE *out, const char *key, double v)
{
	fprintf(out, "\"%s\":", key);
	if (isnan(v))
		fputs("null", out);
	else
		fprintf(out, "%.6g", v);
}

static void json_header(FILE *out, const struct stat_result *r)
{
	fputs("{\"numamma_stat\":1,\"command\":", out);
	json_string(out, r->command);
	fprintf(out, ",\"pid\":%d,\"mode\":\"%s\",\"rank\":", (int)r->pid,
		r->attached ? "attach" : "launch");
	if (r->rank >= 0)
		fprintf(out, "%d", r->rank);
	else
		fputs("null", out);
	if (r->attached)
		fprintf(out, ",\"exited_meanwhile\":%s", r->exited_during ? "true" : "false");
	else if (WIFSIGNALED(r->status))
		fprintf(out, ",\"exit\":{\"signal\":%d,\"signal_name\":\"%s\"}",
			WTERMSIG(r->status), signal_name(WTERMSIG(r->status)));
	else
		fprintf(out, ",\"exit\":{\"code\":%d}", WEXITSTATUS(r->status));
	fprintf(out, ",\"elapsed_s\":%.6f", r->elapsed);
}

static void json_event(FILE *out, const struct stat_event *e)
{
	json_string(out, e->name);
	if (e->why[0]) {
		fputs(":{\"counted\":false,\"value\":null,\"why\":", out);
		json_string(out, e->why);
		fputc('}', out);
		return;
	}
	fprintf(out, ":{\"counted\":true,\"value\":%llu,\"unit\":\"%s\",\"user_only\":%s",
		(unsigned long long)e->value, e->unit == UNIT_NSEC ? "ns" : "",
		e->user_only ? "true" : "false");
	if (e->enabled)
		fprintf(out, ",\"running_fraction\":%.4f", (double)e->running / e->enabled);
	fputc('}', out);
}

static void json_hardware(FILE *out, const struct stat_events *set)
{
	int requested = 0, counted = 0;

	for (int i = 0; i < set->n; i++) {
		requested += set->ev[i].hardware;
		counted += set->ev[i].hardware && !set->ev[i].why[0];
	}
	fprintf(out, ",\"hardware\":{\"requested\":%d,\"counted\":%d", requested, counted);
	if (set->hw_why[0]) {
		fputs(",\"why\":", out);
		json_string(out, set->hw_why);
	}
	fputc('}', out);
}

static void json_events(FILE *out, const struct stat_result *r)
{
	fputs(",\"events\":{", out);
	for (int i = 0; i < r->events.n; i++) {
		if (i)
			fputc(',', out);
		json_event(out, &r->events.ev[i]);
	}
	fputc('}', out);
	json_hardware(out, &r->events);
}

static void json_derived(FILE *out, const struct derived *d)
{
	fputs(",\"derived\":{", out);
	json_number(out, "cpus_utilized", d->cpus_utilized);
	fputc(',', out);
	json_number(out, "page_faults_per_sec", d->faults_per_sec);
	fputc(',', out);
	json_number(out, "insn_per_cycle", d->ipc);
	fputc(',', out);
	json_number(out, "cache_miss_ratio", d->cache_miss_ratio);
	fputc(',', out);
	json_number(out, "local_dram_ratio", d->local_dram_ratio);
	fputc(',', out);
	json_number(out, "numastat_local_ratio", d->numa_local_ratio);
	fputc('}', out);
}

static void json_resident(FILE *out, const struct stat_result *r)
{
	bool first = true;

	fputs(",\"resident\":{\"scope\":\"program\"", out);
	if (!r->resident.ok) {
		fputs(",\"why\":", out);
		json_string(out, r->resident.why);
		fputc('}', out);
		return;
	}
	fprintf(out, ",\"at\":\"%s\",\"page_size\":%ld,\"pages\":%llu,\"nodes\":{",
		r->attached ? "end" : "exit", page_kib() * 1024,
		(unsigned long long)(resident_total_kib(&r->resident) / page_kib()));
	for (int n = 0; n < STAT_MAX_NODES; n++) {
		if (!r->resident.kib[n])
			continue;
		fprintf(out, "%s\"%d\":{\"pages\":%llu,\"kib\":%llu}", first ? "" : ",", n,
			(unsigned long long)(r->resident.kib[n] / page_kib()),
			(unsigned long long)r->resident.kib[n]);
		first = false;
	}
	fputs("}}", out);
}

static void json_numastat(FILE *out, const struct stat_result *r)
{
	fputs(",\"numastat\":{\"scope\":\"system\",\"nodes\":{", out);
	for (int i = 0; i < r->after.nnodes; i++) {
		fprintf(out, "%s\"%d\":{", i ? "," : "", r->after.node[i]);
		for (int k = 0; k < NUMASTAT_NKEYS; k++)
			fprintf(out, "%s\"%s\":%llu", k ? "," : "", numastat_keys[k],
				(unsigned long long)numastat_delta(r, i, k));
		fputc('}', out);
	}
	fputs("}},\"vmstat\":{\"scope\":\"system\"", out);
	for (int k = 0; k < VMSTAT_NKEYS; k++)
		if (vmstat_has(r, k))
			fprintf(out, ",\"%s\":%llu", vmstat_keys[k],
				(unsigned long long)vmstat_delta(r, k));
	fputc('}', out);
}

void stat_print_json(FILE *out, const struct stat_result *r)
{
	struct derived d = derive(r);

	json_header(out, r);
	json_events(out, r);
	json_derived(out, &d);
	json_resident(out, r);
	json_numastat(out, r);
	fputs("}\n", out);
	fflush(out);
}
