/* numamma profile: record a program's memory objects and accesses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "options.h"
#include "sampler.h"
#include "sampler_options.h"
#include "session.h"

const char profile_usage[] =
"usage: numamma profile [OPTIONS] [--] PROGRAM [ARGS...]\n"
"       numamma profile [OPTIONS] -p PID\n"
"       numamma profile --list-samplers\n"
"\n"
"  -o, --output FILE      write the profile to FILE (default numamma.db;\n"
"                         an existing FILE is kept as FILE.old); under a\n"
"                         launcher FILE.db is FILE.rank<R>.db; %r rank,\n"
"                         %p pid, %h host, %j job id, %% a percent sign\n"
"  -p, --pid PID          attach to a running process; detach on Ctrl-C,\n"
"                         SIGTERM, SIGHUP, --duration or its exit\n"
"  -d, --duration SECS    with --pid: detach after SECS seconds\n"
SAMPLER_USAGE
"      --no-raw           keep aggregates only, not every sample (report\n"
"                         reads them; advise needs every sample)\n"
"      --list-samplers    say which samplers work here (self-tested), and why not\n"
"      --call-depth N     frames kept per allocation call stack (default 16)\n"
INTERCEPT_USAGE
"      --min-object-size SIZE\n"
"                         heap and mmap blocks, statics and mappings of SIZE\n"
"                         bytes or more (64K, 1M: K, M, G count KiB, MiB,\n"
"                         GiB) get a row in objects (default\n"
"                         " MIN_OBJECT_SIZE_DEFAULT_NAME ");\n"
"                         smaller ones get one when a sample hits them, and\n"
"                         every call is counted in callsite_totals\n"
"      --all-objects      every block, static and mapping gets a row\n"
"                         (--min-object-size 0)\n"
"      --no-follow        do not follow forked children\n"
"  -q, --quiet            no summary line on stderr, no status line on a\n"
"                         terminal while the program runs\n"
"  -v, --verbose          debugging output\n"
"  -h, --help             show this help\n";

enum { OPT_NO_RAW = 256, OPT_LIST, OPT_DEPTH, OPT_NO_FOLLOW,
       OPT_INTERCEPT, OPT_MIN_SIZE, OPT_ALL_OBJECTS };

static const struct option profile_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	SAMPLER_LONG_OPTIONS,
	{ "no-raw", no_argument, NULL, OPT_NO_RAW },
	{ "list-samplers", no_argument, NULL, OPT_LIST },
	{ "call-depth", required_argument, NULL, OPT_DEPTH },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "intercept", required_argument, NULL, OPT_INTERCEPT },
	{ "min-object-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "all-objects", no_argument, NULL, OPT_ALL_OBJECTS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_profile(int argc, char **argv)
{
	struct session s;
	pid_t pid = 0;
	int c;

	session_init(&s, "profile");
	s.min_object_size = MIN_OBJECT_SIZE_DEFAULT;
	opterr = 0;
	s.output = "numamma.db";
	/* '+': options stop at the program's name, as in env(1). */
	while ((c = getopt_long(argc, argv, "+:o:p:d:s:qvh", profile_options, NULL)) != -1) {
		switch (c) {
		case 'o': s.output = optarg; break;
		case 'p': pid = opt_pid("profile", optarg); break;
		case 'd': s.duration = opt_seconds("profile", "duration", optarg); break;
		case OPT_NO_RAW: s.no_raw = true; break;
		case OPT_LIST: sampler_list(stdout); return 0;
		case OPT_DEPTH: s.call_depth = opt_u64("profile", "call-depth", optarg, 1, NM_MAX_FRAMES - 1); break;
		case OPT_NO_FOLLOW: s.follow = false; break;
		case OPT_INTERCEPT: s.intercept = opt_intercept("profile", optarg); break;
		case OPT_MIN_SIZE:
			s.min_object_size = opt_size("profile", "min-object-size", optarg);
			break;
		case OPT_ALL_OBJECTS: s.min_object_size = 0; break;
		case 'q': s.quiet = true; break;
		case 'v': verbose++; break;
		case 'h': fputs(profile_usage, stdout); return 0;
		default:
			if (!sampler_option("profile", c, optarg, &s.sopts))
				return option_error("profile", c, argv);
			break;
		}
	}
	if (!pid && optind >= argc) {
		return usage_error("profile", "no program to run");
	}
	if (pid && optind < argc) {
		return usage_error("profile", "give either a program or --pid, not both");
	}
	if (s.duration && !pid) {
		return usage_error("profile", "--duration needs --pid");
	}
	exit_like(session_run(&s, argv + optind, pid));
}
