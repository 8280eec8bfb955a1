#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_placement.h"
#include "error.h"
#include "objtrack.h"
#include "options.h"
#include "progress.h"
#include "recorder.h"
#include "session.h"
#include "statusline.h"
#include "topology.h"
#include "launch.h"
#include "allowed.h"
#include "launcher.h"

/* A commit writes every page changed since the last one to the WAL, two
 * writes a page: at 1 s, a run shorter than that wrote its whole profile
 * after the program had ended (rustc -O: 13 MB, 23 ms of the end, 714
 * -> 670 ms in all at 100 ms; sqlite3 294 -> 280 ms). */
#define FLUSH_EVERY_NS    (100ULL * 1000 * 1000)
#define MAPS_EVERY_NS     (200ULL * 1000 * 1000)
/* Samples are matched to objects within a tick or two of being taken:
 * freed objects are kept findable this long, then forgotten. */
#define KEEP_FREED_NS     (5ULL * 1000 * 1000 * 1000)

void session_init(struct session *s, const char *cmd)
{
	memset(s, 0, sizeof(*s));
	s->cmd = cmd;
	s->kept.older_fd = -1;
	s->follow = true;
	s->call_depth = 16;
	s->intercept = INTERCEPT_DEFAULT;
	s->sopts.name = "auto";
	s->sopts.raw = 1;
	launcher_detect(&s->launcher, launcher_getenv);
}

/* ---- tracer callbacks ---- */

static void open_database(struct session *s);

/* What the sampler needs to know of an event: threads to sample, a new
 * image, a thread stopped (its registers can be read). */
static void tell_sampler(struct sampler *sm, const struct nm_event *ev)
{
	switch (ev->kind) {
	case EV_THREAD_START:
		sampler_thread_start(sm, ev->pid, ev->tid);
		break;
	case EV_THREAD_END:
		sampler_thread_stop(sm, ev->tid);
		break;
	case EV_EXEC:
		sampler_process_exec(sm, ev->pid, ev->ns);
		break;
	case EV_FORK:
		sampler_process_fork(sm, ev->ppid, ev->pid);
		break;
	case EV_AGENT_REGION:
		sampler_agent_region(sm, ev->pid, ev->object->addr,
				     ev->object->addr + ev->object->size);
		break;
	case EV_MODULES_KNOWN:
		sampler_modules_known(sm, ev->pid, ev->known_ns);
		break;
	case EV_PROCESS_END:
		sampler_process_end(sm, ev->pid);
		break;
	case EV_ALLOC:
	case EV_MODULES_HOOKED:
		/* The agent's calls come with no stopped thread. */
		if (ev->t)
			sampler_thread_stopped(sm, ev->tid);
		break;
	default:
		break;
	}
}

/* The sampler's output, as events for the recorder (the placer has no
 * use for them). */
static void on_sample(void *ctx, const struct nm_sample *sample)
{
	struct session *s = ctx;

	recorder_event(s->rec, &(struct nm_event){ .kind = EV_SAMPLE, .pid = sample->pid,
						   .tid = sample->tid, .ns = sample->time_ns,
						   .sample = sample });
}

static void on_sampler_count(void *ctx, pid_t tid, const char *name, uint64_t value)
{
	struct session *s = ctx;

	recorder_event(s->rec, &(struct nm_event){ .kind = EV_SAMPLER_COUNT, .tid = tid,
						   .count_name = name, .count = value });
}

/* Every event: the launched program's exec opens the profile; then the
 * sampler, the recorder (the rows) and run mode's placer hear of it. */
static void on_event(void *ctx, const struct nm_event *ev)
{
	struct session *s = ctx;

	if (ev->kind == EV_EXEC && !s->db && s->output)
		open_database(s);
	if (s->sampler) {
		tell_sampler(s->sampler, ev);
		/* Its process's samples taken before it first. */
		if (ev->ns > *s->sample_due)
			sampler_attribute_until(s->sampler, ev->pid, ev->ns);
	}
	recorder_event(s->rec, ev);
	if (s->ext_event)
		s->ext_event(s->ext, ev);
}

static void prefetch(void *ctx, pid_t pid, uint64_t addr, bool entry)
{
	struct session *s = ctx;

	objtrack_prefetch(s->objs, pid, addr, entry);
}

static void before_drain(void *ctx)
{
	struct session *s = ctx;

	sampler_read(s->sampler);
}

static void after_drain(void *ctx, uint64_t until_ns)
{
	struct session *s = ctx;

	sampler_attribute_until(s->sampler, 0, until_ns);
}

static void on_ready(void *ctx, void *ptr)
{
	struct session *s = ctx;

	if (s->sampler)
		sampler_handle_ready(s->sampler, ptr);
}

/* Samples of regions mapped since the last look must find their mapping. */
static void refresh_mappings(struct session *s)
{
	for (struct proc *p = tracer_procs(s->tr); p; p = p->next) {
		if (!p->ignored)
			tracer_refresh_mappings(s->tr, p);
	}
}

/* The profile can no longer be written: what is committed stays, and the
 * program must not suffer for it.  Its events are closed and the tracer
 * lets every thread go as it does at a detach. */
static void let_program_go(struct session *s)
{
	if (s->letting_go)
		return;
	s->letting_go = true;
	warning("%s: cannot write '%s': %s: the profile is incomplete; the program runs on "
		"untraced", s->cmd, s->output, db_write_error(s->db));
	if (s->sampler)
		sampler_destroy(s->sampler);
	s->sampler = NULL;
	tracer_let_go(s->tr);
}

/* The status line's figures, from what the session already counts,
 * gathered only when a redraw is due (this runs at every event). */
static int update_status(struct session *s, uint64_t now)
{
	struct status_counts c = { .elapsed_ns = now - s->start_ns, .objects = objtrack_count(s->objs) };
	int wait = statusline_wait_ms(s->status, now);

	if (wait)
		return wait;
	if (s->db)
		db_counts(s->db, &c.samples, &c.pending);
	return statusline_update(s->status, now, &c);
}

static int on_tick(void *ctx, uint64_t now)
{
	struct session *s = ctx;
	int next = s->db ? 1000 : -1;

	if (s->sampler) {
		int wanted = sampler_tick(s->sampler, now);

		if (wanted >= 0 && (next < 0 || wanted < next))
			next = wanted;
		/* Not before the profile exists: a launched program has not
		 * exec'd yet, and reading numamma's own 16 libraries in its
		 * child delayed that exec's handling by 1.5 ms. */
		if (s->db && now - s->last_maps_ns > MAPS_EVERY_NS) {
			refresh_mappings(s);
			s->last_maps_ns = now;
		}
	}
	if (s->db && now - s->last_flush_ns > FLUSH_EVERY_NS) {
		objtrack_flush_settled(s->objs);
		db_flush(s->db);
		s->last_flush_ns = now;
		if (db_write_error(s->db))
			let_program_go(s);
	}
	if (s->status) {
		int wanted = update_status(s, now);

		if (next < 0 || wanted < next)
			next = wanted;
	}
	return next;
}

/* ---- set-up and the end ---- */

static void begin_run(struct session *s)
{
	char **argv = s->argv;
	pid_t attach_pid = s->attach_pid;
	struct proc *first = tracer_procs(s->tr);
	struct allowed allowed = { NULL, NULL };
	struct utsname u;
	char host[HOST_NAME_MAX + 1] = "", kernel[256] = "";
	char *command = attach_pid ? xasprintf("pid %d", attach_pid) : join_command(argv);
	struct nm_run_info info = {
		.command = command, .mode = s->cmd, .host = host, .kernel = kernel,
		.sampler = s->sampler_name ? s->sampler_name : "none",
		.sampler_reason = s->sampler_reason ? s->sampler_reason : "",
		.start_ns = now_ns(), .start_epoch = time(NULL),
		.call_depth = s->call_depth, .topo = &s->topo,
		.launcher_rank = s->launcher.rank, .launcher_size = s->launcher.size,
		.job_id = s->launcher.job,
	};

	/* The launcher's binding, for advise to plan each rank within it. */
	if (first)
		allowed_read(first->pid, &allowed);
	info.cpus_allowed = allowed.cpus;
	info.mems_allowed = allowed.mems;
	gethostname(host, sizeof(host) - 1);
	if (uname(&u) == 0)
		snprintf(kernel, sizeof(kernel), "%s %s", u.release, u.version);
	db_begin_run(s->db, &info);
	allowed_free(&allowed);
	free(command);
}

static void start_sampler(struct session *s)
{
	s->sopts.shared_cpus = s->launcher.rank >= 0;
	s->sopts.sink = s->db ? &s->sample_sink : NULL;
	s->sopts.objs = s->objs;
	s->sopts.topo = &s->topo;
	s->sopts.epoll_fd = tracer_epoll_fd(s->tr);
	s->sopts.quiet = s->quiet;
	if (!strcmp(s->sopts.name, "none")) {
		s->sampler_name = "none";
		s->sampler_reason = "--sampler=none";
		return;
	}
	s->sampler = sampler_create(&s->sopts, &s->sampler_name, &s->sampler_reason);
	if (!s->sampler)
		exit(NM_EXIT_FAILURE);
	s->sample_due = sampler_due_ns(s->sampler);
}

/* The tracer's and its threads' cpu, user and system, in ms (0 if
 * unknown), for -v: what a profile cost beside the program's own. */
static void own_cpu_ms(double *user, double *sys)
{
	struct rusage ru;

	*user = *sys = 0;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	*user = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
	*sys = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static void finish(struct session *s, int status)
{
	uint64_t objects, samples;
	double user, sys;
	struct progress *pr;

	/* The terminal's last row is given back before anything more is said. */
	statusline_end(s->status);
	s->status = NULL;
	if (s->sampler)
		sampler_destroy(s->sampler);
	s->sampler = NULL;
	if (s->early_db) {
		db_discard(s->early_db);        /* the program never ran */
		outfile_keep_undo(s->output, &s->kept);
	}
	s->early_db = NULL;
	if (!s->db)
		return;
	if (db_write_error(s->db)) {
		/* runs.end_ns stays NULL: readers see an unfinished profile. */
		db_close(s->db);
		return;
	}
	debug("%s: the program ended; writing the profile", s->cmd);
	db_end_run(s->db, now_ns(), WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		   WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	objtrack_flush(s->objs);
	recorder_write_totals(s->rec, s->db);
	db_set_intercept(s->db, tracer_agent_used(s->tr) ? "agent" : "trap",
			 tracer_calls_lost(s->tr));
	db_flush(s->db);
	/* Symbolising and aggregating a big profile takes seconds after the
	 * program ended: a person at a terminal is told what is going on. */
	pr = s->quiet ? NULL : progress_start(s->cmd);
	progress_step(pr, "symbolising the call stacks of '%s'", s->output);
	db_symbolize(s->db);
	debug("%s: call stacks symbolised", s->cmd);
	progress_step(pr, "building the access tables of '%s'", s->output);
	db_aggregate(s->db);
	if (s->no_raw)
		db_drop_raw_samples(s->db);
	debug("%s: access tables built", s->cmd);
	/* What `numamma report` will count: the rows, not every block
	 * tracked (a fork child's copies of its parent's blocks among them:
	 * 107,856 said for 520 rows). */
	db_totals(s->db, &objects, &samples);
	db_close(s->db);
	own_cpu_ms(&user, &sys);
	debug("%s: profile closed; numamma's own cpu %.1f ms (user %.1f, system %.1f)", s->cmd,
	      user + sys, user, sys);
	progress_end(pr);
	if (!s->quiet)
		fprintf(stderr, "numamma: %s: profile written to %s (%llu objects, %llu samples)\n",
			s->cmd, s->output, (unsigned long long)objects, (unsigned long long)samples);
}

/* Reading modules no stack has shown yet is a bet that one will: it
 * pays where a cpu is left beyond the program's and numamma's, and on
 * two it slowed the program it raced (`true` 2.7 ms, gcc -c 5 ms). */
static bool cpu_to_spare(void)
{
	cpu_set_t cpus;

	return sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) >= 3;
}

/* The database is the profile once the program runs (its exec, or the
 * attach), so that nothing that fails before leaves a file behind or
 * moves an existing one to .old. */
static void open_database(struct session *s)
{
	s->db = s->early_db ? s->early_db : s->early_failed ? NULL : db_create(s->output, s->quiet);
	if (s->early_db)
		outfile_keep_commit(s->output, &s->kept, s->quiet);
	s->early_db = NULL;
	if (!s->db) {
		warning("%s: no profile can be written: the program runs on untraced", s->cmd);
		s->output = NULL;
		s->letting_go = true;
		if (s->sampler)
			sampler_destroy(s->sampler);
		s->sampler = NULL;
		tracer_let_go(s->tr);
		return;
	}
	if (s->placement_table)
		db_add_placement_table(s->db);
	db_symbolize_early(s->db, cpu_to_spare());
	objtrack_set_db(s->objs, s->db);
	recorder_set_db(s->rec, s->db);
	tracer_set_db(s->tr, s->db);
	if (s->sampler)
		sampler_set_sink(s->sampler, &s->sample_sink);
	begin_run(s);
	debug("%s: profile created", s->cmd);
	debug("numamma's own tables: %s", own_pages_said());
	for (struct proc *p = tracer_procs(s->tr); p; p = p->next)
		tracer_record_process(s->tr, p);
}

/* The launched program's profile is made while it execs, when numamma has
 * nothing else to do, not in the exec's stop, where the program waited
 * for SQLite's set-up of the file (1.4-2.5 ms).  Should the exec fail,
 * the profile goes (db_discard()) and a previous one kept as .old is put
 * back, the older .old with it (outfile_keep_undo()); where that cannot
 * be undone (a journal beside either), the profile is made in the stop. */
static void make_database_early(struct session *s)
{
	struct stat st;

	db_warm_up();
	if (lstat(s->output, &st) == 0) {
		int kept = outfile_keep_undoably(s->output, &s->kept);

		if (kept <= 0) {
			s->early_failed = kept < 0;
			return;
		}
	} else if (errno != ENOENT) {
		return;
	}
	s->early_db = db_create(s->output, s->quiet);
	s->early_failed = !s->early_db;
	if (!s->early_db)
		outfile_keep_undo(s->output, &s->kept);
}

/* Under a launcher each rank writes its own file (prof.db ->
 * prof.rank2.db), and -o patterns name the rest (%r %p %h %j). */
static int name_output(struct session *s)
{
	char host[HOST_NAME_MAX + 1] = "";
	const char *why = NULL;
	char *name;

	gethostname(host, sizeof(host) - 1);
	name = launcher_output_name(s->output, &s->launcher, getpid(), host, &why);
	if (!name)
		return error("cannot name the output '%s': %s", s->output, why);
	s->output = s->output_name = name;
	return 0;
}

int session_run(struct session *s, char **argv, pid_t attach_pid)
{
	struct tracer_config cfg = {
		.follow_forks = s->follow, .call_depth = s->call_depth,
		.alloc_frames = s->ext_event != NULL, .intercept = s->intercept,
		.attach = attach_pid, .duration = s->duration, .ctx = s,
		.on_event = on_event, .on_tick = on_tick, .on_ready = on_ready,
		.before_drain = before_drain, .after_drain = after_drain,
		.prefetch = prefetch, .pair_frees = s->ext_event == NULL,
		.statics_at_once = s->ext_event != NULL, .exit_calls = s->ext_event != NULL,
		.place_blocks = s->ext_event != NULL,
	};
	int status;

	if (!s->topo.nr_nodes && topology_read(&s->topo, NULL) < 0)
		die("cannot read the NUMA topology from /sys/devices/system/node");
	/* Every check that can fail comes before the database is created. */
	if (!attach_pid)
		check_program_or_die(argv[0], resolve_program(argv[0]));
	else if (attach_check(attach_pid) < 0)
		exit(NM_EXIT_FAILURE);
	if (s->output && name_output(s) < 0)
		exit(NM_EXIT_FAILURE);
	if (s->output && db_check_creatable(s->output, s->inputs) < 0)
		exit(NM_EXIT_FAILURE);
	s->argv = argv;
	s->attach_pid = attach_pid;
	s->sample_sink = (struct sample_sink){ s, on_sample, on_sampler_count };
	s->objs = objtrack_new(NULL);
	s->rec = recorder_new(s->objs, &(struct recorder_hooks){ s->ext, s->ext_event },
			      s->min_object_size);
	s->tr = tracer_new(&cfg);
	start_sampler(s);
	if (s->sampler_name && !strcmp(s->sampler_name, "watch")) {
		tracer_set_watchpoints(s->tr, true);
		recorder_every_static(s->rec);
	}
	objtrack_keep_freed(s->objs, s->sampler ? KEEP_FREED_NS : 0);
	if (!s->sampler)
		objtrack_no_lookups(s->objs);
	if (attach_pid) {
		if (tracer_attach(s->tr, attach_pid) < 0)
			exit(NM_EXIT_FAILURE);
		if (s->output)
			open_database(s);
	} else {
		tracer_launch(s->tr, argv);
		if (s->output)
			make_database_early(s);
	}
	s->start_ns = now_ns();
	s->status = s->quiet ? NULL : statusline_start(s->cmd, s->start_ns);
	status = tracer_loop(s->tr);
	finish(s, status);
	return status;
}
