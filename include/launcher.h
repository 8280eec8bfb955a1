/* Under a parallel launcher (mpirun, srun, mpiexec): which rank this
 * process is, and the output name that follows from it, so that the ranks
 * of one job never write one file.  Pure: the environment comes through a
 * lookup function, so that tests/unit/test-launcher.c can give any. */
#ifndef NUMAMMA_LAUNCHER_H
#define NUMAMMA_LAUNCHER_H

struct launcher_env {
	int rank, size;          /* -1: not under a launcher / unknown */
	const char *job;         /* job id, or NULL */
	const char *rank_var;    /* the variable the rank came from */
};

typedef const char *(*env_lookup)(const char *name);
/* getenv(3) as an env_lookup: the process's own environment. */
const char *launcher_getenv(const char *name);

/* Reads the rank, size and job id that Open MPI, MPICH/Hydra, PMIx,
 * Slurm or MVAPICH put in the environment. */
void launcher_detect(struct launcher_env *env, env_lookup lookup);

/* The output file for pattern: %r rank, %p pid, %h host, %j job id, %%
 * a percent sign.  Without any % and under a launcher, ".rank<R>" goes
 * before the extension (prof.db -> prof.rank2.db).  NULL + why (static)
 * for a bad pattern (%r outside a launcher, %j without a job id, an
 * unknown %x). */
char *launcher_output_name(const char *pattern, const struct launcher_env *env, int pid,
			   const char *host, const char **why);

#endif
