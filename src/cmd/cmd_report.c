/* numamma report: prints what a profile says, section by section.  The
 * store reads the profile, src/report/ makes the tables and renders them;
 * this file is the command line. */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "number.h"
#include "options.h"
#include "outfile.h"
#include "profile.h"
#include "progress.h"
#include "report.h"

const char report_usage[] =
	"usage: numamma report [OPTIONS] [FILE]\n"
	"       numamma report [OPTIONS] FILE|DIR... (a job's per-rank profiles)\n"
	"       numamma report --diff [OPTIONS] BEFORE AFTER\n"
	"\n"
	"Summarizes the profile FILE (default numamma.db): the run, the largest\n"
	"objects, the allocation call sites, the threads and, when the profile has\n"
	"memory-access samples, the most accessed objects with their local/remote\n"
	"split and access pattern, and the threads that share memory.  With --diff,\n"
	"the objects of two profiles of one program, matched by allocation call\n"
	"stack (module and offset: stable despite ASLR) or static symbol, with\n"
	"their accesses, remote ratio and latency before and after.\n"
	"\n"
	"  -f, --format FMT   text (default), json (doc/report-json.md), csv (one\n"
	"                     --section), html (one self-contained page with plots),\n"
	"                     collapsed (folded allocation stacks for flame graphs),\n"
	"                     trace (Chrome trace events: Perfetto, chrome://tracing)\n"
	"  -o, --output FILE  write to FILE, a new file (an existing one is kept as\n"
	"                     FILE.old), not standard output\n"
	"  -n, --top N        rows per section (default 10)\n"
	"      --pid PID      only the objects, call sites, threads and samples of PID\n"
	"      --object ID    the object ID alone: what it is, its call stack, its\n"
	"                     accesses per thread, node, page and shared cache line\n"
	"      --section S    with --format=csv, the table to write (default objects):\n"
	"                     run, objects, callsites, threads, placement, accessed,\n"
	"                     sharing, stacks, object_threads, nodes, pages, lines\n"
	"      --group KEY    call sites by stack (default), function or line\n"
	"      --sort KEY     call sites by bytes (default), count, peak or live (bytes\n"
	"                     live at the end: leaks)\n"
	"      --weight W     with --format=collapsed: bytes (default) or samples\n"
	"      --diff         compare two profiles (text, json, csv --section diff, html)\n"
	"  -h, --help         print this help and exit\n";

#define DEFAULT_TOP 10

/* Those from FMT_COLLAPSED on show one profile, not tables. */
enum format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_HTML, FMT_COLLAPSED, FMT_TRACE };

struct report_cmd {
	struct report_opts opts;
	enum format format;
	const char *output;       /* NULL: stdout */
	const char *section;
	bool by_samples;          /* --weight=samples */
	bool diff;
};

static int render(FILE *f, const struct report_cmd *rc, struct prof_run *run,
		  const struct report *rep)
{
	switch (rc->format) {
	case FMT_TEXT:
		report_render_text(f, rep);
		break;
	case FMT_JSON:
		report_render_json(f, rep);
		break;
	case FMT_CSV:
		return report_render_csv(f, rep, rc->section);
	case FMT_HTML:
		report_render_html(f, rep, run);
		break;
	case FMT_COLLAPSED:
		report_render_collapsed(f, run, &rc->opts, rc->by_samples);
		break;
	case FMT_TRACE:
		report_render_trace(f, run, &rc->opts);
		break;
	}
	return 0;
}

/* -o: checked before the profile is read, so that a refused name costs
 * nothing; the file is created exclusively, never through a link, never
 * over the profile. */
static FILE *open_output(const char *path, const char *const *paths, int npaths)
{
	const char *inputs[] = { paths[0], npaths > 1 ? paths[1] : NULL, NULL };
	int fd;
	FILE *f;

	if (outfile_check(path, inputs) < 0 || outfile_keep_previous(path, false) < 0 ||
	    (fd = outfile_create(path)) < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		error_errno("cannot write '%s'", path);
		close(fd);
		unlink(path);
	}
	return f;
}

/* A report cut short (a full disk) is removed rather than left to look
 * complete. */
static int close_output(FILE *f, const char *path, int ret)
{
	int err = fflush(f) ? errno : ferror(f) ? EIO : 0;

	if (f == stdout)
		return ret;
	if (fclose(f) && !err)
		err = errno;
	if (err && !ret)
		ret = error("cannot write '%s': %s", path, strerror(err));
	if (ret)
		unlink(path);
	return ret;
}

/* The profile(s), read: profile_load() with a progress line for a
 * large one. */
static int load(struct profile *prof, const char *const *paths, int npaths, unsigned what,
		struct progress *pr)
{
	if (npaths > 1)
		progress_step(pr, "reading '%s' and '%s'", paths[0], paths[1]);
	else
		progress_step(pr, "reading '%s'", paths[0]);
	return profile_load(prof, paths, npaths, what);
}

static int print_report(const char *const *paths, int npaths, const struct report_cmd *rc,
			struct progress *pr)
{
	unsigned what = PROFILE_ACCESS | (rc->opts.detail ? PROFILE_DETAIL : 0) |
			(rc->format == FMT_TRACE ? PROFILE_SAMPLES : 0);
	FILE *f = stdout;
	struct profile prof;
	struct report rep;
	int ret;

	if (rc->output && !(f = open_output(rc->output, paths, npaths)))
		return NM_EXIT_FAILURE;
	if (load(&prof, paths, npaths, what, pr) < 0) {
		close_output(f, rc->output, -1);
		return NM_EXIT_FAILURE;
	}
	progress_step(pr, "building the report");
	if (rc->opts.object && !prof_object(&prof.runs[0], rc->opts.object)) {
		error("no object %" PRId64 " in '%s'", rc->opts.object, prof.runs[0].file);
		close_output(f, rc->output, -1);
		profile_free(&prof);
		return NM_EXIT_FAILURE;
	}
	if (rc->diff)
		report_build_diff(&prof.runs[0], &prof.runs[1], &rc->opts, &rep);
	else if (npaths > 1)
		report_build_job(&prof, &rc->opts, &rep);
	else
		report_build(&prof.runs[0], &rc->opts, &rep);
	if (rc->output)
		progress_step(pr, "writing '%s'", rc->output);
	ret = close_output(f, rc->output, render(f, rc, &prof.runs[npaths - 1], &rep));
	if (rep.access_left_out)
		warning("'%s' has no aggregates and is read-only: access sections left out",
			prof.runs[0].file);
	report_free(&rep);
	profile_free(&prof);
	return ret ? NM_EXIT_FAILURE : 0;
}

enum { OPT_PID = 256, OPT_SECTION, OPT_GROUP, OPT_SORT, OPT_WEIGHT, OPT_DIFF, OPT_OBJECT };

static const struct option report_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "top", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "section", required_argument, NULL, OPT_SECTION },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "object", required_argument, NULL, OPT_OBJECT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The index of arg in the NULL-terminated names, or -1. */
static int pick(const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

/* An option whose value is one of names (in the order of its enum). */
static int keyword(const char *opt, const char *const *names, int *out)
{
	int i = pick(optarg, names);

	if (i < 0)
		return usage_error("report", "invalid --%s '%s'", opt, optarg);
	*out = i;
	return 0;
}

static int parse_option(int opt, struct report_cmd *rc, char **argv)
{
	static const char *const formats[] = { "text", "json", "csv", "html", "collapsed", "trace",
					       NULL };
	static const char *const groups[] = { "stack", "function", "line", NULL };
	static const char *const sorts[] = { "bytes", "count", "peak", "live", NULL };
	static const char *const weights[] = { "bytes", "samples", NULL };
	int k = 0, ret = 0;
	uint64_t v;

	switch (opt) {
	case 'f':
		ret = keyword("format", formats, &k);
		rc->format = k;
		break;
	case 'o':
		rc->output = optarg;
		break;
	case 'n':
		if (parse_number(optarg, 10, 1, INT32_MAX, &v) < 0)
			return usage_error("report", "invalid --top '%s'", optarg);
		rc->opts.top = (int)v;
		break;
	case OPT_PID:
		if (parse_number(optarg, 10, 1, INT64_MAX, &v) < 0)
			return usage_error("report", "invalid --pid '%s'", optarg);
		rc->opts.pid = (int64_t)v;
		break;
	case OPT_OBJECT:
		if (parse_number(optarg, 10, 1, INT64_MAX, &v) < 0)
			return usage_error("report", "invalid --object '%s'", optarg);
		rc->opts.object = (int64_t)v;
		break;
	case OPT_SECTION:
		rc->section = optarg;
		break;
	case OPT_GROUP:
		ret = keyword("group", groups, &k);
		rc->opts.group = k;
		break;
	case OPT_SORT:
		ret = keyword("sort", sorts, &k);
		rc->opts.sort = k;
		break;
	case OPT_DIFF:
		rc->diff = true;
		break;
	case OPT_WEIGHT:
		ret = keyword("weight", weights, &k);
		rc->by_samples = k;
		break;
	default:
		return option_error("report", opt, argv);
	}
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct report_cmd rc = { .opts = { .top = DEFAULT_TOP } };
	const char **paths;
	struct progress *pr;
	int opt, npaths, ret;

	/* optind 0 makes getopt start over: cmd_report may run twice in a
	 * process (tests). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:o:n:h", report_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(report_usage, stdout);
			return 0;
		}
		if (parse_option(opt, &rc, argv))
			return NM_EXIT_FAILURE;
	}
	npaths = argc - optind;
	paths = profile_paths(argv + optind, &npaths);
	if (!paths)
		return NM_EXIT_FAILURE;
	if (rc.diff && npaths != 2) {
		free(paths);
		return usage_error("report", "--diff compares two profiles: BEFORE AFTER");
	}
	if (!rc.diff && npaths > 1 && (rc.format >= FMT_COLLAPSED || rc.opts.object))
		return usage_error("report", "several profiles (a job's ranks) are read in text, "
				   "json, csv or html, without --object");
	if (rc.section && rc.format != FMT_CSV)
		return usage_error("report", "--section is for --format=csv");
	if (rc.diff && rc.format >= FMT_COLLAPSED)
		return usage_error("report", "--diff is in text, json, csv or html");
	if (!rc.section)
		rc.section = rc.diff ? "diff" : npaths > 1 ? "ranks" : "objects";
	if (rc.diff && rc.opts.object)
		return usage_error("report", "--object is for one profile, not --diff");
	rc.opts.detail = (rc.format != FMT_TEXT && !rc.diff) || rc.opts.object;
	pr = progress_start("report");
	ret = print_report(paths, npaths, &rc, pr);
	progress_end(pr);
	free(paths);
	return ret;
}
