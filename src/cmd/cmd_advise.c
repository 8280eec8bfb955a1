/* numamma advise: prints the placement plan a profile suggests and writes
 * it as a policy file for `numamma run --policy`. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "advise.h"
#include "commands.h"
#include "error.h"
#include "number.h"
#include "options.h"
#include "outfile.h"
#include "profile.h"
#include "progress.h"
#include "topology.h"

const char advise_usage[] =
	"usage: numamma advise [OPTIONS] [FILE]\n"
	"\n"
	"Derives a memory placement plan from the profile FILE (default numamma.db)\n"
	"and prints it: for each allocation site, bind, interleave, block, pagemap\n"
	"or leave, with the reason, the samples behind it and the predicted share\n"
	"of local accesses before and after; and the thread pinning plan.  The\n"
	"policy format is described in doc/policy.md.\n"
	"\n"
	"  -o, --output FILE   also write the plan as a policy file, for\n"
	"                      'numamma run --policy FILE'\n"
	"      --min-size SIZE leave objects smaller than SIZE alone (default 64K;\n"
	"                      suffixes K, M, G)\n"
	"      --nodes N       plan for a machine of N nodes (default: this machine\n"
	"                      when it has more nodes than the profiled one, else\n"
	"                      the profiled one)\n"
	"  -h, --help          print this help and exit\n";

enum { OPT_MIN_SIZE = 256, OPT_NODES };

static const struct option advise_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "nodes", required_argument, NULL, OPT_NODES },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Under the output rules of include/outfile.h: the previous file kept
 * as .old, the new one created exclusively. */
static int write_policy(const char *path, const struct policy *pol)
{
	int fd;
	FILE *f;

	if (outfile_keep_previous(path, false) < 0 || (fd = outfile_create(path)) < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return error_errno("cannot write '%s'", path);
	}
	policy_write(f, pol);
	if (fclose(f) != 0)
		return error_errno("cannot write '%s'", path);
	return 0;
}

static int run_advise(const char *path, const char *output, struct advise_opts *opts)
{
	struct profile prof;
	struct advice adv;
	struct progress *pr;
	int ret;

	const char *inputs[] = { path, NULL };

	if (output && outfile_check(output, inputs) < 0)
		return NM_EXIT_FAILURE;
	/* A large profile takes seconds to read and plan: a person at a
	 * terminal is told what is going on, as report does. */
	pr = progress_start("advise");
	progress_step(pr, "reading '%s'", path);
	ret = profile_load(&prof, &path, 1, PROFILE_SAMPLES);
	if (ret == 0) {
		progress_step(pr, "planning from '%s'", path);
		ret = advise_profile(&prof.runs[0], path, opts, &adv);
		profile_free(&prof);
	}
	progress_end(pr);
	if (ret < 0)
		return NM_EXIT_FAILURE;
	advice_print(stdout, &adv);
	if (output) {
		ret = write_policy(output, adv.policy);
		if (!ret)
			printf("\npolicy written to %s\n", output);
	}
	advice_free(&adv);
	return ret < 0 ? NM_EXIT_FAILURE : 0;
}

int cmd_advise(int argc, char **argv)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct nm_topology machine = { 0 };
	const char *path = "numamma.db", *output = NULL;
	uint64_t nodes;
	int opt, ret;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", advise_options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_MIN_SIZE:
			if (parse_size(optarg, &opts.min_size) < 0)
				return usage_error("advise", "invalid --min-size '%s' (want bytes, e.g. 64K)", optarg);
			break;
		case OPT_NODES:
			if (parse_number(optarg, 10, 1, POLICY_MAX_NODES, &nodes) < 0)
				return usage_error("advise", "invalid --nodes '%s' (want 1 to %d)", optarg,
						   POLICY_MAX_NODES);
			opts.nodes = (int)nodes;
			break;
		case 'h':
			fputs(advise_usage, stdout);
			return 0;
		default:
			return option_error("advise", opt, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("advise", "one profile at a time, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	/* Without sysfs we plan for the profiled machine. */
	if (topology_read(&machine, NULL) == 0)
		opts.machine = &machine;
	ret = run_advise(path, output, &opts);
	if (opts.machine)
		topology_free(&machine);
	return ret;
}
