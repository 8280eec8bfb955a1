/* The recorder over the one event type: a process's life told as events
 * (start, threads, a module, allocator calls, exec, end) gives the rows a
 * profile reader finds, every call counted, and run mode's placer hears
 * of the objects made and released. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "error.h"
#include "fake-statics.h"
#include "objtrack.h"
#include "profile.h"
#include "recorder.h"
#include "unit.h"

static int objects_heard, releases_heard;

static void placer(void *ctx, const struct nm_event *ev)
{
	objects_heard += ev->kind == EV_OBJECT;
	releases_heard += ev->kind == EV_RELEASE;
}

static void tell(struct recorder *r, enum nm_event_kind kind, pid_t tid, uint64_t ns)
{
	recorder_event(r, &(struct nm_event){ .kind = kind, .pid = 100, .ppid = 1, .tid = tid,
					      .rank = tid - 100, .ns = ns, .exe = "/bin/prog" });
}

/* An allocator call of process 100, from call site 1. */
static void record_call(struct recorder *r, struct alloc_event a)
{
	a.pid = 100;
	a.callsite_id = 1;
	recorder_event(r, &(struct nm_event){ .kind = EV_ALLOC, .pid = 100, .tid = a.tid,
					      .ns = a.ns, .alloc = &a });
}

/* freed_ns: the thread's next call freed the block (one event for two). */
static void call_freed(struct recorder *r, enum alloc_op op, uint64_t addr, uint64_t size,
		       uint64_t ns, uint64_t freed_ns)
{
	record_call(r, (struct alloc_event){ .op = op, .fn = op == AE_FREE ? FN_FREE : FN_MALLOC,
					     .tid = 101, .ns = ns, .addr = addr, .size = size,
					     .freed_ns = freed_ns });
}

static void call(struct recorder *r, enum alloc_op op, uint64_t addr, uint64_t size, uint64_t ns)
{
	call_freed(r, op, addr, size, ns, 0);
}

static int count_live(void *arg, const struct nm_object *obj)
{
	(*(int *)arg)++;
	return 0;
}

/* The path's database and its -wal and -shm files, removed. */
static void remove_db(const char *path)
{
	unlink(path);
	for (const char *suffix = "-wal"; suffix; suffix = suffix[1] == 'w' ? "-shm" : NULL) {
		char *side = xasprintf("%s%s", path, suffix);

		unlink(side);
		free(side);
	}
}

/* Profile mode: a module's statics of --min-object-size and more are
 * objects at once, the others once a sample finds one; run mode (with
 * the placer) enters them all. */
static void test_statics(const char *dir, bool run_mode)
{
	char *path = xasprintf("%s/s.db", dir);
	struct objtrack *ot = objtrack_new(NULL);
	struct recorder *r = recorder_new(ot, run_mode ? &(struct recorder_hooks){ NULL, placer }
						       : NULL, 4096);
	struct nm_db *db = db_create(path, true);
	const char *paths[1] = { path };
	struct profile prof;
	int live;

	CHECK(db != NULL);
	db_begin_run(db, &(struct nm_run_info){ .command = "prog", .mode = "profile", .host = "h",
						 .kernel = "k", .sampler = "clock",
						 .sampler_reason = "" });
	objtrack_set_db(ot, db);
	recorder_set_db(r, db);
	tell(r, EV_PROCESS_START, 100, 10);
	recorder_event(r, &(struct nm_event){ .kind = EV_STATICS, .pid = 100, .ns = 11,
					      .statics = &fake_table, .bias = 0x10000 });
	live = 0;
	objtrack_foreach_live(ot, 100, count_live, &live);
	CHECK_INT(live, run_mode ? 3 : 1);
	CHECK(objtrack_lookup(ot, 100, 0x10208, 12) != NULL);     /* a sample on small_b */
	tell(r, EV_PROCESS_END, 100, 20);
	db_end_run(db, 30, 0, 0);
	db_close(db);

	CHECK_INT(profile_load(&prof, paths, 1, PROFILE_ACCESS), 0);
	/* Rows: the large one, and the sampled one. */
	CHECK_INT(prof.runs[0].nobjects, 2);
	for (size_t i = 0; i < prof.runs[0].nobjects; i++) {
		const struct prof_object *o = &prof.runs[0].objects[i];

		CHECK_INT(o->kind, OBJ_STATIC);
		CHECK(o->addr == 0x10400 ? o->size == 0x1000 && !strcmp(o->name, "large")
					 : o->addr == 0x10200 && !strcmp(o->name, "small_b"));
	}
	profile_free(&prof);
	recorder_free(r);
	objtrack_free(ot);
	remove_db(path);
	free(path);
}

/* A run begun in db, with call site 1, that ot and r write to. */
static void start_run(struct nm_db *db, struct objtrack *ot, struct recorder *r)
{
	struct nm_frame frame = { "prog", "/bin/prog", 0x1234, 0x401234, 0 };

	CHECK(db != NULL);
	db_begin_run(db, &(struct nm_run_info){ .command = "prog", .mode = "profile", .host = "h",
						 .kernel = "k", .sampler = "none",
						 .sampler_reason = "" });
	CHECK_INT(db_intern_callsite(db, &frame, 1), 1);
	objtrack_set_db(ot, db);
	recorder_set_db(r, db);
}

/* A profile being written: 4096 bytes the least block with a row. */
struct writer {
	struct nm_db *db;
	struct objtrack *ot;
	struct recorder *r;
};

static struct writer open_writer(const char *path)
{
	struct writer w = { db_create(path, true), objtrack_new(NULL), NULL };

	w.r = recorder_new(w.ot, NULL, 4096);
	start_run(w.db, w.ot, w.r);
	return w;
}

/* The call totals written, the run ended at ns, everything closed. */
static void close_writer(struct writer *w, uint64_t ns)
{
	recorder_write_totals(w->r, w->db);
	db_end_run(w->db, ns, 0, 0);
	db_close(w->db);
	recorder_free(w->r);
	objtrack_free(w->ot);
}

struct site_call {
	pid_t pid;
	int64_t site;
	bool memo;              /* through the one memo word of the test's stack */
};

/* The profile of calls (each of 100 * pid bytes) in dir: its path. */
static char *profile_calls(const char *dir, const char *name, const struct site_call *calls,
			   size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct writer w = open_writer(path);
	uint64_t memo = 0;

	for (size_t i = 0; i < n; i++) {
		pid_t pid = calls[i].pid;
		struct alloc_event a = { .op = AE_ALLOC, .fn = FN_MALLOC, .pid = pid, .tid = pid,
					 .ns = 20 + i, .addr = 0x10000 + 0x1000 * i, .size = 100 * pid,
					 .callsite_id = calls[i].site,
					 .site_memo = calls[i].memo ? &memo : NULL };

		recorder_event(w.r, &(struct nm_event){ .kind = EV_ALLOC, .pid = pid, .tid = pid,
							.ns = 20 + i, .alloc = &a });
	}
	close_writer(&w, 20 + n);
	return path;
}

/* Checks the rows of sql on the profile at path, then removes it: each
 * row's columns as want's (ncols of them). */
static void check_rows(char *path, const char *sql, const int64_t *want, size_t nrows, int ncols)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	for (size_t i = 0; i < nrows; i++) {
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		for (int c = 0; c < ncols; c++)
			CHECK_INT(sqlite3_column_int64(st, c), want[i * ncols + c]);
	}
	CHECK_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	remove_db(path);
	free(path);
}

/* Two processes' calls from one stack, through the producer's one memo
 * word (a stack is shared by the processes of a profile): each process
 * is charged its own calls, the memo naming the other's counters.  Then
 * calls without a memo: a site first called by either process, a site id
 * far past those seen (not numbered as the store numbers them), calls
 * of no known stack (0): each (site, process) its own row. */
static void test_site_memo(const char *dir)
{
	static const struct site_call calls[] = {
		{ 100, 1, true }, { 200, 1, true }, { 100, 1, true }, { 100, 1, true }, { 200, 1, true },
		{ 200, 2, false }, { 100, 2, false }, { 100, 5000, false }, { 200, 5000, false },
		{ 100, 0, false }, { 100, 5000, false }, { 200, 2, false },
	};
	/* site, pid, calls, bytes. */
	static const int64_t want[][4] = {
		{ 0, 100, 1, 10000 }, { 1, 100, 3, 30000 }, { 1, 200, 2, 40000 }, { 2, 100, 1, 10000 },
		{ 2, 200, 2, 40000 }, { 5000, 100, 2, 20000 }, { 5000, 200, 1, 20000 },
	};

	check_rows(profile_calls(dir, "m.db", calls, sizeof(calls) / sizeof(calls[0])),
		   "SELECT coalesce(callsite_id, 0), pid, allocations, bytes FROM callsite_totals"
		   " ORDER BY 1, 2", want[0], sizeof(want) / sizeof(want[0]), 4);
}

/* A site's id far past the others' at its first call, then within
 * their range once more sites were called: its calls stay on one row
 * (the reader's sums would hide a second). */
static void test_site_far_then_near(const char *dir)
{
	struct site_call calls[52] = { { 100, 1100, false } };
	static const int64_t want[] = { 51, 51, 2 };

	for (int i = 1; i < 51; i++)
		calls[i] = (struct site_call){ 100, 9 + i, false };
	calls[51] = calls[0];
	check_rows(profile_calls(dir, "f.db", calls, 52),
		   "SELECT count(*), count(DISTINCT callsite_id),"
		   " sum(allocations) FILTER (WHERE callsite_id = 1100) FROM callsite_totals",
		   want, 1, 3);
}

static void region(struct recorder *r, uint64_t addr, uint64_t size, uint64_t since_ns,
		   uint64_t seen_ns)
{
	recorder_event(r, &(struct nm_event){
		.kind = EV_REGION, .pid = 100, .ns = seen_ns,
		.object = &(struct nm_object){ .pid = 100, .tid = 100, .kind = OBJ_MAPPING,
					       .addr = addr, .size = size, .alloc_ns = since_ns,
					       .name = "[anon]" } });
}

static void mmap_call(struct recorder *r, uint64_t addr, uint64_t size, uint64_t ns)
{
	record_call(r, (struct alloc_event){ .op = AE_ALLOC, .fn = FN_MMAP, .mapped = true,
					     .tid = 100, .ns = ns, .addr = addr, .size = size });
}

/* A maps read (at 100) fell between an mmap (at 50) and its record: the
 * mapping it saw has no row, even with a commit between the read and the
 * record (objtrack_flush_settled()); a mapping from before the mmap (at
 * 150) keeps its row, as does one whose block came after a second commit.
 * (The old recorder: four rows of mappings.) */
static void test_region_seen_before_its_block(const char *dir)
{
	char *path = xasprintf("%s/m.db", dir);
	struct writer w = open_writer(path);

	tell(w.r, EV_PROCESS_START, 100, 10);
	region(w.r, 0x10000000, 4 << 20, 40, 100);
	region(w.r, 0x20000000, 4 << 20, 40, 100);
	region(w.r, 0x30000000, 4 << 20, 40, 100);
	region(w.r, 0x40000000, 4 << 20, 40, 100);
	objtrack_flush_settled(w.ot);
	mmap_call(w.r, 0x10000000, 4 << 20, 50);
	mmap_call(w.r, 0x20000000, 4 << 20, 50);
	mmap_call(w.r, 0x30000000, 4 << 20, 150);
	objtrack_flush_settled(w.ot);
	mmap_call(w.r, 0x40000000, 4 << 20, 50);
	objtrack_flush(w.ot);
	tell(w.r, EV_PROCESS_END, 100, 200);
	close_writer(&w, 200);
	check_rows(path, "SELECT kind = 'mapping', count(*), min(address) FROM objects GROUP BY 1",
		   (const int64_t[]){ 0, 4, 0x10000000, 1, 2, 0x30000000 }, 2, 3);
}

/* tid's call at ns: malloc (old 0), realloc (old its block), free (size
 * 0); freed_ns: its next call freed the block. */
static void thread_call(struct recorder *r, pid_t tid, uint64_t addr, uint64_t old,
			uint64_t size, uint64_t ns, uint64_t freed_ns)
{
	record_call(r, (struct alloc_event){ .op = size ? AE_ALLOC : AE_FREE,
					     .fn = !size ? FN_FREE : old ? FN_REALLOC : FN_MALLOC,
					     .tid = tid, .threaded = true, .ns = ns, .addr = addr,
					     .size = size, .old_addr = old, .freed_ns = freed_ns });
}

/* A realloc's record comes at its return: another thread's block at the
 * address it released may be read first.  The old block ends then, and
 * the realloc's release is its, not the new block's, whose own free
 * still finds it; a realloc of the new block by its own thread releases
 * it, and a block there meanwhile, freed by its thread's next call,
 * changes none of this; a displaced block whose realloc never came (a
 * free not seen) is counted freed, and a realloc by a thread that called
 * since does not take it.  Every block counted freed once, each thread's
 * row its own calls. */
static void test_realloc_released_late(const char *dir)
{
	char *path = xasprintf("%s/late.db", dir);
	struct writer w = open_writer(path);
	const uint64_t later = 2000000000;
	/* tid, block, the block it reallocates, size (0: a free), time, freed at. */
	const struct { pid_t tid; uint64_t addr, old, size, ns, freed_ns; } calls[] = {
		{ 101, 0x5000, 0, 64, 20, 0 },
		{ 101, 0x100000, 0, 8192, 21, 0 },
		{ 103, 0x3000, 0, 64, 24, 0 },
		{ 102, 0x5000, 0, 32, 30, 0 }, /* 101's realloc not read yet */
		{ 102, 0x3000, 0, 64, 32, 33 }, /* 103's: freed at once */
		{ 101, 0x9000, 0x5000, 128, 40, 0 },
		{ 103, 0x3100, 0x3000, 80, 42, 0 },
		{ 102, 0x100000, 0, 100, 45, 0 }, /* a small block where a large was */
		{ 101, 0x200000, 0x100000, 16384, 46, 0 },
		{ 102, 0x5000, 0, 0, 50, 0 },
		{ 102, 0x100000, 0, 0, 51, 0 },
		{ 101, 0x9000, 0, 0, 60, 0 },
		{ 101, 0x200000, 0, 0, 61, 0 },
		{ 103, 0x3100, 0, 0, 63, 0 },
		{ 101, 0xa000, 0, 5000, 90, 0 },
		{ 102, 0xa000, 0, 6000, 91, 0 },
		{ 102, 0xb000, 0xa000, 80, 92, 0 }, /* its own block */
		{ 101, 0xc000, 0xa000, 80, 93, 0 },
		{ 102, 0xb000, 0, 0, 94, 0 },
		{ 101, 0xc000, 0, 0, 95, 0 },
		{ 101, 0xd000, 0, 7000, 96, 0 },
		{ 102, 0xd000, 0, 7200, 97, 0 },
		{ 103, 0xd000, 0, 7500, 98, 0 }, /* two reallocs to come */
		{ 102, 0xe000, 0xd000, 64, 99, 0 },
		{ 101, 0xf000, 0xd000, 64, 100, 0 },
		{ 103, 0xd000, 0, 0, 101, 0 },
		{ 102, 0xe000, 0, 0, 102, 0 },
		{ 101, 0xf000, 0, 0, 103, 0 },
		{ 101, 0x7000, 0, 48, 104, 0 },
		{ 102, 0x7000, 0, 48, 110, 0 }, /* 101's free never seen */
		{ 103, 0x8800, 0, 16, 120, 0 },
		{ 103, 0x8800, 0, 0, 121, 0 },
		{ 103, 0x8000, 0x7000, 96, later, 0 },
		{ 103, 0x8000, 0, 0, later + 1, 0 },
	};

	tell(w.r, EV_PROCESS_START, 100, 10);
	for (pid_t tid = 101; tid <= 103; tid++)
		tell(w.r, EV_THREAD_START, tid, 11);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		thread_call(w.r, calls[i].tid, calls[i].addr, calls[i].old, calls[i].size, calls[i].ns,
			    calls[i].freed_ns);
	for (pid_t tid = 101; tid <= 103; tid++)
		tell(w.r, EV_THREAD_END, tid, later + 2);
	tell(w.r, EV_PROCESS_END, 100, later + 3);
	close_writer(&w, later + 3);
	/* The call site's counts, the ends of the large displaced block, of
	 * the block reallocated by its own thread and of the block freed
	 * after two reallocs of blocks before it there, the rows. */
	check_rows(path, "SELECT 0, allocations, frees FROM callsite_totals"
			 " UNION ALL SELECT 1, size, free_ns FROM objects WHERE size IN (8192, 6000, 7500)"
			 " UNION ALL SELECT tid, allocations, frees FROM threads WHERE tid != pid"
			 " ORDER BY 1, 2",
		   (const int64_t[]){ 0, 22, 22, 1, 6000, 92, 1, 7500, 101, 1, 8192, 45, 101, 9, 8,
				     102, 8, 7, 103, 5, 6 }, 7, 3);
}

int main(void)
{
	char dir[] = "/tmp/numamma-test-recorder.XXXXXX";
	char *path;
	struct nm_db *db;
	struct objtrack *ot = objtrack_new(NULL);
	struct recorder *r = recorder_new(ot, &(struct recorder_hooks){ NULL, placer }, 4096);
	struct profile prof;
	const char *paths[1];

	if (!mkdtemp(dir))
		return 77;
	path = xasprintf("%s/r.db", dir);
	db = db_create(path, true);
	start_run(db, ot, r);

	tell(r, EV_PROCESS_START, 100, 10);
	tell(r, EV_THREAD_START, 100, 11);
	tell(r, EV_THREAD_START, 101, 12);
	recorder_event(r, &(struct nm_event){
		.kind = EV_MODULE, .pid = 100, .ns = 13,
		.module = &(struct nm_module_event){ "prog", "/bin/prog", 0x400000, 0x500000, 0 } });
	call(r, AE_ALLOC, 0x10000, 64, 20);                  /* small: counted, no row */
	call(r, AE_ALLOC, 0x20000, 1 << 20, 21);             /* a row */
	call(r, AE_FREE, 0x10000, 0, 22);
	call(r, AE_FREE, 0x20000, 0, 23);
	call(r, AE_ALLOC, 0x30000, 8192, 24);                /* live at the end */
	call_freed(r, AE_ALLOC, 0x40000, 2 << 20, 25, 26);   /* a row, ended */
	call_freed(r, AE_ALLOC, 0x50000, 96, 27, 28);        /* counted only */
	tell(r, EV_THREAD_END, 101, 30);
	tell(r, EV_PROCESS_END, 100, 31);
	recorder_write_totals(r, db);
	db_end_run(db, 40, 0, 0);
	db_close(db);

	CHECK_INT(objects_heard, 3);
	CHECK_INT(releases_heard, 2);                        /* the small one has an id too */
	paths[0] = path;
	CHECK_INT(profile_load(&prof, paths, 1, PROFILE_ACCESS), 0);
	CHECK_INT(prof.runs[0].nprocesses, 1);
	CHECK_STR(prof.runs[0].processes[0].exe, "/bin/prog");
	CHECK(prof.runs[0].processes[0].ended);
	CHECK_INT(prof.runs[0].nthreads, 2);
	CHECK_INT(prof.runs[0].threads[1].tid, 101);
	/* Thread 101's calls, as callsite_totals counts them (below); 100,
	 * running on at the end, made none. */
	CHECK(prof.runs[0].threads[1].has_calls);
	CHECK_INT(prof.runs[0].threads[1].allocations, 5);
	CHECK_INT(prof.runs[0].threads[1].frees, 4);
	CHECK_INT(prof.runs[0].threads[1].bytes, 64 + (1 << 20) + 8192 + (2 << 20) + 96);
	CHECK(prof.runs[0].threads[0].has_calls);
	CHECK_INT(prof.runs[0].threads[0].allocations, 0);
	CHECK_INT(prof.runs[0].nmodules, 1);
	CHECK_INT(prof.runs[0].modules[0].start, 0x400000);
	CHECK_INT(prof.runs[0].nobjects, 3);
	CHECK_INT(prof.runs[0].objects[2].size, 2 << 20);
	CHECK_INT(prof.runs[0].objects[2].free_ns, 26);
	/* 5 blocks, 4 freed; the 2 MiB one was live alone at its peak. */
	CHECK_INT(prof.runs[0].ncallsite_totals, 1);
	if (prof.runs[0].ncallsite_totals != 1)
		return unit_done();
	CHECK_INT(prof.runs[0].callsite_totals[0].allocations, 5);
	CHECK_INT(prof.runs[0].callsite_totals[0].frees, 4);
	CHECK_INT(prof.runs[0].callsite_totals[0].bytes, 64 + (1 << 20) + 8192 + (2 << 20) + 96);
	CHECK_INT(prof.runs[0].callsite_totals[0].peak_live_bytes, 8192 + (2 << 20));
	profile_free(&prof);
	recorder_free(r);
	objtrack_free(ot);
	remove_db(path);
	test_statics(dir, false);
	test_statics(dir, true);
	test_site_memo(dir);
	test_site_far_then_near(dir);
	test_region_seen_before_its_block(dir);
	test_realloc_released_late(dir);
	rmdir(dir);
	free(path);
	return unit_done();
}
