/* Says what a long step is doing, to a person at a terminal: once a step
 * has run for a second, one line on stderr ("numamma: report: reading
 * 'big.db'..."); nothing when stderr is not a terminal or the step ends
 * sooner.  A thread of its own watches the clock, so the work itself
 * needs no hooks. */
#ifndef NUMAMMA_PROGRESS_H
#define NUMAMMA_PROGRESS_H

struct progress;

/* NULL (every call below then does nothing) when stderr is not a
 * terminal or no thread could be started. */
struct progress *progress_start(const char *cmd);
/* The step now under way (printf format); ends the previous one. */
void progress_step(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_end(struct progress *p);

#endif
