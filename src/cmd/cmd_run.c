/* numamma run: run a program with a placement policy applied as its
 * objects are allocated (mbind injected into the tracee), its threads
 * pinned by creation rank, and where the pages landed verified. */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "commands.h"
#include "error.h"
#include "launcher.h"
#include "options.h"
#include "placement.h"
#include "sampler_options.h"
#include "session.h"
#include "topology.h"
#include "verify.h"

const char run_usage[] =
"usage: numamma run [OPTIONS] --policy FILE [--] PROGRAM [ARGS...]\n"
"       numamma run [OPTIONS] --interleave NODES|--bind NODE [--] PROGRAM [ARGS...]\n"
"       numamma run [OPTIONS] --policy FILE -p PID\n"
"\n"
"  -P, --policy FILE      a profile (advised in memory) or a policy file;\n"
"                         under a launcher, %r in FILE is the rank\n"
"      --interleave NODES interleave every object over NODES ('all', '0-3')\n"
"      --bind NODE        bind every object to NODE\n"
"  -p, --pid PID          attach: migrate matching objects of a running\n"
"                         process and place its new ones until it exits\n"
"  -d, --duration SECS    with --pid: detach after SECS seconds\n"
"  -o, --output FILE      also record the run, its placement and its\n"
"                         accesses (sampled as profile does) in FILE\n"
"  with -o:\n"
SAMPLER_USAGE
"      --verify           print every placed object, not only the summary\n"
"      --strict           refuse a policy made for another binary\n"
"      --no-pin           do not pin threads\n"
"      --no-follow        do not follow forked children\n"
INTERCEPT_USAGE
"  -q, --quiet            no summary on stderr, no status line\n"
"  -v, --verbose          debugging output\n"
"  -h, --help             show this help\n";

enum { OPT_INTERLEAVE = 256, OPT_BIND, OPT_VERIFY, OPT_STRICT, OPT_NO_PIN, OPT_NO_FOLLOW,
       OPT_INTERCEPT };

static const struct option run_options[] = {
	{ "policy", required_argument, NULL, 'P' },
	{ "interleave", required_argument, NULL, OPT_INTERLEAVE },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	SAMPLER_LONG_OPTIONS,
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "no-pin", no_argument, NULL, OPT_NO_PIN },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "intercept", required_argument, NULL, OPT_INTERCEPT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --policy 'app.%r.policy': each rank of a job reads its own. */
static const char *policy_name(struct session *s, const char *policy)
{
	char host[HOST_NAME_MAX + 1] = "";
	const char *why = NULL;
	char *name;

	if (!policy || !strchr(policy, '%'))
		return policy;
	gethostname(host, sizeof(host) - 1);
	name = launcher_output_name(policy, &s->launcher, getpid(), host, &why);
	if (!name)
		die("run: cannot name the policy '%s': %s", policy, why);
	return name;
}

static struct policy *load_policy(struct session *s, const char *policy, const char *mode,
				  const char *nodes, int strict)
{
	if (policy && mode)
		die("run: give either --policy or --%s, not both", mode);
	if (mode)
		return policy_global(mode, nodes, &s->topo);
	if (!policy)
		die("run: no placement given: --policy, --interleave or --bind");
	return policy_load(policy, &s->topo, strict, s->launcher.rank);
}

int cmd_run(int argc, char **argv)
{
	struct session s;
	struct policy *pol;
	struct verifier *ver;
	struct applier *app;
	bool pin_threads = true, attached = false, sampling = false;
	const char *policy = NULL, *mode = NULL, *nodes = NULL;
	int c, strict = 0, list_all = 0, status;
	pid_t pid = 0;

	session_init(&s, "run");
	/* Only a block that holds a whole page can be placed: a smaller one
	 * is counted, and gets a row if a sample hits it (a row and its
	 * object's index entry for each of gcc's 345,000 blocks made run
	 * take twice profile's time). */
	s.min_object_size = (uint64_t)sysconf(_SC_PAGESIZE);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:P:p:d:o:s:qvh", run_options, NULL)) != -1) {
		switch (c) {
		case 'P': policy = s.inputs[0] = optarg; break;
		case OPT_INTERLEAVE:
		case OPT_BIND:
			if (mode)
				return usage_error("run", "--interleave and --bind: give one of them");
			mode = c == OPT_BIND ? "bind" : "interleave";
			nodes = optarg;
			break;
		case 'p': pid = opt_pid("run", optarg); attached = true; break;
		case 'd': s.duration = opt_seconds("run", "duration", optarg); break;
		case 'o': s.output = optarg; break;
		case OPT_VERIFY: list_all = 1; break;
		case OPT_STRICT: strict = 1; break;
		case OPT_NO_PIN: pin_threads = false; break;
		case OPT_NO_FOLLOW: s.follow = false; break;
		case OPT_INTERCEPT: s.intercept = opt_intercept("run", optarg); break;
		case 'q': s.quiet = true; break;
		case 'v': verbose++; break;
		case 'h': fputs(run_usage, stdout); return 0;
		default:
			if (!sampler_option("run", c, optarg, &s.sopts))
				return option_error("run", c, argv);
			sampling = true;
			break;
		}
	}
	if (!pid && optind >= argc) {
		return usage_error("run", "no program to run");
	}
	if (sampling && !s.output)
		return usage_error("run", "the sampler options record into a profile: give -o FILE");
	/* A run recorded with -o samples its accesses as profile does, so
	 * that report --diff compares it with the profile it was placed from. */
	if (!s.output)
		s.sopts.name = "none";
	if (!pid && s.duration)
		return usage_error("run", "--duration is for -p PID (a launched program runs to its end)");
	if (topology_read(&s.topo, NULL) < 0)
		die("run: cannot read the NUMA topology");
	policy = s.inputs[0] = policy_name(&s, policy);
	/* A bad policy stops everything before the program starts. */
	pol = load_policy(&s, policy, mode, nodes, strict);
	if (!pol)
		exit(NM_EXIT_FAILURE);
	if (s.topo.nr_nodes == 1 && !s.quiet)
		fprintf(stderr, "numamma: run: this machine has one NUMA node: placement is moot "
			"(applied anyway)\n");
	ver = verifier_new(&s, list_all);
	app = applier_new(&s, pol, ver, pin_threads, attached);
	status = session_run(&s, argv + optind, pid);
	applier_report(app, s.quiet);
	verifier_report(ver, s.quiet);
	exit_like(status);
}
