/* The data renderers over tables built by hand: JSON escaping and types,
 * CSV quoting and empty unknowns, column keys, data-only columns left
 * out of the text; and the call-site column skipping the C runtime. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "unit.h"

static const struct rcolumn cols[] = {
	{ .name = "ID", .align = 'r' }, { .name = "SIZE", .align = 'r' },
	{ .name = "SHARE", .align = 'r', .decimals = 1, .null_text = "?" },
	{ .name = "WHERE IT IS", .align = 'l' }, { .name = "CALLSITE", .align = 'r', .data_only = true },
};

static void build(struct report *rep)
{
	struct rtable *t;

	memset(rep, 0, sizeof(*rep));
	t = report_add_table(rep, "things", cols, 5, "Things");
	rtable_int(t, 7);
	rtable_bytes(t, 1536);
	rtable_percent(t, 12.5);
	rtable_str(t, "f \"x\", y\n");
	rtable_int(t, 3);
	rtable_int(t, 8);
	rtable_bytes(t, 10);
	rtable_null(t);
	rtable_str(t, "plain");
	rtable_null(t);
}

typedef void (*render_fn)(FILE *f, const struct report *rep);

static char *render(const struct report *rep, render_fn fn, const char *csv)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (fn)
		fn(f, rep);
	else
		CHECK_INT(report_render_csv(f, rep, csv), 0);
	fclose(f);
	return text;
}

static void test_renderers(void)
{
	struct report rep;
	char *s, buf[64];

	build(&rep);
	CHECK_STR(rcolumn_key(&rep.tables[0], 3, buf, sizeof(buf)), "where_it_is");
	s = render(&rep, report_render_text, NULL);
	CHECK_STR(s, "Things\n  ID    SIZE SHARE WHERE IT IS\n   7 1.5 KiB 12.5% f \"x\", y\n\n"
		     "   8    10 B     ? plain\n");
	free(s);
	s = render(&rep, report_render_json, NULL);
	CHECK_STR(s, "{\"format\": \"numamma-report\", \"version\": 1,\n \"sections\": {\n"
		     "  \"things\": {\"title\": \"Things\", \"note\": null, \"columns\": [\"id\", \"size\","
		     " \"share\", \"where_it_is\", \"callsite\"], \"rows\": [\n"
		     "    {\"id\": 7, \"size\": 1536, \"share\": 12.50, \"where_it_is\": \"f \\\"x\\\", y\\u000a\","
		     " \"callsite\": 3},\n"
		     "    {\"id\": 8, \"size\": 10, \"share\": null, \"where_it_is\": \"plain\", \"callsite\": null}]}\n"
		     " }\n}\n");
	free(s);
	s = render(&rep, NULL, "things");
	CHECK_STR(s, "id,size,share,where_it_is,callsite\n7,1536,12.50,\"f \"\"x\"\", y\n\",3\n8,10,,plain,\n");
	free(s);
	report_free(&rep);
}

/* run's call-site table (--pid pid; 0: all) has one row, its count,
 * total, peak and live_at_end as given (-1: not checked). */
static void check_one_site(struct prof_run *run, pid_t pid, int64_t count, int64_t total, int64_t peak,
			   int64_t live)
{
	struct report_opts opts = { .top = 5, .pid = pid };
	const struct rtable *t;
	struct report rep;

	report_build(run, &opts, &rep);
	t = report_table(&rep, "callsites");
	CHECK(t && rtable_rows(t) == 1);
	if (t && rtable_rows(t) == 1) {
		CHECK(count < 0 || rtable_get(t, 0, "count")->i == count);
		CHECK(total < 0 || (int64_t)rtable_get(t, 0, "total")->u == total);
		CHECK(peak < 0 || (int64_t)rtable_get(t, 0, "peak")->u == peak);
		CHECK(live < 0 || (int64_t)rtable_get(t, 0, "live_at_end")->u == live);
	}
	report_free(&rep);
}

/* libc6-dbg gives the runtime's frames file and line: the column still
 * names the program's function.  Peak and live-at-end bytes come from
 * the objects' lifetimes. */
static void test_callsite_column(void)
{
	static struct prof_module modules[] = {
		{ 1, "buildid:c0", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000, 0x7f8000 },
		{ 1, "buildid:ap", "/work/app", 0x400000, 0x500000 },
	};
	static struct prof_frame frames[] = {
		{ .module = "buildid:c0", .offset = 0x99, .function = "start_thread",
		  .file = "pthread_create.c", .line = 442 },
		{ .module = "buildid:ap", .offset = 0x1100, .function = "work", .file = "/src/app.c", .line = 9 },
	};
	static const struct prof_frame *stack[] = { &frames[0], &frames[1] };
	static struct prof_callsite callsites[] = { { 5, 2, stack } };
	static struct prof_object objects[] = {
		{ .id = 1, .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 100, .callsite_id = 5,
		  .alloc_ns = 10, .free_ns = 30 },
		{ .id = 2, .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 50, .callsite_id = 5,
		  .alloc_ns = 20, .free_ns = 40 },
		{ .id = 3, .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 70, .callsite_id = 5,
		  .alloc_ns = 30 },
		/* The last, a fork child's copy of object 3, only in the
		 * second part. */
		{ .id = 4, .pid = 2, .tid = 2, .kind = OBJ_HEAP, .size = 70, .callsite_id = 5,
		  .alloc_ns = 35 },
	};
	struct prof_run run = {
		.nmodules = 2, .modules = modules, .ncallsites = 1, .callsites = callsites,
		.nobjects = 3, .objects = objects,
	};
	struct report_opts opts = { .top = 5 };
	const struct rtable *t;
	struct report rep;

	report_build(&run, &opts, &rep);
	t = report_table(&rep, "callsites");
	CHECK(t && rtable_rows(t) == 1);
	if (t && rtable_rows(t) == 1) {
		CHECK_STR(rtable_get(t, 0, "where")->s, "work (app.c:9)");
		CHECK_INT((int)rtable_get(t, 0, "count")->i, 3);
		/* 100 and 50 live at once; the free at 30 comes before the
		 * allocation at 30. */
		CHECK_INT((int)rtable_get(t, 0, "peak")->u, 150);
		CHECK_INT((int)rtable_get(t, 0, "live_at_end")->u, 70);
	}
	report_free(&rep);

	/* A profile that counted every allocation (callsite_totals): its
	 * counts, not the objects kept.  Process 2, a fork child that never
	 * allocated at the site (it freed a block it inherited there: a row
	 * of frees alone), holds a copy of object 3: not live at the end of
	 * the site's calls, except with --pid 2; --pid 1 counts process 1's
	 * calls. */
	run.ncallsite_totals = 1;
	run.callsite_totals = &(struct prof_callsite_total){ .callsite_id = 5, .allocations = 10, .frees = 9,
							       .bytes = 1000, .peak_live_bytes = 600 };
	run.nsite_callers = 2;
	run.site_callers = (struct prof_site_caller[]){
		{ .pid = 1, .t = { .callsite_id = 5, .allocations = 10, .frees = 8, .bytes = 1000,
				   .peak_live_bytes = 600 } },
		{ .pid = 2, .t = { .callsite_id = 5, .frees = 1 } },
	};
	run.nobjects = 4;
	check_one_site(&run, 0, 10, 1000, 600, 70);
	check_one_site(&run, 2, -1, -1, -1, 70);
	check_one_site(&run, 1, 10, 1000, -1, -1);
}

/* Two threads writing one line of a 64-byte object, sharing its page:
 * the data formats' detail tables and the HTML page's plots. */
static void test_detail_and_html(void)
{
	static struct prof_thread threads[] = {
		{ .pid = 1, .tid = 1, .rank = 0 }, { .pid = 1, .tid = 2, .rank = 1 },
		{ .pid = 1, .tid = 3, .rank = 2 },
	};
	static struct prof_object objects[] = {
		{ .id = 4, .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x1000, .size = 64, .name = "malloc" },
	};
	static struct prof_access access[] = {
		{ .object_id = 4, .samples = 10, .reads = 2, .writes = 8, .threads = 2, .located = 10,
		  .remote = 4, .line_shared_writes = true,
		  .spans = { .workers = 2, .spans_overlap = true, .page_shared = true } },
	};
	static struct prof_sharing sharing[] = { { 2, 3, 1, 1 } };
	static struct prof_object_thread ot[] = { { 4, 2, 6, 1, 5 }, { 4, 3, 4, 1, 3 } };
	static struct prof_object_page pages[] = { { 4, 0, 2, 6 }, { 4, 0, 3, 4 } };
	static struct prof_line lines[] = { { 4, 0x1000, 2, "2,3" } };
	static struct prof_thread_cpu tc[] = { { 1, 2, 0, 0, 6 }, { 1, 3, 1, 1, 4 } };
	static struct prof_node nodes[] = { { 0, "0" }, { 1, "1" } };
	struct prof_run run = {
		.has_run = true, .run = { .command = "./fs <x>", .mode = "profile", .sampler = "watch" },
		.nnodes = 2, .nodes = nodes, .nthreads = 3, .threads = threads, .nobjects = 1,
		.objects = objects, .naccess = 1, .access = access, .nsharing = 1, .sharing = sharing,
		.nobject_threads = 2, .object_threads = ot, .nobject_pages = 2, .object_pages = pages,
		.nlines = 1, .lines = lines, .nthread_cpus = 2, .thread_cpus = tc,
		.total_samples = 10, .attributed_samples = 10,
	};
	struct report_opts opts = { .top = 5, .detail = true };
	const struct rtable *t;
	struct report rep;
	char *html = NULL;
	size_t len;
	FILE *f;

	report_build(&run, &opts, &rep);
	t = report_table(&rep, "lines");
	CHECK(t && rtable_rows(t) == 1);
	if (t && rtable_rows(t) == 1) {
		CHECK_INT((int)rtable_get(t, 0, "offset")->i, 0);
		CHECK_STR(rtable_get(t, 0, "tids")->s, "2,3");
	}
	t = report_table(&rep, "object_threads");
	CHECK(t && rtable_rows(t) == 2);
	f = open_memstream(&html, &len);
	report_render_html(f, &rep, &run);
	fclose(f);
	CHECK(strstr(html, "<title>numamma report: ./fs &lt;x&gt;</title>") != NULL);
	CHECK(strstr(html, "<b>40%</b> of the 10 samples") != NULL);
	CHECK(strstr(html, "The most remote accesses are to <b>#4 malloc (64 B)</b>: 4 remote samples,"
			   " 40% of its located ones.") != NULL);
	CHECK(strstr(html, "false sharing suspect") != NULL);
	CHECK(strstr(html, "<svg class=\"plot sharing\"") != NULL);
	CHECK(strstr(html, "<svg class=\"plot heatmap\"") != NULL);
	CHECK(strstr(html, "<table class=sort id=\"t-lines\">") != NULL);
	CHECK(strstr(html, "http") == NULL);
	free(html);
	report_free(&rep);
}

/* A recursive stack passes through one location at several depths (its
 * frames share it): the frame shown is one depth, in the data formats'
 * stacks and in the HTML page's. */
static void test_recursive_stack(void)
{
	static struct prof_frame locs[] = {
		{ .module = "buildid:ap", .offset = 0x10, .function = "xmalloc" },
		{ .module = "buildid:ap", .offset = 0x20, .function = "rec", .file = "/src/r.c", .line = 7 },
		{ .module = "buildid:ap", .offset = 0x30, .function = "main", .file = "/src/r.c", .line = 20 },
	};
	static const struct prof_frame *stack[] = { &locs[0], &locs[1], &locs[1], &locs[1], &locs[2] };
	static struct prof_callsite callsites[] = { { 3, 5, stack } };
	static struct prof_object objects[] = {
		{ .id = 1, .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x10000, .size = 1 << 20,
		  .callsite_id = 3, .name = "malloc" },
	};
	struct prof_run run = {
		.has_run = true, .run = { .command = "./rec", .mode = "profile" },
		.ncallsites = 1, .callsites = callsites, .nobjects = 1, .objects = objects,
	};
	struct report_opts opts = { .top = 5, .detail = true };
	const struct rtable *t;
	struct report rep;
	char *html = NULL, *p;
	size_t len;
	int shown = 0, bold = 0;
	FILE *f;

	report_build(&run, &opts, &rep);
	t = report_table(&rep, "stacks");
	CHECK(t && rtable_rows(t) == 5);
	for (size_t i = 0; t && i < rtable_rows(t); i++)
		if (rtable_get(t, i, "shown")->i) {
			shown++;
			CHECK_INT((int)rtable_get(t, i, "depth")->i, 1);
		}
	CHECK_INT(shown, 1);
	report_free(&rep);
	opts.object = 1;        /* the page of one object shows its stack */
	report_build(&run, &opts, &rep);
	f = open_memstream(&html, &len);
	report_render_html(f, &rep, &run);
	fclose(f);
	CHECK(strstr(html, "<h2>Call stack</h2>") != NULL);
	for (p = html; (p = strstr(p, "<li><b>")); p++)
		bold++;
	CHECK_INT(bold, 1);
	free(html);
	report_free(&rep);
}

int main(void)
{
	test_detail_and_html();
	test_recursive_stack();
	test_renderers();
	test_callsite_column();
	return unit_done();
}
