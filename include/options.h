/* Option parsing shared by the subcommands: numbers, with one-line errors. */
#ifndef NUMAMMA_OPTIONS_H
#define NUMAMMA_OPTIONS_H

#include <stdint.h>
#include <sys/types.h>

#include "tracer.h"

/* Each dies (exit 125) with "numamma: CMD: invalid --OPT 'ARG'" when arg
 * is not a number in range. */
uint64_t opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max);
double opt_seconds(const char *cmd, const char *opt, const char *arg);
/* Bytes, with an optional K, M or G (binary) suffix: 64K, 1M. */
uint64_t opt_size(const char *cmd, const char *opt, const char *arg);
pid_t opt_pid(const char *cmd, const char *arg);
/* --intercept MODE: auto, agent or trap (else an error line and a hint). */
enum intercept_mode opt_intercept(const char *cmd, const char *arg);
/* "numamma: CMD: what is wrong" and a hint to --help; returns 125 for the
 * caller to return or exit with. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long's ':' (missing value) or '?' (unknown option), with opterr
 * cleared and optstring starting with "+:". */
int option_error(const char *cmd, int opt, char **argv);
/* Shell-quotes argv into one string (the command line stored in runs). */
char *join_command(char **argv);
/* The command line's *npaths profiles, a directory standing for its *.db
 * files (a job's per-rank profiles) in name order; numamma.db when none
 * is named.  The array is allocated (its strings are args' or leaked
 * with it); NULL after an error line. */
const char **profile_paths(char **args, int *npaths);

#endif
