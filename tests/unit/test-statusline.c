/* The status line's pure parts: its text, cut to the terminal's width,
 * the escape sequences, and when a redraw is due. */
#include "statusline.h"
#include "unit.h"

static void test_text(void)
{
	struct status_counts c = { 12345678901ULL, 1520, 88211, 310 };
	char buf[256];

	status_text(buf, sizeof(buf), "profile", &c, 200);
	CHECK_STR(buf, "numamma: profile: 12.3 s, 1520 objects, 88211 samples, 310 records pending");
	/* The last column is never written: it would wrap. */
	status_text(buf, sizeof(buf), "profile", &c, 40);
	CHECK_STR(buf, "numamma: profile: 12.3 s, 1520 objects,");
	CHECK_INT(strlen(buf), 39);
	/* A buffer shorter than the terminal: snprintf's cut, terminated. */
	status_text(buf, 16, "run", &c, 200);
	CHECK_STR(buf, "numamma: run: 1");
}

static void test_escape(void)
{
	char buf[128];

	CHECK_INT(status_escape(buf, sizeof(buf), STATUS_SETUP, 24, NULL), 15);
	CHECK_STR(buf, "\033D\033M\0337\033[1;23r\0338");
	CHECK(status_escape(buf, sizeof(buf), STATUS_DRAW, 50, "hello") > 0);
	CHECK_STR(buf, "\0337\033[50;1H\033[0m\033[2Khello\0338");
	CHECK(status_escape(buf, sizeof(buf), STATUS_END, 24, NULL) > 0);
	CHECK_STR(buf, "\0337\033[r\033[24;1H\033[2K\0338");
	/* Too small a buffer: 0, never a cut sequence to send. */
	CHECK_INT(status_escape(buf, 10, STATUS_DRAW, 24, "hello"), 0);
}

static void test_due(void)
{
	CHECK_INT(status_due_ns(5000, 0), 5000 + STATUS_QUIET_NS);
	CHECK_INT(status_due_ns(5000, 2000000000ULL), 2000000000ULL + STATUS_PERIOD_NS);
}

int main(void)
{
	test_text();
	test_escape();
	test_due();
	return unit_done();
}
