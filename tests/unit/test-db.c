/* The profile database: schema round trip, aggregates, rotation to .old,
 * crash safety, open errors, and numamma report over a known profile. */
#include <fcntl.h>
#include <ftw.h>
#include <link.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "elfsyms.h"
#include "hash.h"
#include "../../src/store/db_int.h"
#include "error.h"
#include "commands.h"
#include "profile.h"
#include "unit.h"

#define PAGE 4096

static char tmpdir[] = "/tmp/numamma-test-db.XXXXXX";

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	fputs(content, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 1 << 20);

	if (f) {
		buf[fread(buf, 1, (1 << 20) - 1, f)] = 0;
		fclose(f);
	}
	return buf;
}

/* Runs fn with stdout and stderr sent to files; returns what fn returned
 * and the two outputs (caller frees). */
static int captured(int (*fn)(void *arg), void *arg, char **out, char **err)
{
	char *out_path = tmp_path("stdout"), *err_path = tmp_path("stderr");
	int saved_out = dup(1), saved_err = dup(2), ret;

	fflush(stdout);
	fflush(stderr);
	dup2(open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
	dup2(open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
	ret = fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	*out = read_file(out_path);
	*err = read_file(err_path);
	free(out_path);
	free(err_path);
	return ret;
}

/* One int64 from SQL; -1 when the row or the value is missing. */
static int64_t sql_int(struct nm_db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int64_t v = -1;

	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text value from SQL, in a static buffer; "(null)" for NULL. */
static const char *sql_text(struct nm_db *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *st = db_prepare(db, sql);

	snprintf(buf, sizeof(buf), "(none)");
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	}
	sqlite3_finalize(st);
	return buf;
}

/* Two nodes of two cpus each. */
static int cpu_node[] = { 0, 0, 1, 1 };
static int distance[] = { 10, 21, 21, 10 };
static int node_ids[] = { 0, 1 };
static const struct nm_topology topo = {
	.nr_nodes = 2, .nr_cpus = 4, .cpu_node = cpu_node, .distance = distance, .node_ids = node_ids,
};

enum { PID = 100, MAIN_TID = 100, TID_A = 101, TID_B = 102 };
enum { BIG = 1, SMALL = 2, COUNTER = 3, LIBC_MAP = 4 };
#define BIG_ADDR 0x10000000ULL
#define SMALL_ADDR 0x20000000ULL
#define COUNTER_ADDR 0x5000ULL

static void add_object(struct nm_db *db, int64_t id, pid_t tid, enum obj_kind kind, uint64_t addr,
		       uint64_t size, int64_t callsite, const char *name)
{
	struct nm_object o = {
		.id = id, .pid = PID, .tid = tid, .kind = kind, .addr = addr, .size = size,
		.alloc_ns = 1000 + id, .callsite_id = callsite, .name = name,
	};

	db_add_object(db, &o);
}

static const uint64_t object_addr[] = { [BIG] = BIG_ADDR, [SMALL] = SMALL_ADDR,
					 [COUNTER] = COUNTER_ADDR };

static void add_sample(struct nm_db *db, pid_t tid, int cpu, uint64_t addr, char access,
		       int64_t object, int page_node)
{
	struct nm_sample s = {
		.time_ns = 2000, .pid = PID, .tid = tid, .cpu = cpu, .node = cpu_node[cpu],
		.addr = addr, .ip = 0x401000, .access = access, .weight = 3,
		.level = LVL_LOCAL_RAM, .hops = 0, .tlb_miss = 0, .object_id = object,
		.object_addr = object_addr[object], .page_node = page_node, .phys_addr = 0x1234000,
	};

	db_add_sample(db, &s);
}

/* Accesses with a known shape:
 * - BIG (1 MiB): TID_A writes pages 0-9 from node 0, TID_B pages 128-137
 *   from node 1; every page lives on node 0, so TID_B's are remote.
 * - SMALL: MAIN_TID and TID_A both read its two pages.
 * - COUNTER: one cache line written by TID_A and TID_B. */
static void add_samples(struct nm_db *db)
{
	struct nm_sample unknown = {
		.time_ns = 3000, .pid = PID, .tid = MAIN_TID, .cpu = -1, .node = -1,
		.addr = 0x7f0000000000, .access = ACCESS_UNKNOWN, .weight = 1,
		.hops = -1, .tlb_miss = -1, .page_node = -1,
	};

	for (int page = 0; page < 10; page++) {
		add_sample(db, TID_A, 0, BIG_ADDR + page * PAGE + 8, ACCESS_WRITE, BIG, 0);
		add_sample(db, TID_B, 2, BIG_ADDR + (128 + page) * PAGE + 8, ACCESS_WRITE, BIG, 0);
	}
	for (int i = 0; i < 4; i++) {
		add_sample(db, MAIN_TID, 1, SMALL_ADDR + (i % 2) * PAGE, ACCESS_READ, SMALL, 0);
		add_sample(db, TID_A, 0, SMALL_ADDR + (i % 2) * PAGE + 64, ACCESS_READ, SMALL, 0);
	}
	add_sample(db, TID_A, 0, COUNTER_ADDR, ACCESS_WRITE, COUNTER, 0);
	add_sample(db, TID_B, 3, COUNTER_ADDR + 8, ACCESS_WRITE, COUNTER, 0);
	db_add_sample(db, &unknown);
}

static void write_profile(const char *path)
{
	struct nm_frame alloc_a[] = { { "buildid:ab12", "/bin/app", 0x1100, 0x401100, 0 },
				      { "buildid:ab12", "/bin/app", 0x1200, 0x401200, 0 } };
	/* The same stack seen again: other strings, other ips. */
	struct nm_frame again[] = { { xstrdup("buildid:ab12"), NULL, 0x1100, 0x999, 0 },
				    { xstrdup("buildid:ab12"), NULL, 0x1200, 0x998, 0 } };
	struct nm_frame alloc_b[] = { { "buildid:ab12", "/bin/app", 0x1100, 0x401100, 0 },
				      { "/lib/libc.so.6", "/lib/libc.so.6", 0x2300, 0x7f0002300, 0 } };
	struct nm_run_info run = {
		.command = "app --threads 2", .mode = "profile", .host = "testhost",
		.kernel = "6.1.0", .sampler = "pagefault", .sampler_reason = "no PMU",
		.start_ns = 1000, .start_epoch = 1700000000, .call_depth = 8, .topo = &topo,
	};
	struct nm_db *db = db_create(path, true);
	uint64_t objects, samples;
	int64_t cs_a, cs_b;

	CHECK(db != NULL);
	if (!db)
		exit(unit_done());
	CHECK_INT(db_begin_run(db, &run), 1);
	db_add_process(db, PID, 1, "/bin/app", 1000);
	db_add_thread(db, PID, MAIN_TID, 0, 1000);
	db_add_thread(db, PID, TID_A, 1, 1100);
	db_add_thread(db, PID, TID_B, 2, 1200);
	db_add_module(db, PID, "buildid:ab12", "/bin/app", 0x400000, 0x500000, 0x400000);
	cs_a = db_intern_callsite(db, alloc_a, 2);
	cs_b = db_intern_callsite(db, alloc_b, 2);
	CHECK(cs_a > 0 && cs_b > 0 && cs_a != cs_b);
	CHECK_INT(db_intern_callsite(db, again, 2), cs_a);
	/* A module's name hashed ahead by the frame's maker: the same stack. */
	again[0].module_key = again[1].module_key = hash_module_name("buildid:ab12");
	CHECK_INT(db_intern_callsite(db, again, 2), cs_a);
	CHECK_INT(db_intern_callsite(db, alloc_a, 1), cs_b + 1);   /* a prefix is another stack */
	CHECK_INT(db_intern_callsite(db, alloc_a, 0), 0);
	free((char *)again[0].module);
	free((char *)again[1].module);

	add_object(db, BIG, MAIN_TID, OBJ_HEAP, BIG_ADDR, 1 << 20, cs_a, "malloc");
	add_object(db, SMALL, TID_A, OBJ_HEAP, SMALL_ADDR, 2 * PAGE, cs_b, "calloc");
	add_object(db, COUNTER, MAIN_TID, OBJ_STATIC, COUNTER_ADDR, 64, 0, "counter");
	add_object(db, LIBC_MAP, MAIN_TID, OBJ_MAPPING, 0x7f0000000000, 2 << 20, 0, "/lib/libc.so.6");
	add_samples(db);
	db_free_object(db, SMALL, 5000);
	db_add_sampler_stat(db, TID_A, "lost", 7);
	db_set_meta(db, "example_key", "1");
	db_set_meta(db, "example_key", "0");
	db_flush(db);
	/* Each thread's calls: main's a small block more than its object
	 * (counted, no row), TID_A's its object, TID_B none. */
	db_end_thread(db, PID, TID_A, 6000, &(struct db_thread_calls){ 1, 0, 8192 });
	db_end_thread(db, PID, MAIN_TID, 0, &(struct db_thread_calls){ 2, 1, (1 << 20) + 64 });
	db_threads_without_calls(db);
	db_end_process(db, PID, 7000, 0, 0);
	db_add_process(db, 200, PID, "/bin/child", 7100);
	db_end_process(db, 200, 7200, -1, 9);
	db_end_run(db, 1000 + 1500000000ULL, 0, 0);
	db_aggregate(db);
	/* The closing summary's figures: the rows the report counts. */
	db_totals(db, &objects, &samples);
	CHECK_INT(objects, 4);
	CHECK_INT(samples, 31);
	db_close(db);
}

static void check_tables(struct nm_db *db)
{
	CHECK_INT(sql_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	CHECK_STR(sql_text(db, "SELECT command FROM runs"), "app --threads 2");
	CHECK_STR(sql_text(db, "SELECT cpu_nodes FROM runs"), "0:0,1:0,2:1,3:1");
	CHECK_STR(sql_text(db, "SELECT distances FROM runs"), "10 21 21 10");
	CHECK_INT(sql_int(db, "SELECT end_ns - start_ns FROM runs"), 1500000000);
	CHECK_INT(sql_int(db, "SELECT exit_status FROM runs"), 0);
	CHECK_INT(sql_int(db, "SELECT term_signal FROM runs"), -1);
	CHECK_STR(sql_text(db, "SELECT cpus FROM nodes WHERE node = 1"), "2-3");
	CHECK_INT(sql_int(db, "SELECT distance FROM node_distance WHERE from_node = 0 AND to_node = 1"), 21);
	CHECK_INT(sql_int(db, "SELECT end_ns FROM processes WHERE pid = 100"), 7000);
	CHECK_INT(sql_int(db, "SELECT exit_status FROM processes WHERE pid = 100"), 0);
	CHECK_INT(sql_int(db, "SELECT exit_status FROM processes WHERE pid = 200"), -1);
	CHECK_INT(sql_int(db, "SELECT term_signal FROM processes WHERE pid = 200"), 9);
	CHECK_INT(sql_int(db, "SELECT ppid FROM processes WHERE pid = 200"), PID);
	CHECK_INT(sql_int(db, "SELECT end_ns FROM threads WHERE tid = 101"), 6000);
	CHECK_INT(sql_int(db, "SELECT end_ns FROM threads WHERE tid = 102"), -1);
	/* Each thread's calls: one ended, one running on, one with none. */
	CHECK_STR(sql_text(db, "SELECT group_concat(allocations || '/' || frees || '/' || bytes, ' ')"
			       " FROM (SELECT * FROM threads ORDER BY tid)"), "2/1/1048640 1/0/8192 0/0/0");
	CHECK_INT(sql_int(db, "SELECT rank FROM threads WHERE tid = 102"), 2);

	/* Interning: three stacks, frames written once per stack. */
	CHECK_INT(sql_int(db, "SELECT count(*) FROM callsites"), 3);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM frames"), 5);
	CHECK_INT(sql_int(db, "SELECT offset FROM frames WHERE callsite_id = 1 AND depth = 1"), 0x1200);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM frames WHERE function IS NOT NULL"), 0);

	CHECK_STR(sql_text(db, "SELECT kind FROM objects WHERE id = 3"), "static");
	CHECK_STR(sql_text(db, "SELECT kind FROM objects WHERE id = 4"), "mapping");
	CHECK_INT(sql_int(db, "SELECT free_ns FROM objects WHERE id = 2"), 5000);
	CHECK_INT(sql_int(db, "SELECT free_ns FROM objects WHERE id = 1"), -1);
	CHECK_INT(sql_int(db, "SELECT callsite_id FROM objects WHERE id = 3"), -1);
	CHECK_INT(sql_int(db, "SELECT address FROM objects WHERE id = 1"), BIG_ADDR);

	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples"), 31);
	CHECK_STR(sql_text(db, "SELECT level FROM samples WHERE object_id = 1"), "local-ram");
	CHECK_STR(sql_text(db, "SELECT access FROM samples WHERE object_id = 2"), "R");
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE object_id IS NULL AND cpu IS NULL"
		  " AND node IS NULL AND page_node IS NULL AND level IS NULL AND hops IS NULL"
		  " AND tlb_miss IS NULL AND phys_addr IS NULL AND ip IS NULL AND access = '?'"), 1);
	CHECK_INT(sql_int(db, "SELECT value FROM sampler_stats WHERE tid = 101 AND name = 'lost'"), 7);
	CHECK_STR(sql_text(db, "SELECT value FROM meta WHERE key = 'example_key'"), "0");
}

static void check_aggregates(struct nm_db *db)
{
	CHECK_INT(sql_int(db, "SELECT samples FROM object_thread WHERE object_id = 1 AND tid = 101"), 10);
	CHECK_INT(sql_int(db, "SELECT writes FROM object_thread WHERE object_id = 1 AND tid = 102"), 10);
	CHECK_INT(sql_int(db, "SELECT reads FROM object_thread WHERE object_id = 2 AND tid = 100"), 4);
	CHECK_INT(sql_int(db, "SELECT weight FROM object_thread WHERE object_id = 2 AND tid = 100"), 12);
	CHECK_INT(sql_int(db, "SELECT min(page) || max(page) FROM object_page_thread"
		  " WHERE object_id = 1 AND tid = 102"), 128137);
	CHECK_INT(sql_int(db, "SELECT samples FROM object_node WHERE object_id = 1 AND node = 1"), 10);
	CHECK_INT(sql_int(db, "SELECT samples FROM object_page_node WHERE object_id = 1 AND page_node = 0"), 20);
	/* MAIN_TID and TID_A share SMALL's two pages, TID_A and TID_B the
	 * counter's page and line; MAIN_TID reads other lines than TID_A. */
	CHECK_INT(sql_int(db, "SELECT shared_pages FROM thread_sharing WHERE tid_a = 100 AND tid_b = 101"), 2);
	CHECK_INT(sql_int(db, "SELECT shared_lines FROM thread_sharing WHERE tid_a = 100 AND tid_b = 101"), 0);
	CHECK_INT(sql_int(db, "SELECT shared_lines FROM thread_sharing WHERE tid_a = 101 AND tid_b = 102"), 1);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM thread_sharing WHERE tid_a >= tid_b"), 0);
	CHECK_INT(sql_int(db, "SELECT writers FROM line_writers WHERE object_id = 3"), 2);
	CHECK_STR(sql_text(db, "SELECT tids FROM line_writers WHERE object_id = 3"), "101,102");
	CHECK_INT(sql_int(db, "SELECT address FROM line_writers WHERE object_id = 3"), COUNTER_ADDR);
	CHECK_INT(sql_int(db, "SELECT max(writers) FROM line_writers WHERE object_id = 1"), 1);
}

static void test_round_trip(void)
{
	char *path = tmp_path("p.db"), *journal = tmp_path("p.db-journal");
	struct nm_db *db;

	write_profile(path);
	CHECK(!exists(journal));
	db = db_open(path);
	CHECK(db != NULL);
	if (db) {
		check_tables(db);
		check_aggregates(db);
		/* Aggregating again rebuilds, it does not add. */
		db_aggregate(db);
		check_aggregates(db);
		CHECK_INT(sql_int(db, "SELECT count(*) FROM object_thread"), 6);
		db_close(db);
	}
	CHECK(!exists(journal));
	free(journal);
	free(path);
}

struct report_args {
	int argc;
	char *argv[8];
};

static int call_report(void *arg)
{
	struct report_args *a = arg;

	return cmd_report(a->argc, a->argv);
}

#define REPORT(out, err, ...) ({ \
	struct report_args a_ = { .argv = { "report", __VA_ARGS__ } }; \
	while (a_.argv[a_.argc]) \
		a_.argc++; \
	captured(call_report, &a_, out, err); \
})

/* Whether some line of report, its runs of blanks squeezed to one space,
 * contains want: compares cells, not column widths. */
static int has_row(const char *report, const char *want)
{
	char *squeezed = xstrdup(report), *q = squeezed;
	int found;

	for (const char *p = report; *p; p++)
		if (*p != ' ' || (q > squeezed && q[-1] != ' ' && q[-1] != '\n'))
			*q++ = *p;
	*q = 0;
	found = strstr(squeezed, want) != NULL;
	free(squeezed);
	return found;
}

/* A serially initialised array: MAIN_TID writes every 8th of its 64
 * pages (a sweep across both blocks), then TID_A writes pages 0-31 and
 * TID_B pages 32-63; on page 8, main's write and TID_A's share a line.
 * The sweep is left out of the pattern, and its line with a worker is
 * no false sharing: the workers' blocks are what the report says. */
static void test_serial_init_line(void)
{
	char *path = tmp_path("serial.db"), *out, *err;
	struct nm_run_info run = {
		.command = "init", .mode = "profile", .host = "testhost", .kernel = "6.1.0",
		.sampler = "clock", .sampler_reason = "", .start_ns = 1000, .start_epoch = 1700000000,
		.call_depth = 8, .topo = &topo,
	};
	struct nm_db *db = db_create(path, true);

	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_INT(db_begin_run(db, &run), 1);
	db_add_process(db, PID, 1, "/bin/app", 1000);
	db_add_thread(db, PID, MAIN_TID, 0, 1000);
	db_add_thread(db, PID, TID_A, 1, 1100);
	db_add_thread(db, PID, TID_B, 2, 1200);
	add_object(db, BIG, MAIN_TID, OBJ_HEAP, BIG_ADDR, 64 * PAGE, 0, "malloc");
	for (int page = 0; page < 64; page += 8)
		add_sample(db, MAIN_TID, 1, BIG_ADDR + page * PAGE + 16, ACCESS_WRITE, BIG, 0);
	for (int page = 0; page < 32; page++)
		for (int k = 0; k < 4; k++) {
			add_sample(db, TID_A, 0, BIG_ADDR + page * PAGE + 8 + 512 * k, ACCESS_WRITE,
				   BIG, 0);
			add_sample(db, TID_B, 2, BIG_ADDR + (32 + page) * PAGE + 8 + 512 * k,
				   ACCESS_WRITE, BIG, 0);
		}
	db_end_process(db, PID, 7000, 0, 0);
	db_end_run(db, 1000 + 1500000000ULL, 0, 0);
	db_aggregate(db);
	CHECK_STR(sql_text(db, "SELECT tids FROM line_writers WHERE writers = 2"), "100,101");
	db_close(db);
	CHECK_INT(REPORT(&out, &err, path, NULL), 0);
	CHECK(has_row(out, " 3 each thread its own block malloc"));
	CHECK(!strstr(out, "false sharing"));
	free(out);
	free(err);
	free(path);
}

static void test_report(void)
{
	char *path = tmp_path("p.db"), *out, *err;

	CHECK_INT(REPORT(&out, &err, path, NULL), 0);
	CHECK_STR(err, "");
	CHECK(has_row(out, "command app --threads 2\n"));
	CHECK(has_row(out, "duration 1.500 s\n"));
	CHECK(has_row(out, "sampler pagefault: no PMU\n"));
	CHECK(has_row(out, "topology 2 nodes: node 0 (cpus 0-1), node 1 (cpus 2-3)\n"));
	CHECK(has_row(out, "objects 4: 2 heap, 1 mapping, 1 static\n"));
	/* Largest objects, mappings left out; unsymbolised frames show as
	 * module+offset. */
	CHECK(has_row(out, "\n1 heap 1.0 MiB 100 malloc app+0x1100\n2 heap 8.0 KiB 101 calloc app+0x1100\n"
		      "3 static 64 B 100 counter -\n"));
	CHECK(!strstr(out, "libc"));
	/* Call sites: id, count, total, max, peak, live at the end. */
	CHECK(has_row(out, "\n1 1 1.0 MiB 1.0 MiB 1.0 MiB 1.0 MiB app+0x1100\n"));
	/* Threads: pid, tid, rank, allocations (every call), bytes, samples. */
	CHECK(has_row(out, "\n100 100 0 2 1.0 MiB 5\n100 101 1 1 8.0 KiB 15\n100 102 2 0 0 B 11\n"));
	/* Hot objects: samples, writes, remote share, threads, pattern, call site. */
	CHECK(has_row(out, "\n1 heap 1.0 MiB 20 100% 50% 2 each thread its own block malloc app+0x1100\n"));
	CHECK(has_row(out, "\n2 heap 8.0 KiB 8 0% 0% 2 shared read calloc app+0x1100\n"));
	CHECK(has_row(out, "\n3 static 64 B 2 100% 50% 2 false sharing suspect counter -\n"));
	/* Sharing pairs, most pages first. */
	CHECK(has_row(out, "\n100 101 2 0\n101 102 1 1\n"));
	free(out);
	free(err);

	CHECK_INT(REPORT(&out, &err, "-n", "1", path, NULL), 0);
	CHECK(strstr(out, "1.0 MiB") != NULL);
	CHECK(strstr(out, "8.0 KiB") == NULL);
	free(out);
	free(err);

	CHECK_INT(REPORT(&out, &err, "--pid", "999", path, NULL), 0);
	CHECK(strstr(out, "malloc") == NULL);
	free(out);
	free(err);

	CHECK_INT(REPORT(&out, &err, "--top", "abc", path, NULL), NM_EXIT_FAILURE);
	CHECK(strstr(err, "numamma: report: invalid --top 'abc'\n") == err);
	free(out);
	free(err);

	CHECK_INT(REPORT(&out, &err, "--frobnicate", path, NULL), NM_EXIT_FAILURE);
	CHECK(strstr(err, "unknown option '--frobnicate'") != NULL);
	CHECK(strstr(err, "numamma report --help") != NULL);
	free(out);
	free(err);

	CHECK_INT(REPORT(&out, &err, "-h", NULL), 0);
	CHECK_STR(out, report_usage);
	free(out);
	free(err);
	free(path);
}

static void test_report_bad_files(void)
{
	char *missing = tmp_path("missing.db"), *text = tmp_path("text.db"), *out, *err;

	CHECK_INT(REPORT(&out, &err, missing, NULL), NM_EXIT_FAILURE);
	CHECK_STRF(err, "numamma: cannot open '%s': No such file or directory\n", missing);
	free(out);
	free(err);

	write_file(text, "this is not a database, it is a text file long enough to tell\n");
	CHECK_INT(REPORT(&out, &err, text, NULL), NM_EXIT_FAILURE);
	CHECK(strstr(err, "not a numamma profile") != NULL);
	CHECK(strchr(err, '\n') == err + strlen(err) - 1);
	free(out);
	free(err);
	free(missing);
	free(text);
}

static int open_db(void *path)
{
	struct nm_db *db = db_open(path);

	db_close(db);
	return db != NULL;
}

static void test_wrong_version(void)
{
	char *path = tmp_path("future.db"), *out, *err;
	sqlite3 *sql;

	sqlite3_open(path, &sql);
	sqlite3_exec(sql, "CREATE TABLE runs(id); PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(sql);
	CHECK_INT(captured(open_db, path, &out, &err), 0);
	CHECK_STRF(err, "numamma: '%s': newer schema (version 99): this numamma reads version %d\n"
		   "numamma: hint: read it with the numamma that wrote it, or a newer one\n",
		   path, DB_SCHEMA_VERSION);
	free(out);
	free(err);
	free(path);
}

/* A profile of an earlier schema: numamma's tables, an older version. */
static void test_older_version(void)
{
	char *path = tmp_path("past.db"), *out, *err;
	sqlite3 *sql;

	sqlite3_open(path, &sql);
	sqlite3_exec(sql, "CREATE TABLE runs(id); CREATE TABLE processes(pid);"
		     " CREATE TABLE threads(tid); CREATE TABLE objects(id);"
		     " CREATE TABLE callsites(id); CREATE TABLE samples(ip);"
		     " CREATE TABLE meta(key); PRAGMA user_version = 1", NULL, NULL, NULL);
	sqlite3_close(sql);
	CHECK_INT(captured(open_db, path, &out, &err), 0);
	CHECK_STRF(err, "numamma: '%s': profile schema version 1, this numamma reads version %d\n"
		   "numamma: hint: read it with the numamma that wrote it\n", path, DB_SCHEMA_VERSION);
	free(out);
	free(err);
	free(path);
}

static void test_rotation(void)
{
	char *path = tmp_path("rot.db"), *old = tmp_path("rot.db.old"), *content;
	struct nm_db *db;

	write_file(path, "previous profile\n");
	write_file(old, "older profile\n");
	db = db_create(path, true);
	CHECK(db != NULL);
	db_close(db);
	content = read_file(old);
	CHECK_STR(content, "previous profile\n");
	free(content);
	db = db_open(path);
	CHECK(db != NULL);
	db_close(db);
	free(path);
	free(old);
}

static int create_in_missing_dir(void *path)
{
	struct nm_db *db = db_create(path, true);

	db_close(db);
	return db != NULL;
}

static void test_create_errors(void)
{
	char *dir = tmp_path("nodir"), *path = tmp_path("nodir/p.db"), *out, *err;

	CHECK_INT(captured(create_in_missing_dir, path, &out, &err), 0);
	CHECK_STRF(err, "numamma: cannot create '%s': No such file or directory\n", path);
	CHECK(!exists(dir));
	free(out);
	free(err);
	free(path);
	free(dir);
}

/* The objects of a database's schema, in one string. */
static char *schema_of(sqlite3 *sql)
{
	sqlite3_stmt *st;
	char *all = xstrdup(""), *next;

	CHECK_INT(sqlite3_prepare_v2(sql, "SELECT type, name, tbl_name, sql FROM sqlite_master"
				     " ORDER BY type, name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		next = xasprintf("%s%s %s %s %s\n", all, sqlite3_column_text(st, 0),
				 sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
				 sqlite3_column_text(st, 3));
		free(all);
		all = next;
	}
	sqlite3_finalize(st);
	return all;
}

static int user_version(sqlite3 *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	CHECK_INT(sqlite3_prepare_v2(sql, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A new profile is the build's image of the schema (db_create() copies
 * it): it must hold what the SQL creates, at DB_SCHEMA_VERSION.  A schema
 * changed without the image made again would fail here. */
static void test_schema_image(void)
{
	char *path = tmp_path("image.db"), *want, *got;
	sqlite3 *fresh, *created;
	struct nm_db *db;

	CHECK_INT(sqlite3_open(":memory:", &fresh), SQLITE_OK);
	CHECK_INT(sqlite3_exec(fresh, db_schema_sql, NULL, NULL, NULL), SQLITE_OK);
	want = schema_of(fresh);
	CHECK(strstr(want, "table objects objects CREATE TABLE objects(") != NULL);
	db = db_create(path, true);
	CHECK(db != NULL);
	db_close(db);
	CHECK_INT(sqlite3_open_v2(path, &created, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	got = schema_of(created);
	CHECK_STR(got, want);
	CHECK_INT(user_version(created), DB_SCHEMA_VERSION);
	sqlite3_close(created);
	sqlite3_close(fresh);
	free(got);
	free(want);
	free(path);
}

/* The writer dies with a committed batch and a bigger uncommitted one
 * (spilled to the file, so a hot journal is left): the reader must see
 * exactly the committed rows. */
static void test_crash(void)
{
	char *path = tmp_path("crash.db");
	struct nm_db *db;
	int status;
	pid_t child = fork();

	if (child == 0) {
		db = db_create(path, true);
		if (!db)
			_exit(2);
		db_add_thread(db, PID, MAIN_TID, 0, 1000);
		db_flush(db);
		db_exec(db, "PRAGMA cache_size = 10");
		for (int i = 0; i < 5000; i++)
			add_sample(db, MAIN_TID, 0, BIG_ADDR + i * 64, ACCESS_READ, 0, 0);
		db_add_thread(db, PID, TID_A, 1, 1100);
		_exit(1);
	}
	waitpid(child, &status, 0);
	CHECK_INT(WEXITSTATUS(status), 1);
	db = db_open(path);
	CHECK(db != NULL);
	if (db) {
		CHECK_INT(sql_int(db, "SELECT count(*) FROM threads"), 1);
		CHECK_INT(sql_int(db, "SELECT count(*) FROM samples"), 0);
		CHECK_INT(sql_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
		db_close(db);
	}
	free(path);
}

/* A function of this program for db_symbolize() to find. */
__attribute__((noinline)) int symbolize_target(int x)
{
	return x * 3 + 1;
}

/* The main program comes first in the loader's list. */
static int main_program_bias(struct dl_phdr_info *info, size_t size, void *bias)
{
	*(uint64_t *)bias = info->dlpi_addr;
	return 1;
}

static void test_symbolize(void)
{
	char *path = tmp_path("sym.db"), *exe = realpath("/proc/self/exe", NULL), *out, *err;
	uint64_t bias = 0;
	/* The module as the tracer names it: this program's build. */
	struct elf_module *self = elfmod_open(exe);
	struct nm_frame frames[2] = { { .module = self ? elfmod_identity(self) : "buildid:self" },
				      { .module = "buildid:gone", .offset = 0x10 } };
	struct nm_db *db = db_create(path, true);
	struct nm_object obj = { .id = 1, .pid = PID, .kind = OBJ_HEAP, .size = 100, .name = "malloc" };

	CHECK(self != NULL);
	dl_iterate_phdr(main_program_bias, &bias);
	frames[0].offset = (uintptr_t)symbolize_target + 1 - bias;
	db_add_module(db, PID, frames[0].module, exe, 0, 0, bias);
	obj.callsite_id = db_intern_callsite(db, frames, 2);
	db_add_object(db, &obj);
	db_symbolize(db);
	CHECK_STR(sql_text(db, "SELECT function FROM frames WHERE depth = 0"), "symbolize_target");
	CHECK_INT(sql_int(db, "SELECT func_offset FROM frames WHERE depth = 0"), 1);
	CHECK_STR(sql_text(db, "SELECT function FROM frames WHERE depth = 1"), "(null)");
	/* file:line needs the -g of the default CFLAGS. */
	CHECK_INT(sql_int(db, "SELECT file IS NULL OR (file LIKE '%/test-db.c' AND line > 0)"
			  " FROM frames WHERE depth = 0"), 1);
	db_close(db);
	CHECK_INT(REPORT(&out, &err, path, NULL), 0);
	CHECK(has_row(out, " malloc symbolize_target (test-db.c:") ||
	      has_row(out, " malloc symbolize_target+0x1\n"));
	free(out);
	free(err);
	free(exe);
	free(path);
	if (self)
		elfmod_close(self);
}

/* The store's hooks: files are read in the background; "/bin/app" is
 * read by the time its locations are written, "/lib/late.so" not. */
static int opened_calls;

static void fake_opened(void *arg, const char *path, const char *module)
{
	opened_calls++;
}

static void fake_name(void *arg, const char *path, const char *module, uint64_t offset,
		      struct db_location_name *out)
{
	if (!strcmp(path, "/bin/app"))
		*out = (struct db_location_name){ .function = xasprintf("fn_%" PRIx64, offset), .func_offset = 2 };
}

/* Locations whose module is read when their rows are written are stored
 * named; the others, name-less for db_symbolize(). */
static void test_named_while_running(void)
{
	static const struct db_module_hooks hooks = { .opened = fake_opened, .name = fake_name };
	char *path = tmp_path("named.db");
	struct nm_frame frames[] = {
		{ .module = "buildid:ab12", .path = "/bin/app", .offset = 0x1100 },
		{ .module = "buildid:cd34", .path = "/lib/late.so", .offset = 0x2200 },
	};
	struct nm_db *db = db_create(path, true);

	CHECK(db != NULL);
	if (!db)
		return;
	/* Without on_map, a module mapped is not read until a stack shows it. */
	db_on_new_module(db, &hooks, NULL, false);
	db_add_module(db, MAIN_TID, "buildid:ef56", "/lib/mapped.so", 0x1000, 0x2000, 0);
	CHECK_INT(opened_calls, 0);
	CHECK(db_intern_callsite(db, frames, 2) > 0);
	CHECK_INT(opened_calls, 2);
	db_on_new_module(db, &hooks, NULL, true);
	db_add_module(db, MAIN_TID, "buildid:ef56", "/lib/mapped.so", 0x1000, 0x2000, 0);
	CHECK_INT(opened_calls, 3);
	db_flush(db);
	CHECK_STR(sql_text(db, "SELECT function FROM frames WHERE depth = 0"), "fn_1100");
	CHECK_INT(sql_int(db, "SELECT func_offset FROM frames WHERE depth = 0"), 2);
	CHECK_STR(sql_text(db, "SELECT function FROM frames WHERE depth = 1"), "(null)");
	CHECK_INT(sql_int(db, "SELECT func_offset IS NULL FROM frames WHERE depth = 1"), 1);
	db_close(db);
	free(path);
}

/* A page of the objects table overwritten: the profile must be refused
 * (by db_open's quick check, or by the reader at the damaged row), never
 * read as the rows before it. */
static void test_corrupt_rows(void)
{
	char *path = tmp_path("corrupt.db");
	struct nm_run_info run = { .command = "prog", .mode = "profile", .topo = &topo,
				   .launcher_rank = 2, .launcher_size = 3, .job_id = "j42" };
	const char *paths[] = { path, path };
	struct nm_db *db = db_create(path, true);
	struct profile prof;
	char junk[8192];
	FILE *f;

	db_begin_run(db, &run);
	for (int64_t id = 1; id <= 20000; id++)
		add_object(db, id, MAIN_TID, OBJ_HEAP, BIG_ADDR + 64 * id, 64, 0, "malloc");
	db_close(db);
	/* Several profiles, one run each (the same file twice here). */
	CHECK_INT(profile_load(&prof, paths, 2, 0), 0);
	CHECK_INT((int)prof.nruns, 2);
	CHECK_INT((int)prof.runs[1].nobjects, 20000);
	CHECK_INT(prof.runs[1].run.launcher_rank, 2);
	CHECK_INT(prof.runs[1].run.launcher_size, 3);
	CHECK_STR(prof.runs[1].run.job_id, "j42");
	profile_free(&prof);
	memset(junk, 0xff, sizeof(junk));
	f = fopen(path, "r+b");
	fseek(f, 256 * 1024, SEEK_SET);
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	CHECK_INT(profile_load(&prof, paths, 1, 0), -1);
	CHECK_INT((int)prof.nruns, 0);
	free(path);
}

/* Samples are written in multi-row batches: full batches, the rest
 * written by the flush, and a batch cut by a commit must all land, each
 * field in its own row (every 7th sample has unknowns, as NULLs). */
static void test_sample_batches(void)
{
	char *path = tmp_path("batches.db");
	struct nm_db *db = db_create(path, true);
	const int n = 1000 + 37;

	CHECK(db != NULL);
	if (!db)
		return;
	for (int i = 0; i < n; i++) {
		bool unknown = i % 7 == 0;
		struct nm_sample s = {
			.time_ns = 5000 + i, .pid = PID, .tid = 100 + i % 3, .cpu = unknown ? -1 : i % 4,
			.node = unknown ? -1 : i % 2, .addr = unknown ? 0 : BIG_ADDR + 64 * i,
			.ip = 0x401000 + i, .access = i % 2 ? ACCESS_READ : i % 3 ? ACCESS_WRITE : 0,
			.weight = i, .level = unknown ? LVL_UNKNOWN : LVL_LOCAL_RAM, .hops = unknown ? -1 : 0,
			.snoop_hitm = i % 5 == 0, .tlb_miss = unknown ? -1 : 1,
			.object_id = unknown ? 0 : 1 + i % 9, .page_node = unknown ? -1 : 1,
			.resolution = i % 2 ? "forward" : NULL, .forward_steps = i % 2 ? 1 + i % 4 : 0,
		};

		db_add_sample(db, &s);
		if (i == 500)
			db_flush(db);
	}
	db_flush(db);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples"), n);
	CHECK_INT(sql_int(db, "SELECT sum(time_ns - 5000 = weight AND ip - 0x401000 = weight"
			  " AND tid = 100 + weight % 3) FROM samples"), n);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE weight % 7 = 0 AND cpu IS NULL"
			  " AND node IS NULL AND address IS NULL AND level IS NULL AND hops IS NULL"
			  " AND tlb_miss IS NULL AND object_id IS NULL AND page_node IS NULL"), (n + 6) / 7);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE weight % 7 <> 0 AND cpu = weight % 4"
			  " AND node = weight % 2 AND address = 0x10000000 + 64 * weight"
			  " AND level = 'local-ram' AND hops = 0 AND tlb_miss = 1"
			  " AND object_id = 1 + weight % 9 AND page_node = 1"), n - (n + 6) / 7);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE access = CASE WHEN weight % 2 THEN 'R'"
			  " WHEN weight % 3 THEN 'W' ELSE '?' END"), n);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE snoop_hitm = (weight % 5 = 0)"), n);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE weight % 2 AND resolution = 'forward'"
			  " AND forward_steps = 1 + weight % 4"), n / 2);
	CHECK_INT(sql_int(db, "SELECT count(*) FROM samples WHERE weight % 2 = 0 AND resolution IS NULL"
			  " AND forward_steps IS NULL"), n - n / 2);
	db_close(db);
	free(path);
}

/* The GROUP BY queries db_aggregate() replaced: the specification of
 * each aggregate table, row order included. */
static const char *const reference_sql[][2] = {
	{ "object_thread", "SELECT object_id, pid, tid, count(*), sum(access = 'R'),"
	  " sum(access = 'W'), sum(weight) FROM samples WHERE object_id IS NOT NULL"
	  " GROUP BY object_id, pid, tid" },
	{ "object_page_thread", "SELECT s.object_id, (s.address - o.address) / 4096, s.tid, count(*)"
	  " FROM samples s JOIN objects o ON o.id = s.object_id WHERE s.address IS NOT NULL"
	  " GROUP BY 1, 2, 3" },
	{ "object_node", "SELECT object_id, node, count(*) FROM samples"
	  " WHERE object_id IS NOT NULL AND node IS NOT NULL GROUP BY 1, 2" },
	{ "object_page_node", "SELECT object_id, page_node, count(*) FROM samples"
	  " WHERE object_id IS NOT NULL AND page_node IS NOT NULL GROUP BY 1, 2" },
	{ "thread_sharing", "WITH lines AS (SELECT DISTINCT pid, tid, address / 64 AS k FROM samples"
	  "   WHERE address IS NOT NULL),"
	  " pages AS (SELECT DISTINCT pid, tid, k / 64 AS k FROM lines),"
	  " page_pairs AS (SELECT a.tid AS ta, b.tid AS tb, count(*) AS n FROM pages a"
	  "   JOIN pages b ON a.pid = b.pid AND a.k = b.k AND a.tid < b.tid GROUP BY 1, 2),"
	  " line_pairs AS (SELECT a.tid AS ta, b.tid AS tb, count(*) AS n FROM lines a"
	  "   JOIN lines b ON a.pid = b.pid AND a.k = b.k AND a.tid < b.tid GROUP BY 1, 2)"
	  " SELECT p.ta, p.tb, p.n, coalesce(l.n, 0) FROM page_pairs p"
	  " LEFT JOIN line_pairs l ON l.ta = p.ta AND l.tb = p.tb" },
	{ "line_writers", "SELECT line, object_id, count(*), group_concat(tid) FROM"
	  " (SELECT DISTINCT address / 64 * 64 AS line, object_id, tid FROM samples"
	  "  WHERE access = 'W' AND address IS NOT NULL ORDER BY 1, 2, 3)"
	  " GROUP BY line, object_id" },
};

/* A table's rows, in rowid order, as one string. */
static char *table_text(struct nm_db *db, const char *query)
{
	sqlite3_stmt *st = db_prepare(db, query);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			fprintf(f, "%s%s", i ? "," : "", v ? v : "NULL");
		}
		fputc('\n', f);
	}
	sqlite3_finalize(st);
	fclose(f);
	return text;
}

/* Random samples (NULLs, shared lines and pages, several processes)
 * aggregated by db_aggregate() and by the queries above: the same rows,
 * in the same order.  fed: as the writer feeds the tables, each sample as
 * it is stored; else as a profile whose writer died is rebuilt, from its
 * samples table, which holds more than a writer writes (unknown objects,
 * an object without address, NULL tids and weights, the largest id). */
static void test_aggregates(bool fed)
{
	char *path = tmp_path(fed ? "fed.db" : "aggregates.db");
	struct nm_db *db = db_create(path, true);
	unsigned seed = 12345;
	int rows = 0;

	CHECK(db != NULL);
	if (!db)
		return;
	for (int id = 1; id <= 6; id++)
		add_object(db, id, 100 + id % 3, OBJ_HEAP, BIG_ADDR + id * 16 * PAGE, 16 * PAGE,
			   0, NULL);
	if (!fed)
		db_exec(db, "UPDATE objects SET address = NULL WHERE id = 6");
	for (int i = 0; i < 3000; i++) {
		int r = rand_r(&seed);
		struct nm_sample s = {
			.time_ns = i, .pid = r % 11 ? PID : PID + 1, .tid = 100 + r % 5,
			.cpu = r % 4, .node = r % 13 ? r % 2 : -1,
			.addr = r % 17 ? BIG_ADDR + (uint64_t)(r >> 8) % (7 * 16 * PAGE) : 0,
			.access = r % 3 ? ACCESS_READ : r % 7 ? ACCESS_WRITE : ACCESS_UNKNOWN,
			.weight = r % 50, .hops = -1, .tlb_miss = -1,
			.page_node = r % 19 ? (r >> 4) % 2 : -1,
		};

		if (s.addr && r % 23)
			s.object_id = (s.addr - BIG_ADDR) / (16 * PAGE);    /* 0 (none) .. 6 */
		else if (!fed && r % 29 == 0)
			s.object_id = 99;                               /* no such object */
		if (s.object_id)
			s.object_addr = BIG_ADDR + (uint64_t)s.object_id * 16 * PAGE;
		db_add_sample(db, &s);
	}
	if (!fed) {
		/* INT64_MAX: the one value the tables' radix sort leaves to qsort. */
		db_exec(db, "UPDATE samples SET tid = NULL WHERE rowid % 97 = 0;"
			    " UPDATE samples SET weight = NULL WHERE object_id = 2;"
			    " UPDATE samples SET object_id = 9223372036854775807"
			    "  WHERE rowid % 101 = 0 AND access = 'W'");
		db_close(db);
		db = db_open(path);
		CHECK(db != NULL);
		if (!db)
			return;
	}
	db_aggregate(db);
	for (size_t t = 0; t < sizeof(reference_sql) / sizeof(*reference_sql); t++) {
		char *sql = xasprintf("SELECT * FROM %s ORDER BY rowid", reference_sql[t][0]);
		char *got = table_text(db, sql), *want = table_text(db, reference_sql[t][1]);

		if (strcmp(got, want))
			fprintf(stderr, "%s:\n--- got\n%s--- want\n%s", reference_sql[t][0], got, want);
		CHECK_STR(got, want);
		rows += strlen(got) > 0;
		free(sql);
		free(got);
		free(want);
	}
	CHECK_INT(rows, 6);     /* no table was empty */
	db_close(db);
	free(path);
}

/* --no-raw: the rows go, their count stays (runs.samples_dropped); the
 * reader counts the samples from it and each thread's from the
 * aggregates, and refuses to hand out samples it no longer has. */
static void test_no_raw(void)
{
	char *path = tmp_path("noraw.db");
	const char *paths[] = { path };
	struct nm_run_info run = { .command = "app", .mode = "profile", .topo = &topo };
	struct nm_db *db = db_create(path, true);
	uint64_t per_tid[3] = { 0 };
	struct profile prof;

	CHECK(db != NULL);
	if (!db)
		return;
	db_begin_run(db, &run);
	add_object(db, BIG, MAIN_TID, OBJ_HEAP, BIG_ADDR, 1 << 20, 0, "malloc");
	add_object(db, SMALL, TID_A, OBJ_HEAP, SMALL_ADDR, 2 * PAGE, 0, "calloc");
	add_object(db, COUNTER, MAIN_TID, OBJ_STATIC, COUNTER_ADDR, 64, 0, "counter");
	add_samples(db);
	db_end_run(db, 2000, 0, 0);
	db_aggregate(db);
	db_drop_raw_samples(db);
	db_close(db);
	CHECK_INT(profile_load(&prof, paths, 1, PROFILE_ACCESS), 0);
	CHECK_INT((int64_t)prof.runs[0].run.samples_dropped, 31);
	CHECK_INT((int64_t)prof.runs[0].total_samples, 31);
	CHECK_INT((int64_t)prof.runs[0].attributed_samples, 30);    /* all but the unknown one */
	for (size_t i = 0; i < prof.runs[0].nthread_cpus; i++) {
		const struct prof_thread_cpu *tc = &prof.runs[0].thread_cpus[i];

		CHECK_INT(tc->cpu, -1);
		CHECK_INT(tc->node, -1);
		per_tid[tc->tid == MAIN_TID ? 0 : tc->tid == TID_A ? 1 : 2] += tc->samples;
	}
	CHECK_INT((int64_t)per_tid[0], 4);
	CHECK_INT((int64_t)per_tid[1], 15);
	CHECK_INT((int64_t)per_tid[2], 11);
	profile_free(&prof);
	CHECK_INT(profile_load(&prof, paths, 1, PROFILE_SAMPLES), -1);
	free(path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	test_round_trip();
	test_report();
	test_serial_init_line();
	test_report_bad_files();
	test_wrong_version();
	test_older_version();
	test_rotation();
	test_create_errors();
	test_schema_image();
	test_crash();
	test_sample_batches();
	test_aggregates(true);
	test_aggregates(false);
	test_symbolize();
	test_named_while_running();
	test_corrupt_rows();
	test_no_raw();
	nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
