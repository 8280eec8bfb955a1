/* Progress lines for long steps (include/progress.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "progress.h"

#define QUIET_S 1               /* a step shorter than this says nothing */

struct progress {
	pthread_mutex_t lock;
	pthread_cond_t changed;     /* a new step, or the end */
	pthread_t thread;
	const char *cmd;
	char *step;                 /* NULL: none under way */
	struct timespec since;      /* CLOCK_MONOTONIC: when it began */
	bool said, done;
};

/* Waits for each step's second to pass; says the step if it is still the
 * one under way. */
static void *watch(void *arg)
{
	struct progress *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->done) {
		struct timespec until = { p->since.tv_sec + QUIET_S, p->since.tv_nsec };

		if (!p->step || p->said) {
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		if (pthread_cond_timedwait(&p->changed, &p->lock, &until) == 0 || p->said || !p->step)
			continue;
		fprintf(stderr, "numamma: %s: %s...\n", p->cmd, p->step);
		p->said = true;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct progress *progress_start(const char *cmd)
{
	struct progress *p;
	pthread_condattr_t attr;

	if (!isatty(STDERR_FILENO))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->cmd = cmd;
	pthread_mutex_init(&p->lock, NULL);
	/* Timed waits on the monotonic clock: a clock change must not
	 * silence (or hurry) the line. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&p->thread, NULL, watch, p) != 0) {
		pthread_cond_destroy(&p->changed);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	return p;
}

void progress_step(struct progress *p, const char *fmt, ...)
{
	va_list ap;
	char *step;

	if (!p)
		return;
	va_start(ap, fmt);
	if (vasprintf(&step, fmt, ap) < 0)
		step = NULL;
	va_end(ap);
	pthread_mutex_lock(&p->lock);
	free(p->step);
	p->step = step;
	p->said = false;
	clock_gettime(CLOCK_MONOTONIC, &p->since);
	pthread_cond_signal(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

void progress_end(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_cond_signal(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p->step);
	free(p);
}
