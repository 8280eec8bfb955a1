/* Option parsing shared by the subcommands: numbers, with one-line errors. */
#ifndef NUMAMMA_OPTIONS_H
#define NUMAMMA_OPTIONS_H

#include <stdint.h>
#include <sys/types.h>

/* Each dies (exit 125) with "numamma: CMD: invalid --OPT 'ARG'" when arg
 * is not a number in range. */
uint64_t opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max);
double opt_seconds(const char *cmd, const char *opt, const char *arg);
pid_t opt_pid(const char *cmd, const char *arg);
/* For getopt's '?': the bad option was already named by getopt. */
_Noreturn void usage_error(const char *cmd);
/* Shell-quotes argv into one string (the command line stored in runs). */
char *join_command(char **argv);

#endif
