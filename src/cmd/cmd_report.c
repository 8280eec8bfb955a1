/* numamma report: prints what a profile says, section by section.  The
 * store reads the profile, src/report/ makes the tables and renders them;
 * this file is the command line. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "error.h"
#include "number.h"
#include "options.h"
#include "profile.h"
#include "report.h"

const char report_usage[] =
	"usage: numamma report [OPTIONS] [FILE]\n"
	"\n"
	"Summarizes the profile FILE (default numamma.db): the run, the largest\n"
	"objects, the allocation call sites, the threads and, when the profile has\n"
	"memory-access samples, the most accessed objects with their local/remote\n"
	"split and access pattern, and the threads that share memory.\n"
	"\n"
	"  -n, --top N     rows per section (default 10)\n"
	"      --pid PID   only the objects, call sites, threads and samples of PID\n"
	"  -h, --help      print this help and exit\n";

#define DEFAULT_TOP 10

static int print_report(const char *path, const struct report_opts *opts)
{
	struct profile prof;
	struct report rep;

	if (profile_load(&prof, &path, 1, PROFILE_ACCESS) < 0)
		return NM_EXIT_FAILURE;
	report_build(&prof.runs[0], opts, &rep);
	report_render_text(stdout, &rep);
	if (rep.access_left_out)
		warning("'%s' has no aggregates and is read-only: access sections left out",
			prof.runs[0].file);
	report_free(&rep);
	profile_free(&prof);
	return 0;
}

enum { OPT_PID = 256 };

static const struct option report_options[] = {
	{ "top", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_report(int argc, char **argv)
{
	struct report_opts opts = { .top = DEFAULT_TOP };
	const char *path = "numamma.db";
	uint64_t v;
	int opt;

	/* optind 0 makes getopt start over: cmd_report may run twice in a
	 * process (tests). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:h", report_options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_number(optarg, 10, 1, INT32_MAX, &v) < 0)
				return usage_error("report", "invalid --top '%s'", optarg);
			opts.top = (int)v;
			break;
		case OPT_PID:
			if (parse_number(optarg, 10, 1, INT64_MAX, &v) < 0)
				return usage_error("report", "invalid --pid '%s'", optarg);
			opts.pid = (int64_t)v;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		default:
			return option_error("report", opt, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("report", "one profile at a time, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	return print_report(path, &opts);
}
