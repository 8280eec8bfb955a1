/* Launcher ranks and per-rank output names, with made-up environments. */
#include <stdlib.h>

#include "launcher.h"
#include "unit.h"

static const char *const *vars;    /* NAME, VALUE, ..., NULL */

static const char *lookup(const char *name)
{
	for (const char *const *v = vars; v && *v; v += 2)
		if (!strcmp(v[0], name))
			return v[1];
	return NULL;
}

static struct launcher_env detect(const char *const *given)
{
	struct launcher_env env;

	vars = given;
	launcher_detect(&env, lookup);
	return env;
}

static void check_name(const struct launcher_env *env, const char *pattern, const char *want)
{
	const char *why = NULL;
	char *got = launcher_output_name(pattern, env, 4242, "node7", &why);

	if (want)
		CHECK_STR(got, want);
	else
		CHECK(got == NULL && why != NULL);
	free(got);
}

static void test_detect(void)
{
	static const char *const ompi[] = { "OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "3",
					    "SLURM_PROCID", "0", "SLURM_JOB_ID", "981", NULL };
	static const char *const mpich[] = { "PMI_RANK", "5", "PMI_SIZE", "8", NULL };
	static const char *const pmix[] = { "PMIX_RANK", "1", "PMIX_NAMESPACE", "prterun-x-1", NULL };
	static const char *const slurm[] = { "SLURM_PROCID", "3", "SLURM_NTASKS", "4",
					     "SLURM_JOB_ID", "77", NULL };
	static const char *const mv2[] = { "MV2_COMM_WORLD_RANK", "6", NULL };
	static const char *const bad[] = { "PMI_RANK", "two", "OMPI_COMM_WORLD_RANK", "", NULL };
	struct launcher_env env;

	env = detect(ompi);
	CHECK_INT(env.rank, 2);
	CHECK_INT(env.size, 3);
	CHECK_STR(env.job, "981");
	CHECK_STR(env.rank_var, "OMPI_COMM_WORLD_RANK");
	env = detect(mpich);
	CHECK_INT(env.rank, 5);
	CHECK_INT(env.size, 8);
	CHECK(env.job == NULL);
	env = detect(pmix);
	CHECK_INT(env.rank, 1);
	CHECK_INT(env.size, -1);
	CHECK_STR(env.job, "prterun-x-1");
	env = detect(slurm);
	CHECK_INT(env.rank, 3);
	CHECK_INT(env.size, 4);
	CHECK_STR(env.job, "77");
	env = detect(mv2);
	CHECK_INT(env.rank, 6);
	env = detect(bad);
	CHECK_INT(env.rank, -1);
	env = detect(NULL);
	CHECK_INT(env.rank, -1);
	CHECK(env.rank_var == NULL);
}

static void test_names(void)
{
	static const struct launcher_env none = { .rank = -1, .size = -1 };
	static const struct launcher_env rank2 = { .rank = 2, .size = 3, .job = "981" };
	static const struct {
		const struct launcher_env *env;
		const char *pattern, *want;     /* want NULL: refused */
	} cases[] = {
		{ &none, "prof.db", "prof.db" },
		{ &none, "out/p.%p.db", "out/p.4242.db" },
		{ &none, "p.%h.db", "p.node7.db" },
		{ &none, "100%%.db", "100%.db" },
		{ &none, "p.%r.db", NULL },
		{ &none, "p.%j.db", NULL },
		{ &rank2, "prof.db", "prof.rank2.db" },
		{ &rank2, "numamma.db", "numamma.rank2.db" },
		{ &rank2, "dir.v1/prof", "dir.v1/prof.rank2" },
		{ &rank2, "dir/.hidden", "dir/.hidden.rank2" },
		{ &rank2, "a.b.db", "a.b.rank2.db" },
		{ &rank2, "prof.%j.%r.db", "prof.981.2.db" },
		{ &rank2, "p%x.db", NULL },
		{ &rank2, "p.db%", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_name(cases[i].env, cases[i].pattern, cases[i].want);
}

int main(void)
{
	test_detect();
	test_names();
	return unit_done();
}
