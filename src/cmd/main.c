/* numamma: NUMA memory profiler and placement engine. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "ownlimits.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "profile", cmd_profile, "run or attach to a program and record its memory objects and accesses" },
	{ "report",  cmd_report,  "summarise a profile: objects, call sites, threads, remote accesses" },
	{ "advise",  cmd_advise,  "derive a placement policy from a profile" },
	{ "run",     cmd_run,     "run a program with a placement policy applied and verified" },
	{ "stat",    cmd_stat,    "count a run's page faults, events and pages per NUMA node" },
	{ NULL, NULL, NULL },
};

static void print_help(FILE *out)
{
	fprintf(out, "usage: numamma [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(out, "  %-8s  %s\n", c->name, c->summary);
	fprintf(out, "\n'numamma COMMAND --help' shows a command's options; "
		     "man numamma has them all.\n");
}

/* Exact names, or an unambiguous prefix (bpftool's cmd_select). */
static const struct cmd *cmd_select(const char *name)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name);

	for (const struct cmd *c = commands; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
		if (!strncmp(c->name, name, len)) {
			if (found)
				return NULL;
			found = c;
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	own_std_fds_hold();
	heap_in_huge_pages();
	if (argc < 2) {
		print_help(stderr);
		return NM_EXIT_FAILURE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("numamma %s\n", NUMAMMA_VERSION);
		return 0;
	}
	c = cmd_select(argv[1]);
	if (!c) {
		error("unknown command '%s'", argv[1]);
		hint("see 'numamma --help'");
		return NM_EXIT_FAILURE;
	}
	return c->fn(argc - 1, argv + 1);
}
