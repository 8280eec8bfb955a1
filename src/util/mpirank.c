/* MPI ranks from the launcher's environment: see include/mpirank.h. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mpirank.h"

/* In the order launchers set them; srun under mpirun sets both, with the
 * same value. */
static const char *const rank_vars[] = {
	"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID", "MV2_COMM_WORLD_RANK",
};

const char *mpi_rank(void)
{
	for (size_t i = 0; i < sizeof(rank_vars) / sizeof(rank_vars[0]); i++) {
		const char *v = getenv(rank_vars[i]);

		/* Only a number names a file safely. */
		if (v && *v && strspn(v, "0123456789") == strlen(v))
			return v;
	}
	return NULL;
}

char *mpi_rank_path(const char *path, const char *rank)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	/* A leading dot names a hidden file, not an extension. */
	if (!dot || dot == base)
		return xasprintf("%s.rank%s", path, rank);
	return xasprintf("%.*s.rank%s%s", (int)(dot - path), path, rank, dot);
}
