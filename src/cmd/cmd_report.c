/* numamma report: prints what a profile says, section by section, as
 * aligned plain-text tables.  Everything comes from SQL over the schema of
 * doc/schema.md, so what the report shows a user can also query. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "error.h"
#include "options.h"
#include "report.h"

const char report_usage[] =
	"usage: numamma report [OPTIONS] [FILE]\n"
	"\n"
	"Summarizes the profile FILE (default numamma.db): the run, the largest\n"
	"objects, the allocation call sites, the threads and, when the profile has\n"
	"memory-access samples, the most accessed objects with their local/remote\n"
	"split and access pattern, and the threads that share memory.\n"
	"\n"
	"  -n, --top N     rows per section (default 10)\n"
	"      --pid PID   only the objects, call sites, threads and samples of PID\n"
	"  -h, --help      print this help and exit\n";

#define DEFAULT_TOP 10

struct report {
	struct nm_db *db;
	FILE *out;
	int top;
	int64_t pid;            /* 0: every process */
};

/* A plain-text table: cells are collected row by row, then printed with
 * each column as wide as its widest cell. */
struct column {
	const char *header;
	char align;             /* 'l' or 'r' */
};

struct table {
	const struct column *cols;
	int ncols;
	char **cells;           /* row-major */
	size_t ncells, cap;
};

static void table_cell(struct table *t, const char *fmt, ...) NM_PRINTF(2, 3);

static void table_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *cell;

	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	if (t->ncells == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->ncells++] = cell;
}

static void print_row(const struct table *t, FILE *out, const char *const *cells, const int *width)
{
	fputs(" ", out);
	for (int c = 0; c < t->ncols; c++) {
		int last = c == t->ncols - 1;

		if (t->cols[c].align == 'r')
			fprintf(out, " %*s", width[c], cells[c]);
		else
			fprintf(out, " %-*s", last ? 0 : width[c], cells[c]);
	}
	fputs("\n", out);
}

/* Prints and empties the table; headers are left out when cols have none,
 * and an empty table with headers says "none". */
static void table_print(struct table *t, FILE *out)
{
	int width[t->ncols];
	const char *headers[t->ncols];

	for (int c = 0; c < t->ncols; c++) {
		headers[c] = t->cols[c].header ? t->cols[c].header : "";
		width[c] = strlen(headers[c]);
	}
	for (size_t i = 0; i < t->ncells; i++) {
		int w = strlen(t->cells[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	if (t->cols[0].header && !t->ncells) {
		fputs("  none\n", out);
		return;
	}
	if (t->cols[0].header)
		print_row(t, out, headers, width);
	for (size_t i = 0; i + t->ncols <= t->ncells; i += t->ncols)
		print_row(t, out, (const char *const *)&t->cells[i], width);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

#define TABLE(columns) { .cols = columns, .ncols = sizeof(columns) / sizeof(columns[0]) }

/* "512 B", "1.5 MiB". */
static const char *human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static const char *human_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, len, "%.3f s", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
	return buf;
}

#define SIZE(bytes) human_size((char[32]){ 0 }, 32, (bytes))

/* Prepares sql and binds its :pid and :top parameters, where it has them. */
static sqlite3_stmt *query(struct report *r, const char *sql)
{
	sqlite3_stmt *st = db_prepare(r->db, sql);
	int i;

	if ((i = sqlite3_bind_parameter_index(st, ":pid")))
		sqlite3_bind_int64(st, i, r->pid);
	if ((i = sqlite3_bind_parameter_index(st, ":top")))
		sqlite3_bind_int(st, i, r->top);
	return st;
}

/* The first value of a one-row query with one int64 parameter ?1. */
static int64_t query_int(struct report *r, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = query(r, sql);
	int64_t v = 0;

	if (sqlite3_bind_parameter_index(st, "?1"))
		sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *text(sqlite3_stmt *st, int col, const char *unknown)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? s : unknown;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Where a call site is, for a person: the first frame with debug info
 * (the program's own code, as system libraries ship without it), else
 * the allocator's caller.  "main (app.c:42)", "main+0x1a" or
 * "libfoo.so+0x1234" depending on what symbolisation found. */
static char *describe_callsite(struct report *r, int64_t callsite_id)
{
	sqlite3_stmt *st;
	char *where;

	if (!callsite_id)
		return xstrdup("-");
	st = query(r, "SELECT f.function, f.func_offset, f.file, f.line,"
		   " coalesce((SELECT m.path FROM modules m WHERE m.module = f.module LIMIT 1), f.module),"
		   " f.offset"
		   " FROM frames f WHERE f.callsite_id = ?1"
		   " ORDER BY f.file IS NULL, f.function IS NULL, f.depth LIMIT 1");
	sqlite3_bind_int64(st, 1, callsite_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		where = xstrdup("-");
	else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		where = xasprintf("%s (%s:%d)", text(st, 0, "?"), basename_of(text(st, 2, "")),
				  sqlite3_column_int(st, 3));
	else if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		where = xasprintf("%s+%#" PRIx64, text(st, 0, ""), (uint64_t)sqlite3_column_int64(st, 1));
	else
		where = xasprintf("%s+%#" PRIx64, basename_of(text(st, 4, "?")),
				  (uint64_t)sqlite3_column_int64(st, 5));
	sqlite3_finalize(st);
	return where;
}

/* Prints a section: its title, then its table. */
static void print_section(struct report *r, const char *title, struct table *t)
{
	fprintf(r->out, "\n%s\n", title);
	table_print(t, r->out);
}

static void cell_int64(struct table *t, sqlite3_stmt *st, int col)
{
	table_cell(t, "%" PRId64, (int64_t)sqlite3_column_int64(st, col));
}

static void cell_size(struct table *t, sqlite3_stmt *st, int col)
{
	table_cell(t, "%s", SIZE(sqlite3_column_int64(st, col)));
}

/* A summary row: label, then the count that sql returns. */
static void count_row(struct report *r, struct table *t, const char *label, const char *sql)
{
	table_cell(t, "%s", label);
	table_cell(t, "%" PRId64, query_int(r, sql, 0));
}

static void describe_exit(struct table *t, sqlite3_stmt *run)
{
	int has_end = sqlite3_column_type(run, 1) != SQLITE_NULL;

	table_cell(t, "exit");
	if (sqlite3_column_type(run, 3) != SQLITE_NULL) {
		int sig = sqlite3_column_int(run, 3);

		table_cell(t, "killed by signal %d (%s)", sig, strsignal(sig));
	} else if (sqlite3_column_type(run, 2) != SQLITE_NULL) {
		table_cell(t, "status %d", sqlite3_column_int(run, 2));
	} else {
		table_cell(t, has_end ? "unknown" : "unknown: the profile was not finished");
	}
}

static void describe_topology(struct report *r, struct table *t)
{
	sqlite3_stmt *st = query(r, "SELECT node, cpus FROM nodes ORDER BY node");
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, "%snode %d (cpus %s)", n++ ? ", " : "", sqlite3_column_int(st, 0),
			*text(st, 1, "") ? text(st, 1, "") : "none");
	sqlite3_finalize(st);
	fclose(f);
	if (n) {
		table_cell(t, "topology");
		table_cell(t, "%d node%s: %s", n, n == 1 ? "" : "s", buf);
	}
	free(buf);
}

static void describe_objects(struct report *r, struct table *t)
{
	sqlite3_stmt *st = query(r, "SELECT kind, count(*) FROM objects GROUP BY kind"
				 " ORDER BY count(*) DESC, kind");
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	int64_t total = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(f, "%s%" PRId64 " %s", total ? ", " : "", (int64_t)sqlite3_column_int64(st, 1),
			text(st, 0, "?"));
		total += sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	fclose(f);
	table_cell(t, "objects");
	table_cell(t, total ? "%" PRId64 ": %s" : "%" PRId64, total, buf);
	free(buf);
}

static const struct column summary_cols[] = { { NULL, 'l' }, { NULL, 'l' } };

static void report_run(struct report *r)
{
	struct table t = TABLE(summary_cols);
	char when[64] = "";
	sqlite3_stmt *run = query(r, "SELECT start_ns, end_ns, exit_status, term_signal,"
				  " command, mode, host, kernel, start_epoch, sampler, sampler_reason"
				  " FROM runs ORDER BY id LIMIT 1");

	if (sqlite3_step(run) != SQLITE_ROW) {
		fprintf(r->out, "Run\n  no run recorded: numamma stopped before the program started\n");
		sqlite3_finalize(run);
		return;
	}
	fprintf(r->out, "Run (%s)\n", text(run, 5, "?"));
	table_cell(&t, "command");
	table_cell(&t, "%s", text(run, 4, "?"));
	table_cell(&t, "host");
	table_cell(&t, "%s (Linux %s)", text(run, 6, "?"), text(run, 7, "?"));
	if (sqlite3_column_type(run, 8) != SQLITE_NULL) {
		time_t epoch = sqlite3_column_int64(run, 8);

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&epoch));
		table_cell(&t, "started");
		table_cell(&t, "%s", when);
	}
	if (sqlite3_column_type(run, 1) != SQLITE_NULL) {
		table_cell(&t, "duration");
		table_cell(&t, "%s", human_duration((char[32]){ 0 }, 32,
			   sqlite3_column_int64(run, 1) - sqlite3_column_int64(run, 0)));
	}
	describe_exit(&t, run);
	table_cell(&t, "sampler");
	if (sqlite3_column_type(run, 10) != SQLITE_NULL)
		table_cell(&t, "%s: %s", text(run, 9, "none"), text(run, 10, ""));
	else
		table_cell(&t, "%s", text(run, 9, "none"));
	sqlite3_finalize(run);
	describe_topology(r, &t);
	count_row(r, &t, "processes", "SELECT count(*) FROM processes");
	count_row(r, &t, "threads", "SELECT count(*) FROM threads");
	describe_objects(r, &t);
	count_row(r, &t, "samples", "SELECT count(*) FROM samples");
	table_print(&t, r->out);
}

static const struct column object_cols[] = {
	{ "ID", 'r' }, { "KIND", 'l' }, { "SIZE", 'r' }, { "TID", 'r' }, { "NAME", 'l' },
	{ "ALLOCATED AT", 'l' },
};

/* Mappings are left out: code and libraries would crowd out the
 * program's own data. */
static void report_objects(struct report *r)
{
	struct table t = TABLE(object_cols);
	sqlite3_stmt *st = query(r, "SELECT id, kind, size, tid, name, callsite_id FROM objects"
				 " WHERE kind <> 'mapping' AND (:pid = 0 OR pid = :pid)"
				 " ORDER BY size DESC, id LIMIT :top");

	while (sqlite3_step(st) == SQLITE_ROW) {
		char *where = describe_callsite(r, sqlite3_column_int64(st, 5));

		cell_int64(&t, st, 0);
		table_cell(&t, "%s", text(st, 1, "?"));
		cell_size(&t, st, 2);
		table_cell(&t, "%d", sqlite3_column_int(st, 3));
		table_cell(&t, "%s", text(st, 4, "-"));
		table_cell(&t, "%s", where);
		free(where);
	}
	sqlite3_finalize(st);
	print_section(r, "Largest objects", &t);
}

static const struct column callsite_cols[] = {
	{ "CALLSITE", 'r' }, { "COUNT", 'r' }, { "TOTAL", 'r' }, { "MAX", 'r' }, { "WHERE", 'l' },
};

static void report_callsites(struct report *r)
{
	struct table t = TABLE(callsite_cols);
	sqlite3_stmt *st = query(r, "SELECT callsite_id, count(*), sum(size), max(size) FROM objects"
				 " WHERE callsite_id IS NOT NULL AND (:pid = 0 OR pid = :pid)"
				 " GROUP BY callsite_id ORDER BY sum(size) DESC, callsite_id LIMIT :top");

	while (sqlite3_step(st) == SQLITE_ROW) {
		char *where = describe_callsite(r, sqlite3_column_int64(st, 0));

		cell_int64(&t, st, 0);
		cell_int64(&t, st, 1);
		cell_size(&t, st, 2);
		cell_size(&t, st, 3);
		table_cell(&t, "%s", where);
		free(where);
	}
	sqlite3_finalize(st);
	print_section(r, "Allocation call sites", &t);
}

static const struct column thread_cols[] = {
	{ "PID", 'r' }, { "TID", 'r' }, { "RANK", 'r' }, { "ALLOCS", 'r' }, { "BYTES", 'r' },
	{ "SAMPLES", 'r' },
};

/* Allocations are what the thread asked for: heap blocks and mmaps. */
static void report_threads(struct report *r)
{
	struct table t = TABLE(thread_cols);
	sqlite3_stmt *st = query(r,
		"SELECT t.pid, t.tid, t.rank, coalesce(a.n, 0), coalesce(a.bytes, 0), coalesce(s.n, 0)"
		" FROM threads t"
		" LEFT JOIN (SELECT tid, count(*) AS n, sum(size) AS bytes FROM objects"
		"            WHERE kind IN ('heap', 'mmap') GROUP BY tid) a ON a.tid = t.tid"
		" LEFT JOIN (SELECT tid, count(*) AS n FROM samples GROUP BY tid) s ON s.tid = t.tid"
		" WHERE :pid = 0 OR t.pid = :pid"
		" ORDER BY 5 DESC, 6 DESC, t.pid, t.rank LIMIT :top");

	while (sqlite3_step(st) == SQLITE_ROW) {
		table_cell(&t, "%d", sqlite3_column_int(st, 0));
		table_cell(&t, "%d", sqlite3_column_int(st, 1));
		table_cell(&t, "%d", sqlite3_column_int(st, 2));
		cell_int64(&t, st, 3);
		cell_size(&t, st, 4);
		cell_int64(&t, st, 5);
	}
	sqlite3_finalize(st);
	print_section(r, "Threads", &t);
}

/* What the samples say about how threads use object id.  Disjoint page
 * ranges per thread is the partitioned-array case that first-touch or
 * per-thread placement serves well; "shared read" objects can be
 * replicated or interleaved; lines written by several threads hint at
 * false sharing. */
static const char *access_pattern(struct report *r, int64_t id, int threads,
				  int64_t reads, int64_t writes)
{
	if (query_int(r, "SELECT count(*) FROM line_writers WHERE object_id = ?1 AND writers >= 2", id))
		return "false sharing suspect";
	if (threads < 2)
		return "one thread";
	if (!query_int(r, "WITH span AS (SELECT tid, min(page) AS lo, max(page) AS hi"
		       "   FROM object_page_thread WHERE object_id = ?1 GROUP BY tid)"
		       " SELECT count(*) FROM span a JOIN span b"
		       " ON a.tid < b.tid AND a.lo <= b.hi AND b.lo <= a.hi", id))
		return "each thread its own block";
	if (!query_int(r, "SELECT count(*) FROM (SELECT page FROM object_page_thread"
		       " WHERE object_id = ?1 GROUP BY page HAVING count(*) > 1)", id))
		return "threads interleave pages";
	/* Mostly reads: under one write in ten samples. */
	if (writes * 10 < reads + writes)
		return "shared read";
	return "shared read-write";
}

/* Remote accesses among the samples whose cpu node and page node are
 * both known: "25%", or "-" when none are. */
static char *remote_share(struct report *r, int64_t id)
{
	sqlite3_stmt *st = query(r, "SELECT count(*), sum(node <> page_node) FROM samples"
				 " WHERE object_id = ?1 AND node IS NOT NULL AND page_node IS NOT NULL");
	char *share;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_step(st);
	if (sqlite3_column_int64(st, 0))
		share = xasprintf("%.0f%%", 100.0 * sqlite3_column_int64(st, 1) / sqlite3_column_int64(st, 0));
	else
		share = xstrdup("-");
	sqlite3_finalize(st);
	return share;
}

static const struct column hot_cols[] = {
	{ "ID", 'r' }, { "KIND", 'l' }, { "SIZE", 'r' }, { "SAMPLES", 'r' }, { "WRITES", 'r' },
	{ "REMOTE", 'r' }, { "THREADS", 'r' }, { "PATTERN", 'l' }, { "NAME", 'l' },
};

static void report_hot_objects(struct report *r)
{
	struct table t = TABLE(hot_cols);
	sqlite3_stmt *st = query(r,
		"SELECT o.id, o.kind, o.size, sum(ot.samples), sum(ot.reads), sum(ot.writes),"
		" count(DISTINCT ot.tid), o.name"
		" FROM object_thread ot JOIN objects o ON o.id = ot.object_id"
		" WHERE :pid = 0 OR o.pid = :pid"
		" GROUP BY o.id ORDER BY 4 DESC, o.id LIMIT :top");

	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), samples = sqlite3_column_int64(st, 3);
		int64_t reads = sqlite3_column_int64(st, 4), writes = sqlite3_column_int64(st, 5);
		int threads = sqlite3_column_int(st, 6);
		char *remote = remote_share(r, id);

		table_cell(&t, "%" PRId64, id);
		table_cell(&t, "%s", text(st, 1, "?"));
		cell_size(&t, st, 2);
		table_cell(&t, "%" PRId64, samples);
		table_cell(&t, "%.0f%%", samples ? 100.0 * writes / samples : 0.0);
		table_cell(&t, "%s", remote);
		table_cell(&t, "%d", threads);
		table_cell(&t, "%s", access_pattern(r, id, threads, reads, writes));
		table_cell(&t, "%s", text(st, 7, "-"));
		free(remote);
	}
	sqlite3_finalize(st);
	print_section(r, "Most accessed objects", &t);
}

static const struct column sharing_cols[] = {
	{ "TID A", 'r' }, { "TID B", 'r' }, { "SHARED PAGES", 'r' }, { "SHARED LINES", 'r' },
};

static void report_sharing(struct report *r)
{
	struct table t = TABLE(sharing_cols);
	sqlite3_stmt *st = query(r,
		"SELECT tid_a, tid_b, shared_pages, shared_lines FROM thread_sharing ts"
		" WHERE :pid = 0 OR EXISTS (SELECT 1 FROM threads t WHERE t.tid = ts.tid_a AND t.pid = :pid)"
		" ORDER BY shared_pages DESC, shared_lines DESC, tid_a, tid_b LIMIT :top");

	while (sqlite3_step(st) == SQLITE_ROW)
		for (int c = 0; c < 4; c++)
			cell_int64(&t, st, c);
	sqlite3_finalize(st);
	print_section(r, "Threads sharing memory", &t);
}

static const struct column placement_cols[] = {
	{ "ID", 'r' }, { "KIND", 'l' }, { "SIZE", 'r' }, { "PAGES", 'r' }, { "ON INTENDED", 'r' },
	{ "UNTOUCHED", 'r' }, { "SKIPPED", 'r' }, { "NODES", 'l' }, { "RULE", 'l' },
};

/* `numamma run -o`: where the placed objects' pages landed, the worst
 * placed first, objects never touched last. */
static void report_placement(struct report *r)
{
	struct table t = TABLE(placement_cols);
	sqlite3_stmt *st;

	if (!query_int(r, "SELECT count(*) FROM sqlite_master WHERE name = 'placement'", 0))
		return;
	st = query(r, "SELECT p.object_id, o.kind, p.size, p.pages, p.present, p.on_intended,"
		   " p.absent, p.skipped, p.nodes, p.rule FROM placement p"
		   " LEFT JOIN objects o ON o.id = p.object_id"
		   " WHERE :pid = 0 OR p.pid = :pid"
		   " ORDER BY p.present = 0, CAST(p.on_intended AS REAL) / max(p.present, 1),"
		   " p.size DESC LIMIT :top");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t present = sqlite3_column_int64(st, 4), on = sqlite3_column_int64(st, 5);

		cell_int64(&t, st, 0);
		table_cell(&t, "%s", text(st, 1, "?"));
		cell_size(&t, st, 2);
		cell_int64(&t, st, 3);
		if (present)
			table_cell(&t, "%.1f%%", 100.0 * on / present);
		else
			table_cell(&t, "-");
		cell_int64(&t, st, 6);
		cell_int64(&t, st, 7);
		table_cell(&t, "%s", text(st, 8, "-"));
		table_cell(&t, "%s", text(st, 9, ""));
	}
	sqlite3_finalize(st);
	print_section(r, "Placement (numamma run)", &t);
}

/* A profile whose writer stopped before db_aggregate() has samples but
 * no aggregates; build them when the file lets us. */
static int have_aggregates(struct report *r)
{
	if (query_int(r, "SELECT count(*) FROM object_thread", 0) ||
	    !query_int(r, "SELECT count(*) FROM samples WHERE object_id IS NOT NULL", 0))
		return 1;
	if (sqlite3_db_readonly(db_sqlite(r->db), "main")) {
		warning("'%s' has no aggregates and is read-only: access sections left out",
			sqlite3_db_filename(db_sqlite(r->db), "main"));
		return 0;
	}
	db_aggregate(r->db);
	return 1;
}

static void report_all(struct report *r)
{
	report_run(r);
	report_objects(r);
	report_callsites(r);
	report_threads(r);
	report_placement(r);
	if (!query_int(r, "SELECT count(*) FROM samples WHERE :pid = 0 OR pid = :pid", 0) ||
	    !have_aggregates(r))
		return;
	report_hot_objects(r);
	report_sharing(r);
}

/* A positive decimal number, or -1. */
static int64_t parse_positive(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	return v;
}

enum { OPT_PID = 256 };

static const struct option report_options[] = {
	{ "top", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_report(int argc, char **argv)
{
	struct report r = { .out = stdout, .top = DEFAULT_TOP };
	const char *path = "numamma.db";
	int64_t v;
	int opt;

	/* optind 0 makes getopt start over: cmd_report may run twice in a
	 * process (tests). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:h", report_options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if ((v = parse_positive(optarg)) < 0 || v > INT32_MAX)
				return usage_error("report", "invalid --top '%s'", optarg);
			r.top = v;
			break;
		case OPT_PID:
			if ((v = parse_positive(optarg)) < 0)
				return usage_error("report", "invalid --pid '%s'", optarg);
			r.pid = v;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		default:
			return option_error("report", opt, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("report", "one profile at a time, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	r.db = db_open(path);
	if (!r.db)
		return NM_EXIT_FAILURE;
	report_all(&r);
	db_close(r.db);
	return 0;
}
