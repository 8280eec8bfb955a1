/* The sampler options profile and run share (-s, --period, --frequency,
 * --ldlat): one table, one parser, one help text. */
#ifndef NUMAMMA_SAMPLER_OPTIONS_H
#define NUMAMMA_SAMPLER_OPTIONS_H

#include "sampler.h"

/* getopt_long codes of the long-only ones; a command's own codes stay
 * below OPT_SAMPLER_FIRST. */
enum { OPT_SAMPLER_FIRST = 1024, OPT_PERIOD = OPT_SAMPLER_FIRST, OPT_FREQUENCY, OPT_LDLAT };

/* Entries for a command's struct option table. */
#define SAMPLER_LONG_OPTIONS \
	{ "sampler", required_argument, NULL, 's' }, \
	{ "period", required_argument, NULL, OPT_PERIOD }, \
	{ "frequency", required_argument, NULL, OPT_FREQUENCY }, \
	{ "ldlat", required_argument, NULL, OPT_LDLAT }

#define SAMPLER_USAGE \
"  -s, --sampler NAME     auto, pebs, ibs, clock, watch, pagefault or none\n" \
"                         (default auto: the first that works, in that order)\n" \
"      --period N         sample period (events between samples; clock: ns\n" \
"                         of the thread's cpu time)\n" \
"      --frequency HZ     clock: samples per second of each thread's cpu\n" \
"                         time (default 1000)\n" \
"      --ldlat CYCLES     pebs: load latency threshold (default 30)\n"

/* Takes option c ('s' or one of the codes above) into o: 1 when it was
 * one of them, 0 when not; dies (exit 125) on a bad value. */
int sampler_option(const char *cmd, int c, const char *arg, struct sampler_opts *o);

#endif
