/* numamma report: a profile summarised as typed tables.
 *
 * report_build() makes the tables from the profile model; numbers stay
 * numbers (bytes, percents, durations) and only a renderer turns them
 * into text.  report_render_text() prints what `numamma report` always
 * printed; other renderers (JSON, CSV, HTML) walk the same tables. */
#ifndef NUMAMMA_REPORT_H
#define NUMAMMA_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "profile.h"

enum rtype {
	RT_NULL,      /* unknown: the column's null text */
	RT_INT,       /* i */
	RT_BYTES,     /* u: a size in bytes */
	RT_PERCENT,   /* f: 0 to 100 */
	RT_DURATION,  /* u: nanoseconds */
	RT_ADDRESS,   /* u */
	RT_TEXT,      /* s, owned by the table */
};

struct rcell {
	enum rtype type;
	union {
		int64_t i;
		uint64_t u;
		double f;
		char *s;
	};
};

struct rcolumn {
	const char *name;         /* NULL: a table without a header row */
	char align;               /* 'l' or 'r' */
	int decimals;             /* RT_PERCENT */
	const char *null_text;    /* how RT_NULL cells read */
	bool data_only;           /* an id for the data formats to join
				   * tables on: the text leaves it out */
	bool code;                /* where in the code: long C++ and Rust names
				   * shortened in the text (report_shorten_name()) */
};

struct rtable {
	const char *id;           /* the section's name in data formats: "objects" */
	char *title;
	char *note;               /* a line in place of the table, or NULL */
	const struct rcolumn *cols;
	int ncols;
	struct rcell *cells;      /* row-major */
	size_t ncells, cap;
};

struct report {
	struct rtable *tables;
	size_t ntables;
	/* The profile has samples but no aggregates, and could not get them
	 * (a read-only file): the access sections are missing. */
	bool access_left_out;
};

/* How the call-site section groups allocations: by whole call stack,
 * by the function shown for the stack, or by its source line. */
enum report_group { GROUP_STACK, GROUP_FUNCTION, GROUP_LINE };

/* The call-site section's order: most bytes allocated, most
 * allocations, highest peak of live bytes, most bytes live at the end. */
enum report_sort { SORT_BYTES, SORT_COUNT, SORT_PEAK, SORT_LIVE };

struct report_opts {
	int top;                  /* rows per table */
	int64_t pid;              /* 0: every process */
	enum report_group group;
	enum report_sort sort;
	int64_t object;           /* --object: this object alone, 0: none */
	/* The tables only data formats show: call stacks, accesses per
	 * thread, node and page, cache lines written by several threads
	 * (needs a profile read with PROFILE_DETAIL). */
	bool detail;
};

/* Building tables (src/report/table.c). */
struct rtable *report_add_table(struct report *rep, const char *id, const struct rcolumn *cols,
				int ncols, const char *title_fmt, ...)
	__attribute__((format(printf, 5, 6)));
void rtable_int(struct rtable *t, int64_t v);
void rtable_bytes(struct rtable *t, uint64_t v);
void rtable_percent(struct rtable *t, double v);
void rtable_duration(struct rtable *t, uint64_t ns);
void rtable_address(struct rtable *t, uint64_t addr);
void rtable_null(struct rtable *t);
void rtable_text(struct rtable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NULL text is a null cell. */
void rtable_str(struct rtable *t, const char *s);
/* A copy of where (a function, "function (file:line)" or
 * "function+0x1a") a person can read on a terminal: when longer than
 * limit, the function's template or generic arguments are shortened to
 * "<...>", innermost first (the outermost kept: Rust's <Type as Trait>),
 * then its parameters to "(...)".  Data formats keep the whole name. */
char *report_shorten_name(const char *where, size_t limit);
size_t rtable_rows(const struct rtable *t);
/* The cell of row in the column of this key (rcolumn_key()), or NULL. */
const struct rcell *rtable_get(const struct rtable *t, size_t row, const char *key);
void report_free(struct report *rep);

/* The sections of `numamma report` from one run of a profile read with
 * PROFILE_ACCESS (src/report/sections.c). */
void report_build(const struct prof_run *run, const struct report_opts *opts, struct report *rep);

/* The profiles of a job's ranks (several runs of prof): a row per rank
 * and the call sites matched across ranks (src/report/job.c). */
struct profile;
void report_build_job(const struct profile *prof, const struct report_opts *opts,
		      struct report *rep);

/* The table of this id, or NULL. */
const struct rtable *report_table(const struct report *rep, const char *id);

/* numamma report --diff: one table, the objects of before and after
 * matched by call site (src/report/diff.c). */
void report_build_diff(const struct prof_run *before, const struct prof_run *after,
		       const struct report_opts *opts, struct report *rep);

/* Aligned plain text, as `numamma report` prints it (src/report/text.c). */
void report_render_text(FILE *f, const struct report *rep);
/* One cell as the text renderer writes it; buf is used when needed. */
const char *rcell_text(const struct rcolumn *col, const struct rcell *c, char *buf, size_t len);

/* The key of a column in data formats: its name in lower case, spaces
 * as underscores ("LIVE AT END": "live_at_end"), "key" and "value" for a
 * table without names (src/report/table.c). */
const char *rcolumn_key(const struct rtable *t, int col, char *buf, size_t len);

/* A number cell as data formats write it (raw: bytes, ns, percents from
 * 0 to 100 with two decimals); NULL for text and unknown cells. */
const char *rcell_number(const struct rcell *c, char *buf, size_t len);

/* One JSON document of every table (src/report/json.c, doc/report-json.md). */
void report_render_json(FILE *f, const struct report *rep);
/* The table id as CSV, a header row then raw numbers; -1 after an error
 * line when the report has no such table (src/report/csv.c). */
int report_render_csv(FILE *f, const struct report *rep, const char *id);

/* One self-contained HTML page: the tables, and plots drawn from the run
 * (src/report/html.c). */
void report_render_html(FILE *f, const struct report *rep, const struct prof_run *run);

/* Folded allocation stacks ("main;work;malloc 4096"), as flamegraph.pl
 * and speedscope read them, weighted by bytes allocated or by samples in
 * the objects (src/report/collapsed.c). */
void report_render_collapsed(FILE *f, const struct prof_run *run, const struct report_opts *opts,
			     bool by_samples);

/* Chrome trace-event JSON (Perfetto, chrome://tracing): per thread, its
 * objects' lifetimes and its samples per 10 ms; run read with
 * PROFILE_SAMPLES, whose samples it sorts (src/report/trace.c). */
void report_render_trace(FILE *f, struct prof_run *run, const struct report_opts *opts);

#endif
