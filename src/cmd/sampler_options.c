/* The sampler options of profile and run (include/sampler_options.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "options.h"
#include "sampler_options.h"

static const char *const sampler_names[] = {
	"auto", "pebs", "ibs", "clock", "watch", "pagefault", "none", NULL
};

static const char *check_sampler_name(const char *cmd, const char *name)
{
	for (const char *const *n = sampler_names; *n; n++)
		if (!strcmp(*n, name))
			return name;
	error("%s: unknown sampler '%s'", cmd, name);
	hint("samplers: auto, pebs, ibs, clock, watch, pagefault, none");
	exit(NM_EXIT_FAILURE);
}

int sampler_option(const char *cmd, int c, const char *arg, struct sampler_opts *o)
{
	switch (c) {
	case 's': o->name = check_sampler_name(cmd, arg); return 1;
	case OPT_PERIOD: o->period = opt_u64(cmd, "period", arg, 1, 1ULL << 40); return 1;
	case OPT_FREQUENCY: o->frequency = opt_u64(cmd, "frequency", arg, 1, 100000); return 1;
	case OPT_LDLAT: o->ldlat = opt_u64(cmd, "ldlat", arg, 1, 65535); return 1;
	default: return 0;
	}
}
