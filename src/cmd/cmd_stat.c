/* numamma stat: count what a run does to memory (perf stat's kind of
 * tool, with the NUMA counters and the program's pages per node). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "launcher.h"
#include "options.h"
#include "outfile.h"
#include "stat.h"
#include "tracer.h"

const char stat_usage[] =
"usage: numamma stat [OPTIONS] [--] PROGRAM [ARGS...]\n"
"       numamma stat [OPTIONS] -p PID [-d SECS]\n"
"\n"
"Counts over every thread and child of the program: task-clock, page faults,\n"
"context switches, CPU migrations, and hardware events where a PMU exists;\n"
"then its resident pages per node at its end and the system-wide NUMA\n"
"counters (numastat, /proc/vmstat) over the run.  The program's output and\n"
"exit status are its own; the counts go to stderr.\n"
"\n"
"  -e, --events LIST      hardware events, comma-separated libpfm4 names, instead\n"
"                         of the default set (cycles, instructions, cache and TLB\n"
"                         misses, local and remote DRAM loads where known)\n"
"  -j, --json             one JSON object (one line) instead of the table\n"
"  -o, --output FILE      write the counts to FILE, which must not exist (under an\n"
"                         MPI launcher: FILE with .rank<R> before its extension)\n"
"  -p, --pid PID          count a running process from now on\n"
"  -d, --duration SECS    with --pid: stop after SECS seconds (default: at its\n"
"                         exit, Ctrl-C, SIGTERM or SIGHUP)\n"
"  -h, --help             show this help\n";

static const struct option stat_options[] = {
	{ "events", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct stat_opts {
	const char *events, *output;
	bool json;
	pid_t pid;
	double duration;
};

/* The counts' file, created before the program runs so that a refusal
 * costs no run.  Never replaced, never through a link. */
static FILE *open_output(char *name)
{
	FILE *f;
	int fd;

	if (outfile_check(name, NULL) < 0)
		exit(NM_EXIT_FAILURE);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		error("stat: cannot create '%s': it exists", name);
		hint("numamma stat never replaces a file: remove it or choose another -o");
		exit(NM_EXIT_FAILURE);
	}
	if (fd < 0 || !(f = fdopen(fd, "w")))
		die_errno("stat: cannot create '%s'", name);
	return f;
}

static int parse_options(int argc, char **argv, struct stat_opts *o)
{
	int c;

	opterr = 0;
	/* '+': options stop at the program's name, as in env(1). */
	while ((c = getopt_long(argc, argv, "+:e:jo:p:d:h", stat_options, NULL)) != -1) {
		switch (c) {
		case 'e': o->events = optarg; break;
		case 'j': o->json = true; break;
		case 'o': o->output = optarg; break;
		case 'p': o->pid = opt_pid("stat", optarg); break;
		case 'd': o->duration = opt_seconds("stat", "duration", optarg); break;
		case 'h': fputs(stat_usage, stdout); exit(0);
		default: return option_error("stat", c, argv);
		}
	}
	if (!o->pid && optind >= argc)
		return usage_error("stat", "no program to run");
	if (o->pid && optind < argc)
		return usage_error("stat", "give either a program or --pid, not both");
	if (o->duration && !o->pid)
		return usage_error("stat", "--duration needs --pid");
	return 0;
}

/* Nothing was counted: no output file is left behind. */
static void drop_output(const char *name)
{
	if (name)
		unlink(name);
}

/* The program's exec failed: 127 or 126 and one line, as env(1). */
static _Noreturn void exec_failed(const char *prog, int err, const char *output)
{
	drop_output(output);
	if (err == ENOENT)
		die_status(NM_EXIT_NOT_FOUND, "cannot run '%s': %s", prog,
			   strchr(prog, '/') ? strerror(err) : "command not found");
	die_status(NM_EXIT_CANNOT_RUN, "cannot run '%s': %s", prog, strerror(err));
}

static int count(struct stat_result *r, const struct stat_opts *o, char **argv,
		 const char *output)
{
	int err;

	if (o->pid) {
		if (stat_attach(r, o->pid, o->duration) < 0) {
			drop_output(output);
			return -1;
		}
		return 0;
	}
	r->command = join_command(argv);
	if ((err = stat_launch(r, argv)))
		exec_failed(argv[0], err, output);
	return 0;
}

/* Under a launcher each rank writes its own file, as profile does. */
static char *name_output(const char *pattern, const struct launcher_env *launcher)
{
	char host[256] = "";
	const char *why = NULL;
	char *name;

	gethostname(host, sizeof(host) - 1);
	name = launcher_output_name(pattern, launcher, getpid(), host, &why);
	if (!name)
		error("stat: cannot name the output '%s': %s", pattern, why);
	return name;
}

int cmd_stat(int argc, char **argv)
{
	static struct stat_result r;    /* large: the per-node snapshots */
	struct stat_opts o = { 0 };
	struct launcher_env launcher;
	char *output = NULL;
	FILE *out = stderr;

	if (parse_options(argc, argv, &o))
		return NM_EXIT_FAILURE;
	if (stat_events_build(&r.events, o.events) < 0)
		return NM_EXIT_FAILURE;
	launcher_detect(&launcher, launcher_getenv);
	r.rank = launcher.rank;
	if (o.output) {
		output = name_output(o.output, &launcher);
		if (!output)
			return NM_EXIT_FAILURE;
		out = open_output(output);
	}
	if (count(&r, &o, argv + optind, output) < 0)
		return NM_EXIT_FAILURE;
	(o.json ? stat_print_json : stat_print_text)(out, &r);
	if (out != stderr && fclose(out) != 0)
		error_errno("stat: cannot write '%s'", output);
	if (o.pid)
		return 0;
	exit_like(r.status);
}
