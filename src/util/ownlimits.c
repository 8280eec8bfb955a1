/* See include/ownlimits.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

void own_std_fds_hold(void)
{
	for (int fd = 0; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			open("/dev/null", O_RDWR | O_CLOEXEC);      /* the lowest free: fd */
}

/* What numamma's own threads need at least (libdw's readers recurse). */
#define OWN_THREAD_STACK (2 << 20)

/* glibc sized the stacks of threads to come from RLIMIT_STACK as numamma
 * started: under `ulimit -Ss 16` they had 16 KiB (and the tracer's main
 * stack, not lifted, died of SIGSEGV creating the profile). */
static void own_thread_stacks(void)
{
	pthread_attr_t attr;
	size_t size;

	if (pthread_getattr_default_np(&attr))
		return;
	if (pthread_attr_getstacksize(&attr, &size) == 0 && size < OWN_THREAD_STACK &&
	    pthread_attr_setstacksize(&attr, OWN_THREAD_STACK) == 0)
		pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
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
	lift(RLIMIT_STACK);
	own_thread_stacks();
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

/* How much more weight the tracer gets: nice 10 less is about 9 times the
 * share of a program's thread wanting the same cpu. */
#define TRACER_NICE_BOOST 10

enum boost { BOOST_UNTRIED, BOOST_OFF, BOOST_ON, BOOST_REFUSED };

/* Written by the tracer thread, read by the threads it starts. */
static int started_nice;
static int boost_state = BOOST_UNTRIED;

void own_priority_boost(bool on)
{
	int state = __atomic_load_n(&boost_state, __ATOMIC_ACQUIRE);

	if (state == BOOST_REFUSED || state == (on ? BOOST_ON : BOOST_OFF) ||
	    (state == BOOST_UNTRIED && !on))
		return;
	if (state == BOOST_UNTRIED) {
		errno = 0;
		started_nice = getpriority(PRIO_PROCESS, 0);
		if (started_nice == -1 && errno)
			started_nice = 0;
	}
	if (setpriority(PRIO_PROCESS, 0, on ? started_nice - TRACER_NICE_BOOST : started_nice) < 0) {
		debug("the tracer's priority: kept at nice %d: %s", started_nice, strerror(errno));
		state = BOOST_REFUSED;
	} else {
		state = on ? BOOST_ON : BOOST_OFF;
	}
	__atomic_store_n(&boost_state, state, __ATOMIC_RELEASE);
}

void own_priority_restore(void)
{
	int state = __atomic_load_n(&boost_state, __ATOMIC_ACQUIRE);

	if (state == BOOST_ON || state == BOOST_OFF)
		setpriority(PRIO_PROCESS, 0, started_nice);
}
