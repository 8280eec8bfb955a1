/* numamma report: the human-readable summary of a profile database. */
#ifndef NUMAMMA_REPORT_H
#define NUMAMMA_REPORT_H

/* The text "numamma report -h" prints; the man page quotes it. */
extern const char report_usage[];

/* Returns the exit status: 0, or NM_EXIT_FAILURE after one error line. */
int cmd_report(int argc, char **argv);

#endif
