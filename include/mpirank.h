/* The rank an MPI launcher gave this process, and per-rank file names, so
 * that the ranks of one job never write one file. */
#ifndef NUMAMMA_MPIRANK_H
#define NUMAMMA_MPIRANK_H

/* The rank from the launcher's environment (Open MPI, MPICH/Hydra, PMIx,
 * Slurm, MVAPICH), or NULL outside a launcher.  getenv's string. */
const char *mpi_rank(void);
/* path with ".rank<R>" before its extension ("out.json" ->
 * "out.rank3.json", "dir.d/out" -> "dir.d/out.rank3", ".cfg" ->
 * ".cfg.rank3"); a new string. */
char *mpi_rank_path(const char *path, const char *rank);

#endif
