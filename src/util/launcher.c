/* Launcher ranks and per-rank output names: see include/launcher.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "launcher.h"

/* Where each launcher says which rank we are, most specific first: an
 * Open MPI job started by srun has both OMPI_ and SLURM_ variables, and
 * the MPI rank is the one the program itself sees. */
static const struct {
	const char *rank, *size;
} rank_vars[] = {
	{ "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE" },
	{ "PMIX_RANK", NULL },
	{ "PMI_RANK", "PMI_SIZE" },
	{ "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE" },
	{ "SLURM_PROCID", "SLURM_NTASKS" },
};

static const char *const job_vars[] = { "SLURM_JOB_ID", "OMPI_MCA_ess_base_jobid", "PBS_JOBID",
					 "LSB_JOBID", "PMIX_NAMESPACE" };

/* A non-negative decimal number, or -1. */
static int parse_count(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 1 << 30 ? -1 : (int)v;
}

const char *launcher_getenv(const char *name)
{
	return getenv(name);
}

void launcher_detect(struct launcher_env *env, env_lookup lookup)
{
	env->rank = env->size = -1;
	env->job = NULL;
	env->rank_var = NULL;
	for (size_t i = 0; i < sizeof(rank_vars) / sizeof(rank_vars[0]) && env->rank < 0; i++) {
		env->rank = parse_count(lookup(rank_vars[i].rank));
		if (env->rank >= 0) {
			env->rank_var = rank_vars[i].rank;
			env->size = rank_vars[i].size ? parse_count(lookup(rank_vars[i].size)) : -1;
		}
	}
	for (size_t i = 0; i < sizeof(job_vars) / sizeof(job_vars[0]) && !env->job; i++) {
		const char *v = lookup(job_vars[i]);

		env->job = v && *v ? v : NULL;
	}
}

/* prof.db -> prof.rank2.db; the extension is in the last path component. */
static char *insert_rank(const char *path, int rank)
{
	const char *base = strrchr(path, '/');
	const char *dot = strrchr(base ? base + 1 : path, '.');

	if (!dot || dot == (base ? base + 1 : path))
		return xasprintf("%s.rank%d", path, rank);
	return xasprintf("%.*s.rank%d%s", (int)(dot - path), path, rank, dot);
}

/* Appends what %c stands for; false for a pattern that cannot be filled. */
static bool expand_one(char c, const struct launcher_env *env, int pid, const char *host,
		       char **out, const char **why)
{
	char *prev = *out;

	switch (c) {
	case '%': *out = xasprintf("%s%%", prev); break;
	case 'p': *out = xasprintf("%s%d", prev, pid); break;
	case 'h': *out = xasprintf("%s%s", prev, host); break;
	case 'r':
		if (env->rank < 0) {
			*why = "%r: no launcher rank in the environment";
			return false;
		}
		*out = xasprintf("%s%d", prev, env->rank);
		break;
	case 'j':
		if (!env->job) {
			*why = "%j: no job id in the environment";
			return false;
		}
		*out = xasprintf("%s%s", prev, env->job);
		break;
	default:
		*why = "unknown % pattern (known: %r %p %h %j %%)";
		return false;
	}
	free(prev);
	return true;
}

char *launcher_output_name(const char *pattern, const struct launcher_env *env, int pid,
			   const char *host, const char **why)
{
	char *out;

	if (!strchr(pattern, '%'))
		return env->rank >= 0 ? insert_rank(pattern, env->rank) : xstrdup(pattern);
	out = xstrdup("");
	for (const char *p = pattern; *p; p++) {
		if (*p != '%') {
			char *prev = out;

			out = xasprintf("%s%c", prev, *p);
			free(prev);
		} else if (!expand_one(p[1], env, pid, host, &out, why)) {
			free(out);
			return NULL;
		} else {
			p++;
		}
	}
	return out;
}
