/* The subcommands, one builtin per file (perf's builtin-<cmd>.c). */
#ifndef NUMAMMA_COMMANDS_H
#define NUMAMMA_COMMANDS_H

int cmd_profile(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stat(int argc, char **argv);

/* Usage texts, defined once: -h prints them and tests/t0101-docs.sh
 * checks that man/numamma.1 documents every option they name. */
extern const char profile_usage[];
extern const char run_usage[];
extern const char report_usage[];
extern const char advise_usage[];
extern const char stat_usage[];

#endif
