/* Names of the model's enums, as stored in the database and printed. */
#include <time.h>
#include <stddef.h>

#include "model.h"

/* names[i], or "unknown" where the table has no name for i. */
static const char *table_name(const char *const *names, size_t n, unsigned i)
{
	return i < n && names[i] ? names[i] : "unknown";
}

#define TABLE_NAME(names, i) table_name(names, sizeof(names) / sizeof(names[0]), (unsigned)(i))

const char *obj_kind_name(enum obj_kind kind)
{
	static const char *const names[] = {
		[OBJ_HEAP] = "heap",
		[OBJ_STATIC] = "static",
		[OBJ_STACK] = "stack",
		[OBJ_MMAP] = "mmap",
		[OBJ_MAPPING] = "mapping",
		[OBJ_TLS] = "tls",
	};

	return TABLE_NAME(names, kind);
}

const char *mem_level_name(enum mem_level lvl)
{
	static const char *const names[] = {
		[LVL_UNKNOWN] = "unknown",
		[LVL_L1] = "L1",
		[LVL_LFB] = "LFB",
		[LVL_L2] = "L2",
		[LVL_L3] = "L3",
		[LVL_LOCAL_RAM] = "local-ram",
		[LVL_REMOTE_RAM] = "remote-ram",
		[LVL_REMOTE_CACHE] = "remote-cache",
		[LVL_IO] = "io",
		[LVL_UNCACHED] = "uncached",
		[LVL_PMEM] = "pmem",
		[LVL_CXL] = "cxl",
	};

	return TABLE_NAME(names, lvl);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}
