/* numamma profile's (and run's) live status line: one line on the
 * terminal while the program runs ("numamma: profile: 12.3 s, 1520
 * objects, 88211 samples, 310 records pending").
 *
 * The line lives on the terminal's last row, taken out of the scroll
 * region (DECSTBM, as apt's progress bar does): the program's output and
 * numamma's own messages scroll above it and are never cut by it, and
 * each redraw is one write() that saves the cursor, draws and restores
 * it, so the program's bytes reach the terminal unchanged and in order.
 * Only when stderr is a terminal (TERM set, not "dumb") that numamma's
 * process group owns in the foreground and that is in canonical mode (a
 * full-screen program that switched it to raw mode is left alone); not
 * before the program has run
 * for a second; at most 4 redraws a second; written through a
 * non-blocking descriptor of its own, so that a stopped terminal never
 * stops the tracer (a redraw is skipped instead).  At the end the row is
 * cleared and the whole screen given back, before numamma says anything
 * more.  A numamma killed by SIGKILL leaves the last row reserved until
 * the terminal is reset (`reset`, `tput reset`). */
#ifndef NUMAMMA_STATUSLINE_H
#define NUMAMMA_STATUSLINE_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_QUIET_NS  (1000ULL * 1000 * 1000)   /* nothing before 1 s */
#define STATUS_PERIOD_NS (250ULL * 1000 * 1000)    /* then 4 redraws a second */

struct status_counts {
	uint64_t elapsed_ns, objects, samples, pending;
};

enum status_seq {
	STATUS_SETUP,   /* reserve the last row: scroll up if the cursor is there */
	STATUS_DRAW,    /* the text on the last row, the cursor where it was */
	STATUS_END,     /* clear the row, the whole screen scrolls again */
};

/* Pure: the line, cut to cols - 1 characters (the last column would wrap). */
void status_text(char *buf, size_t size, const char *cmd, const struct status_counts *c, int cols);
/* Pure: the escape sequence for `what` on a terminal of `rows` rows (text
 * for STATUS_DRAW only); its length, or 0 when it does not fit in size. */
size_t status_escape(char *buf, size_t size, enum status_seq what, int rows, const char *text);
/* Pure: when the next redraw is due, given the start and the last redraw
 * (0: none yet). */
uint64_t status_due_ns(uint64_t start_ns, uint64_t last_ns);

struct statusline;

/* NULL when stderr is not a terminal, or TERM is unset or "dumb"
 * (nothing is ever drawn then). */
struct statusline *statusline_start(const char *cmd, uint64_t now_ns);
/* ms until the next redraw is due, 0 when it is: the caller gathers the
 * figures only then. */
int statusline_wait_ms(const struct statusline *sl, uint64_t now_ns);
/* Redraws the line when it is due; returns ms until the next one (for the
 * event loop's timeout). */
int statusline_update(struct statusline *sl, uint64_t now_ns, const struct status_counts *c);
/* Clears the line and gives the screen back; frees sl (NULL: nothing). */
void statusline_end(struct statusline *sl);

#endif
