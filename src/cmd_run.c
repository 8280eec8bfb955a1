/* numamma run: placeholder until the placement engine lands. */
#include <stdio.h>
#include "commands.h"
#include "error.h"
const char run_usage[] = "usage: numamma run [OPTIONS] --policy=FILE -- PROGRAM [ARGS...]\n";
int cmd_run(int argc, char **argv) { return error("run: not yet"), NM_EXIT_FAILURE; }
