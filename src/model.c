/* Names of the model's enums, as stored in the database and printed. */
#include <stddef.h>

#include "model.h"

const char *obj_kind_name(enum obj_kind kind)
{
	static const char *const names[] = {
		[OBJ_HEAP] = "heap",
		[OBJ_STATIC] = "static",
		[OBJ_STACK] = "stack",
		[OBJ_MMAP] = "mmap",
		[OBJ_MAPPING] = "mapping",
	};

	if ((unsigned)kind < sizeof(names) / sizeof(names[0]) && names[kind])
		return names[kind];
	return "unknown";
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

	if ((unsigned)lvl < sizeof(names) / sizeof(names[0]) && names[lvl])
		return names[lvl];
	return "unknown";
}
