/* See include/ownlimits.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>

#include "error.h"
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

/* Under `ulimit -n 20` a python profile recorded no call at all, and
 * said nothing: its modules could not be read, so nothing was hooked. */
void own_limits_tell_unopened(const char *what, int err)
{
	static bool told;

	if (told || (err != EMFILE && err != ENFILE))
		return;
	told = true;
	warning("cannot open %s: %s: the allocator calls and code of modules numamma cannot "
		"open are not recorded", what, strerror(err));
	hint("raise the limit with `ulimit -n` (numamma holds two descriptors per module)");
}
