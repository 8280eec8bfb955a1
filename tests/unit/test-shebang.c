/* A script's #! line read as the kernel reads it: the interpreter's path
 * after "#!" and any blanks, up to a blank or the line's end. */
#include <string.h>

#include "launch.h"
#include "unit.h"

static void check(const char *head, int want_ret, const char *want)
{
	char out[32] = "untouched";
	int ret = shebang_interpreter(head, strlen(head), out, sizeof(out));

	CHECK_INT(ret, want_ret);
	if (want_ret == 0)
		CHECK_STR(out, want);
}

int main(void)
{
	check("#!/bin/sh\necho hi\n", 0, "/bin/sh");
	check("#! /usr/bin/env python3\n", 0, "/usr/bin/env");
	check("#!\t/bin/bash -e\n", 0, "/bin/bash");
	check("#!interp", 0, "interp");                 /* relative, no newline */
	check("#!./run.sh x", 0, "./run.sh");
	check("#!\n", -1, NULL);                        /* names nothing */
	check("#!   \n/bin/sh\n", -1, NULL);
	check("# /bin/sh\n", -1, NULL);                 /* no #! */
	check("!#/bin/sh\n", -1, NULL);
	check("#", -1, NULL);
	check("", -1, NULL);
	check("#!/a/path/longer/than/thirty-two/bytes\n", -1, NULL);  /* does not fit */
	check("#!/a/path/of/thirty-one/bytes/x\n", 0, "/a/path/of/thirty-one/bytes/x");
	/* The length given, not a NUL, ends the bytes read. */
	{
		char out[32];

		CHECK_INT(shebang_interpreter("#!/bin/shXYZ", 9, out, sizeof(out)), 0);
		CHECK_STR(out, "/bin/sh");
	}
	return unit_done();
}
