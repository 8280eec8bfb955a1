/* See include/ownlimits.h. */
#include <sys/resource.h>

#include "ownlimits.h"

static void lift(int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (setrlimit(resource, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY }) == 0)
		return;
	rl.rlim_cur = rl.rlim_max;      /* without the privilege */
	setrlimit(resource, &rl);
}

void own_limits_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lift(RLIMIT_AS);
	lift(RLIMIT_DATA);
}
