/* The live status line (include/statusline.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"
#include "statusline.h"

#define SEQ_MAX 512

void status_text(char *buf, size_t size, const char *cmd, const struct status_counts *c, int cols)
{
	int n = snprintf(buf, size, "numamma: %s: %.1f s, %llu objects, %llu samples, "
			 "%llu records pending", cmd, c->elapsed_ns / 1e9,
			 (unsigned long long)c->objects, (unsigned long long)c->samples,
			 (unsigned long long)c->pending);

	if (n > 0 && cols > 1 && (size_t)cols - 1 < size && n > cols - 1)
		buf[cols - 1] = 0;
}

size_t status_escape(char *buf, size_t size, enum status_seq what, int rows, const char *text)
{
	int n = 0;

	/* ESC 7 / ESC 8 save and restore the cursor (and the attributes the
	 * program had set); ESC D then ESC M scroll the screen up one row
	 * when the cursor is on the last one and leave it where it was
	 * otherwise, so that the cursor ends up inside the new region. */
	switch (what) {
	case STATUS_SETUP:
		n = snprintf(buf, size, "\033D\033M\0337\033[1;%dr\0338", rows - 1);
		break;
	case STATUS_DRAW:
		n = snprintf(buf, size, "\0337\033[%d;1H\033[0m\033[2K%s\0338", rows, text);
		break;
	case STATUS_END:
		n = snprintf(buf, size, "\0337\033[r\033[%d;1H\033[2K\0338", rows);
		break;
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

uint64_t status_due_ns(uint64_t start_ns, uint64_t last_ns)
{
	return last_ns ? last_ns + STATUS_PERIOD_NS : start_ns + STATUS_QUIET_NS;
}

struct statusline {
	const char *cmd;
	int fd;                 /* the terminal, opened again: O_NONBLOCK of our own */
	int rows;               /* of the reserved region; 0: none reserved */
	uint64_t start_ns, last_ns;
	char unsent[SEQ_MAX];   /* the rest of a sequence the terminal took in part */
	size_t nunsent;
};

struct statusline *statusline_start(const char *cmd, uint64_t now_ns)
{
	const char *term = getenv("TERM");
	struct statusline *sl;
	int fd;

	/* A dumb terminal (Emacs' shell buffer, a serial console without
	 * TERM) would show the escape sequences as text. */
	if (!isatty(STDERR_FILENO) || !term || !*term || !strcmp(term, "dumb"))
		return NULL;
	/* A descriptor of our own: O_NONBLOCK on stderr's would be the
	 * program's too. */
	fd = open("/proc/self/fd/2", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	sl = xcalloc(1, sizeof(*sl));
	sl->cmd = cmd;
	sl->fd = fd;
	sl->start_ns = now_ns;
	return sl;
}

/* Sends what is left of an earlier sequence; true when nothing is. */
static bool send_unsent(struct statusline *sl)
{
	while (sl->nunsent) {
		ssize_t n = write(sl->fd, sl->unsent, sl->nunsent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		memmove(sl->unsent, sl->unsent + n, sl->nunsent - (size_t)n);
		sl->nunsent -= (size_t)n;
	}
	return true;
}

static void send(struct statusline *sl, const char *seq, size_t len)
{
	if (!len || !send_unsent(sl))
		return;
	memcpy(sl->unsent, seq, len);
	sl->nunsent = len;
	send_unsent(sl);
}

/* The terminal's rows, when the line may be drawn on it now: numamma's
 * process group in the foreground (no SIGTTOU, no drawing over the
 * shell), canonical mode (no full-screen program), room for a line. */
static int drawable_rows(struct statusline *sl, int *cols)
{
	struct winsize ws;
	struct termios tio;

	if (tcgetpgrp(sl->fd) != getpgrp() || tcgetattr(sl->fd, &tio) < 0 ||
	    !(tio.c_lflag & ICANON) || ioctl(sl->fd, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row < 4 || ws.ws_col < 20)
		return 0;
	*cols = ws.ws_col;
	return ws.ws_row;
}

int statusline_wait_ms(const struct statusline *sl, uint64_t now_ns)
{
	uint64_t due = status_due_ns(sl->start_ns, sl->last_ns);

	return now_ns < due ? (int)((due - now_ns) / 1000000) + 1 : 0;
}

int statusline_update(struct statusline *sl, uint64_t now_ns, const struct status_counts *c)
{
	char text[256], seq[2 * SEQ_MAX];
	size_t len = 0;
	int rows, cols, wait = statusline_wait_ms(sl, now_ns);

	if (wait)
		return wait;
	sl->last_ns = now_ns;
	rows = drawable_rows(sl, &cols);
	if (!rows)
		return (int)(STATUS_PERIOD_NS / 1000000);
	/* A resized terminal: the old row cleared, the region set again. */
	if (sl->rows && rows != sl->rows)
		len = status_escape(seq, SEQ_MAX, STATUS_END, sl->rows, NULL);
	if (rows != sl->rows)
		len += status_escape(seq + len, SEQ_MAX, STATUS_SETUP, rows, NULL);
	status_text(text, sizeof(text), sl->cmd, c, cols);
	len += status_escape(seq + len, SEQ_MAX, STATUS_DRAW, rows, text);
	if (len > SEQ_MAX || !send_unsent(sl))
		return (int)(STATUS_PERIOD_NS / 1000000);
	sl->rows = rows;
	send(sl, seq, len);
	return (int)(STATUS_PERIOD_NS / 1000000);
}

void statusline_end(struct statusline *sl)
{
	char seq[SEQ_MAX];

	if (!sl)
		return;
	if (sl->rows && tcgetpgrp(sl->fd) == getpgrp()) {
		/* The end must reach the terminal: wait for it now. */
		fcntl(sl->fd, F_SETFL, fcntl(sl->fd, F_GETFL) & ~O_NONBLOCK);
		send(sl, seq, status_escape(seq, sizeof(seq), STATUS_END, sl->rows, NULL));
	}
	close(sl->fd);
	free(sl);
}
