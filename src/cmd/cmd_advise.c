/* numamma advise: prints the placement plan a profile suggests and writes
 * it as a policy file for `numamma run --policy`. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advise.h"
#include "commands.h"
#include "error.h"
#include "launcher.h"
#include "number.h"
#include "options.h"
#include "outfile.h"
#include "profile.h"
#include "progress.h"
#include "topology.h"

const char advise_usage[] =
	"usage: numamma advise [OPTIONS] [FILE...]\n"
	"\n"
	"Derives a memory placement plan from the profile FILE (default numamma.db)\n"
	"and prints it: for each allocation site, bind, interleave, block, pagemap,\n"
	"each, cyclic, tiles or leave, with the reason, the samples behind it and\n"
	"the predicted share of local accesses before and after; and the pinning\n"
	"plan, for threads and for the worker processes the program forks.  The\n"
	"policy format is described in doc/policy.md.\n"
	"\n"
	"Several FILEs (or a directory of them) are the per-rank profiles of an MPI\n"
	"job: each rank is planned within the cpus and nodes its launcher gave it,\n"
	"and -o writes one policy with a section per rank.\n"
	"\n"
	"  -o, --output FILE   also write the plan as a policy file, for\n"
	"                      'numamma run --policy FILE'; with several\n"
	"                      profiles, %r in FILE writes one policy per rank\n"
	"                      (%h host, %j job id, %p pid, from each profile)\n"
	"      --min-size SIZE leave objects smaller than SIZE alone (default 64K;\n"
	"                      suffixes K, M, G)\n"
	"      --nodes N       plan for a machine of N nodes (default: this machine\n"
	"                      when it has more nodes than the profiled one, else\n"
	"                      the profiled one; the whole machine, not the\n"
	"                      binding the profile recorded)\n"
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

/* A job's profiles, one per rank: each says which. */
static int check_ranks(const struct profile *prof, const char *const *paths)
{
	for (size_t i = 0; i < prof->nruns; i++) {
		const struct prof_run *run = &prof->runs[i];

		if (run->run.launcher_rank < 0) {
			error("'%s' was not profiled under a launcher: no rank to plan for", paths[i]);
			hint("advise one profile at a time, or the per-rank profiles of one job");
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (prof->runs[j].run.launcher_rank == run->run.launcher_rank)
				return error("'%s' and '%s' are both rank %d", paths[j], paths[i],
					     run->run.launcher_rank);
	}
	return 0;
}

/* -o 'app.%r.policy': each rank's own policy, named from its profile. */
static char *rank_output(const char *pattern, const struct prof_run *run, const char *path)
{
	struct launcher_env env = { run->run.launcher_rank, run->run.launcher_size, run->run.job_id,
				    NULL };
	const char *why = NULL;
	char *name = launcher_output_name(pattern, &env,
					  run->nprocesses ? run->processes[0].pid : 0,
					  run->run.host ? run->run.host : "", &why);

	/* The rank and job id come from the profile here, not from our
	 * environment. */
	if (!name && !strncmp(why, "%r:", 3))
		error("cannot name the policy of '%s' after '%s': it was not profiled under a launcher "
		      "(no rank for %%r)", path, pattern);
	else if (!name && !strncmp(why, "%j:", 3))
		error("cannot name the policy of '%s' after '%s': it holds no job id (for %%j)", path,
		      pattern);
	else if (!name)
		error("cannot name the policy of '%s' after '%s': %s", path, pattern, why);
	return name;
}

/* One policy for every rank holds what one program's ranks share. */
static int same_binaries(const struct policy *job, const struct policy *rank, const char *file)
{
	int same = job->nbinaries == rank->nbinaries;

	for (int i = 0; i < rank->nbinaries && same; i++)
		same = policy_matches_module(job, rank->binaries[i]);
	if (same || !job->ranked)
		return 0;
	error("'%s' profiled another program than the ranks before it: one policy cannot serve "
	      "both", file);
	hint("write one policy per rank: -o 'app.%%r.policy'");
	return -1;
}

/* What becomes of one rank's (or the only profile's) plan. */
static int take_plan(const char *output, struct policy *job, const struct prof_run *run,
		     const char *path, const struct advice *adv, const char *const *inputs)
{
	char *name;
	int ret;

	if (job) {
		if (same_binaries(job, adv->policy, path) < 0)
			return -1;
		policy_add_rank(job, adv->policy, run->run.launcher_rank);
		return 0;
	}
	if (!output)
		return 0;
	name = strchr(output, '%') ? rank_output(output, run, path) : xstrdup(output);
	ret = name && outfile_check(name, inputs) == 0 ? write_policy(name, adv->policy) : -1;
	if (!ret)
		printf("\npolicy written to %s\n", name);
	free(name);
	return ret;
}

/* One profile, or a job's per-rank profiles: each rank is planned within
 * the cpus and nodes its launcher gave it, and the plans go into one
 * policy with a section per rank, or (-o with %r) one policy each. */
static int run_advise(const char **paths, int npaths, const char *output,
		      struct advise_opts *opts)
{
	struct profile prof;
	struct policy *job = NULL;
	const char **inputs = xcalloc(npaths + 1, sizeof(*inputs));
	bool one_file = output && !strchr(output, '%');
	struct progress *pr;
	int ret;

	memcpy(inputs, paths, npaths * sizeof(*inputs));
	/* Without the rank in the names, a rank's policy would replace
	 * another's (kept as .old). */
	if (npaths > 1 && output && !one_file && !strstr(output, "%r")) {
		free(inputs);
		return usage_error("advise", "-o '%s': a policy per rank needs %%r in its name, or "
				   "no %% at all for one policy with a section per rank", output);
	}
	if (one_file && outfile_check(output, inputs) < 0) {
		free(inputs);
		return NM_EXIT_FAILURE;
	}
	/* A large profile takes seconds to read and plan: a person at a
	 * terminal is told what is going on, as report does. */
	pr = progress_start("advise");
	progress_step(pr, "reading '%s'%s", paths[0], npaths > 1 ? " and the other ranks'" : "");
	if (profile_load(&prof, paths, npaths, PROFILE_SAMPLES) < 0) {
		progress_end(pr);
		free(inputs);
		return NM_EXIT_FAILURE;
	}
	ret = npaths > 1 ? check_ranks(&prof, inputs) : 0;
	if (npaths > 1 && one_file)
		job = policy_new(output);
	for (int i = 0; i < npaths && !ret; i++) {
		struct advice adv;

		if (npaths > 1)
			printf("%s== launcher rank %d: %s ==\n", i ? "\n" : "",
			       prof.runs[i].run.launcher_rank, paths[i]);
		progress_step(pr, "planning from '%s'", paths[i]);
		advise_profile(&prof.runs[i], paths[i], opts, &adv);
		advice_print(stdout, &adv);
		ret = take_plan(output, job, &prof.runs[i], paths[i], &adv, inputs);
		advice_free(&adv);
	}
	progress_end(pr);
	if (job && !ret) {
		ret = write_policy(output, job);
		if (!ret)
			printf("\npolicy for the %d ranks written to %s\n", npaths, output);
	}
	profile_free(&prof);
	policy_free(job);
	free(inputs);
	return ret < 0 ? NM_EXIT_FAILURE : 0;
}

int cmd_advise(int argc, char **argv)
{
	struct advise_opts opts = { .min_size = ADVISE_MIN_SIZE };
	struct nm_topology machine = { 0 };
	const char **paths, *output = NULL;
	int npaths;
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
	npaths = argc - optind;
	paths = profile_paths(argv + optind, &npaths);
	if (!paths)
		return NM_EXIT_FAILURE;
	/* Without sysfs we plan for the profiled machine. */
	if (topology_read(&machine, NULL) == 0)
		opts.machine = &machine;
	ret = run_advise(paths, npaths, output, &opts);
	free(paths);
	if (opts.machine)
		topology_free(&machine);
	return ret;
}
