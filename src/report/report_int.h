/* What the files building report sections share (src/report/ only). */
#ifndef NUMAMMA_REPORT_INT_H
#define NUMAMMA_REPORT_INT_H

#include "json.h"
#include "report.h"

struct ctx {
	const struct prof_run *run;
	const struct report_opts *opts;
	struct report *rep;
	pid_t *pid_tids;        /* with --pid: the tids of its threads, sorted */
	size_t npid_tids;
};

/* Columns without a null text (their cells are never unknown). */
#define LEFT(n) { .name = n, .align = 'l' }
#define RIGHT(n) { .name = n, .align = 'r' }
/* Columns whose unknown cells read t; percents with d decimals. */
#define NULLS(n, a, t) { .name = n, .align = a, .null_text = t }
#define PERCENT(n, d, t) { .name = n, .align = 'r', .decimals = d, .null_text = t }
/* An id the text leaves out, null when unknown. */
#define DATA(n) { .name = n, .align = 'r', .data_only = true }
#define CODE(n) { .name = n, .align = 'l', .code = true }

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* A row of select_rows()'s array, in a comparator. */
#define ROW(type, x) ((const type *)*(const void *const *)(x))

typedef int (*keep_fn)(const struct ctx *c, const void *row);

int want_pid(const struct ctx *c, pid_t pid);
size_t top_n(const struct ctx *c, size_t n);
const void **select_rows(const struct ctx *c, const void *rows, size_t nrows, size_t size,
			 keep_fn keep, int (*order)(const void *, const void *), size_t *n);
const char *basename_of(const char *path);
/* The depth of cs's frame to show (-1: none), and that frame: a stack's
 * frames share their locations, a recursive one's several depths one. */
int shown_depth(const struct prof_run *run, const struct prof_callsite *cs);
const struct prof_frame *shown_frame(const struct prof_run *run, const struct prof_callsite *cs);
char *describe_callsite(const struct prof_run *run, int64_t callsite_id);
/* An object's name for a person (NULL: none): a C++ or Rust static's
 * demangled; the profile and policies keep the symbol, which they match. */
char *object_name(const struct prof_object *o);
const char *kind_text(int kind);
/* What the samples say about how threads use an object: "one thread",
 * "each thread its own block", "false sharing suspect"... */
const char *access_pattern(const struct prof_access *a);

/* --object: the one object, in a key/value table (src/report/object.c). */
void section_object(struct ctx *c);

/* Objects matched across runs by call stack or static symbol, summed per
 * key (src/report/match.c). */
struct site_match {
	char *key;
	const struct prof_run *run;
	int64_t callsite_id;        /* 0: a static */
	const char *name;
	uint64_t objects, bytes, samples, located, remote, weight;
};
/* The run's matches (objects of --pid), sorted by key; *n of them. */
struct site_match *site_matches(const struct ctx *c, const struct prof_run *run, size_t *n);
/* "function (file:line)" of the call site, or "NAME (static)". */
char *site_where(const struct site_match *m);
void site_matches_free(struct site_match *m, size_t n);

/* The call-site section (src/report/callsites.c). */
void section_callsites(struct ctx *c);
/* The tables of report_opts.detail, after the others (src/report/detail.c). */
void report_build_detail(struct ctx *c);

#endif
