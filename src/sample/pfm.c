/* What the hardware samplers need to know about PMUs: the kernel's
 * description of them in sysfs (type, format fields), the privileges
 * perf_event_open wants, and event encoding through libpfm4, as perf's
 * util/pfm.c does it. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <perfmon/pfmlib.h>

#include "pmu.h"

#define SYSFS_PMU_ROOT "/sys/bus/event_source/devices"

static const char *sysfs_root = SYSFS_PMU_ROOT;

void pmu_set_sysfs_root(const char *dir)
{
	sysfs_root = dir ? dir : SYSFS_PMU_ROOT;
}

const char *pmu_sysfs_root(void)
{
	return sysfs_root;
}

/* Reads the first line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int pmu_exists(const char *pmu)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", sysfs_root, pmu);
	return access(path, F_OK) == 0;
}

int pmu_type(const char *pmu)
{
	char path[512], buf[32], *end;
	long type;

	snprintf(path, sizeof(path), "%s/%s/type", sysfs_root, pmu);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	type = strtol(buf, &end, 10);
	if (end == buf || *end || type < 0)
		return -1;
	return (int)type;
}

static uint64_t bit_range(unsigned lo, unsigned hi)
{
	uint64_t upper = hi >= 63 ? ~0ULL : (1ULL << (hi + 1)) - 1;

	return upper & ~((1ULL << lo) - 1);
}

/* "config:19", "config1:0-11", "config:0-7,32-35" (perf allows lists). */
int pmu_field_parse(const char *text, struct pmu_field *out)
{
	const char *p;
	char *end;

	if (!strncmp(text, "config:", 7)) {
		out->word = 0;
		p = text + 7;
	} else if (!strncmp(text, "config1:", 8) || !strncmp(text, "config2:", 8)) {
		out->word = text[6] - '0';
		p = text + 8;
	} else {
		return -1;
	}
	out->mask = 0;
	for (;;) {
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p)
				return -1;
		}
		if (lo > hi || hi > 63)
			return -1;
		out->mask |= bit_range(lo, hi);
		if (*end != ',')
			break;
		p = end + 1;
	}
	return *end ? -1 : 0;
}

int pmu_format(const char *pmu, const char *name, struct pmu_field *out)
{
	char path[512], buf[128];

	snprintf(path, sizeof(path), "%s/%s/format/%s", sysfs_root, pmu, name);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return pmu_field_parse(buf, out);
}

/* Scatters the low bits of value over the (possibly split) field. */
void pmu_field_set(struct perf_event_attr *attr, const struct pmu_field *f, uint64_t value)
{
	__u64 *word = f->word == 0 ? &attr->config :
			 f->word == 1 ? &attr->config1 : &attr->config2;
	uint64_t bits = 0;

	for (int bit = 0; bit < 64; bit++) {
		if (!(f->mask & (1ULL << bit)))
			continue;
		if (value & 1)
			bits |= 1ULL << bit;
		value >>= 1;
	}
	*word = (*word & ~f->mask) | bits;
}

int perf_paranoid(void)
{
	char buf[32];

	if (read_line("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)))
		return 2;
	return atoi(buf);
}

/* CAP_PERFMON (38) or CAP_SYS_ADMIN (21) in our effective set. */
static int has_perfmon_capability(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps & (1ULL << 38 | 1ULL << 21)) != 0;
}

int perf_kernel_allowed(void)
{
	return perf_paranoid() <= 1 || has_perfmon_capability();
}

void perf_open_why(const char *what, int err, char *why, size_t len)
{
	switch (err) {
	case EACCES:
	case EPERM:
		snprintf(why, len, "perf_event_open(%s): %s; kernel.perf_event_paranoid is %d: "
			 "run `sysctl kernel.perf_event_paranoid=1` or grant CAP_PERFMON",
			 what, strerror(err), perf_paranoid());
		break;
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		snprintf(why, len, "perf_event_open(%s): %s: the (virtual?) PMU does not "
			 "support this event", what, strerror(err));
		break;
	case EMFILE:
		snprintf(why, len, "perf_event_open(%s): %s: raise the limit with `ulimit -n`",
			 what, strerror(err));
		break;
	default:
		snprintf(why, len, "perf_event_open(%s): %s", what, strerror(err));
		break;
	}
}

/* pfm_perf_encode_arg_t, spelled out here because <perfmon/pfmlib_perf_event.h>
 * brings its own struct perf_event_attr, which clashes with the kernel's
 * <linux/perf_event.h>.  This is libpfm4's ABI (PFM_PERF_ENCODE_ABI0). */
struct libpfm_perf_arg {
	struct perf_event_attr *attr;
	char **fstr;
	size_t size;
	int idx, cpu, flags, pad0;
};

/* libpfm4 4.13 writes its own 128-byte copy of the attr. */
_Static_assert(sizeof(struct perf_event_attr) >= 128, "perf_event_attr older than libpfm4's");

/* libpfm4, opened by libpfm_init(): its tables take 41,000 relocations,
 * half a millisecond of every numamma start when linked, and only the
 * hardware samplers and `numamma stat` use it. */
static struct {
	__typeof__(pfm_initialize) *initialize;
	__typeof__(pfm_strerror) *strerror;
	__typeof__(pfm_get_pmu_info) *get_pmu_info;
	__typeof__(pfm_get_os_event_encoding) *get_os_event_encoding;
} libpfm;

#define LIBPFM_SONAME "libpfm.so.4"

static int open_libpfm(char *why, size_t len)
{
	void *h = dlopen(LIBPFM_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, len, "libpfm4 cannot be loaded (%s): install libpfm4", dlerror());
		return -1;
	}
	libpfm.initialize = (__typeof__(libpfm.initialize))dlsym(h, "pfm_initialize");
	libpfm.strerror = (__typeof__(libpfm.strerror))dlsym(h, "pfm_strerror");
	libpfm.get_pmu_info = (__typeof__(libpfm.get_pmu_info))dlsym(h, "pfm_get_pmu_info");
	libpfm.get_os_event_encoding =
		(__typeof__(libpfm.get_os_event_encoding))dlsym(h, "pfm_get_os_event_encoding");
	if (!libpfm.initialize || !libpfm.strerror || !libpfm.get_pmu_info ||
	    !libpfm.get_os_event_encoding) {
		snprintf(why, len, "%s lacks a libpfm4 function numamma needs", LIBPFM_SONAME);
		libpfm.initialize = NULL;
		return -1;
	}
	return 0;
}

int libpfm_init(char *why, size_t len)
{
	static int ret = 1;

	if (ret == 1 && open_libpfm(why, len) < 0)
		return -1;
	if (ret == 1)
		ret = libpfm.initialize();
	if (ret != PFM_SUCCESS) {
		snprintf(why, len, "libpfm4 initialization failed: %s", libpfm.strerror(ret));
		return -1;
	}
	return 0;
}

const char *libpfm_core_pmu(void)
{
	pfm_pmu_t pmu;

	if (!libpfm.initialize)
		return NULL;
	pfm_for_all_pmus(pmu) {
		pfm_pmu_info_t info;

		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		if (libpfm.get_pmu_info(pmu, &info) != PFM_SUCCESS)
			continue;
		if (info.is_present && info.type == PFM_PMU_TYPE_CORE)
			return info.name;
	}
	return NULL;
}

int libpfm_encode(const char *event, struct perf_event_attr *attr, char *why, size_t len)
{
	struct libpfm_perf_arg arg = { .attr = attr, .size = sizeof(arg) };
	int ret;

	memset(attr, 0, sizeof(*attr));
	if (libpfm_init(why, len) < 0)
		return -1;
	/* PLM3: user level only, which needs no privilege. */
	ret = libpfm.get_os_event_encoding(event, PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(why, len, "libpfm4 cannot encode %s: %s", event, libpfm.strerror(ret));
		return -1;
	}
	attr->size = sizeof(*attr);  /* libpfm4 leaves it 0 */
	return 0;
}
