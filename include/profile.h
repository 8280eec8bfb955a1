/* The profile model: what one or several profile databases hold, in
 * memory, for the commands that read profiles (report, advise, policy
 * loading).  src/store/profile_read.c fills it; nothing outside src/store/
 * reads a database.  Plain data: a test can build one by hand.
 *
 * A profile holds one struct prof_run per database read, each with its
 * own tables: ids (objects, call sites) are only unique within a run.
 * report and advise work on runs[0]; merging the runs of several ranks is
 * the job of their caller. */
#ifndef NUMAMMA_PROFILE_H
#define NUMAMMA_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "access_spans.h"
#include "model.h"

/* What to read besides the run, nodes, processes, threads, modules,
 * objects and call sites (always read). */
enum {
	PROFILE_SAMPLES = 1 << 0,  /* the attributed samples (advise) */
	PROFILE_ACCESS  = 1 << 1,  /* per-object access aggregates, thread
				    * sharing and placement checks (report) */
	PROFILE_DETAIL  = 1 << 2,  /* with PROFILE_ACCESS: accesses per object
				    * and thread, node, page, and the cache
				    * lines written by several threads (the
				    * JSON, CSV and HTML reports) */
};

/* A NULL column reads as has_X false. */
struct prof_run_info {
	char *command, *mode, *host, *kernel, *sampler, *sampler_reason;
	uint64_t start_ns, end_ns;
	int64_t start_epoch;
	int exit_status, term_signal;
	bool has_end, has_epoch, has_exit, has_signal;
	/* Under a parallel launcher (an MPI job writes one profile per
	 * rank): this profile's rank and the job's size, -1 when not. */
	int launcher_rank, launcher_size;
	char *job_id;               /* NULL: none */
	/* The cpus and nodes the program was allowed at its start (its
	 * affinity, its cpuset's nodes): cpulists, NULL unknown. */
	char *cpus_allowed, *mems_allowed;
	/* Allocator calls numamma counted but could not record (runs.calls_lost,
	 * 0 when none or not known). */
	int64_t calls_lost;
	/* Samples counted in the aggregates whose rows --no-raw deleted
	 * (runs.samples_dropped; 0 when every sample kept its row). */
	uint64_t samples_dropped;
};

/* Which node a cpu of the profiled machine belongs to. */
struct prof_cpu {
	long cpu, node;
};

struct prof_node {
	int node;
	char *cpus;                 /* sysfs cpulist, NULL unknown */
};

struct prof_process {
	pid_t pid, ppid;
	char *exe;
	bool ended;                 /* false: still running when numamma let
				     * it go (a detach), or numamma stopped */
};

struct prof_thread {
	pid_t pid, tid;
	int rank;                   /* creation order, -1 when NULL */
	/* Its allocator calls, every one (has_calls: in profiles that count
	 * them per thread). */
	bool has_calls;
	uint64_t allocations, frees, bytes;
};

struct prof_module {
	pid_t pid;
	char *module, *path;        /* identity ("buildid:..." or path), file */
	uint64_t start, end;
};

/* Symbolised fields are NULL (function, file) or 0 when unknown. */
struct prof_frame {
	char *module;
	uint64_t offset;
	char *function;
	uint64_t func_offset;
	char *file;
	int line;
	char *call_file;            /* inlined code: its function's line; NULL none */
	int call_line;
};

struct prof_callsite {
	int64_t id;
	int nframes;
	/* By depth, [0] = the allocator's caller: each a location of the
	 * run's, shared by every stack through it (a recursive program's
	 * 175,000 stacks of 16 frames pass through a few hundred). */
	const struct prof_frame **frames;
};

struct prof_object {
	int64_t id;
	pid_t pid, tid;
	int kind;                   /* enum obj_kind, -1 for a kind unknown here */
	uint64_t addr, size;
	int64_t callsite_id;        /* 0: none */
	char *name;                 /* NULL unknown */
	char *module;               /* statics: the smallest module mapped at
				     * addr in its process; NULL otherwise */
	uint64_t alloc_ns, free_ns; /* free_ns 0: never freed (live at exit) */
};

/* callsite_totals, in profiles that count every allocation of a call
 * site (objects may then hold only some of them): summed over pids. */
struct prof_callsite_total {
	int64_t callsite_id;
	uint64_t allocations, frees, bytes, peak_live_bytes;
	/* The largest call's bytes, and bytes never freed: known
	 * (has_max_live) in profiles whose callsite_totals kept them. */
	uint64_t max_bytes, live_bytes;
	bool has_max_live;
};

/* A process's counts at a call site (its callsite_totals rows).  A fork
 * child's objects at a site it never called are copies of its parent's
 * blocks, not allocations; a child that freed or unmapped such copies
 * has a row of frees alone there. */
struct prof_site_caller {
	int64_t pid;
	struct prof_callsite_total t;     /* t.callsite_id: the site */
};

/* Samples per (pid, tid, cpu, node); cpu and node -1 when NULL.  Sorted
 * by pid, tid, cpu, node.  A --no-raw profile has only each thread's
 * samples in objects, cpu and node unknown. */
struct prof_thread_cpu {
	pid_t pid, tid;
	int cpu, node;
	uint64_t samples;
};

/* One sample inside an object (PROFILE_SAMPLES). */
struct prof_sample {
	int64_t object_id;
	uint64_t addr;
	pid_t pid, tid;
	int cpu, node, page_node;   /* -1 unknown */
	uint64_t time_ns;
	char access;                /* ACCESS_READ, ACCESS_WRITE, else unknown */
};

/* What the samples say about one object (PROFILE_ACCESS). */
struct prof_access {
	int64_t object_id;
	uint64_t samples, reads, writes;
	uint64_t weight;            /* sum of the samples' latencies (cycles;
				     * 1 each where the sampler measures none) */
	int threads;                /* distinct sampling threads */
	uint64_t located, remote;   /* samples with both nodes known; of them remote */
	bool line_shared_writes;    /* a cache line written by two threads or more */
	/* How the threads doing its work share its pages (a serial
	 * initialisation's sweep and threads with few samples left out). */
	struct access_spans spans;
};

/* PROFILE_DETAIL: accesses to an object by one thread (tid), one cpu
 * node (node), one page of the object and thread (page, tid). */
struct prof_object_thread {
	int64_t object_id;
	pid_t tid;
	uint64_t samples, reads, writes;
};

struct prof_object_node {
	int64_t object_id;
	int node;
	uint64_t samples;
};

struct prof_object_page {
	int64_t object_id;
	uint64_t page;              /* 4 KiB page index within the object */
	pid_t tid;
	uint64_t samples;
};

/* A cache line written by two threads or more. */
struct prof_line {
	int64_t object_id;
	uint64_t addr;
	int writers;
	char *tids;                 /* comma-separated */
};

struct prof_sharing {
	pid_t tid_a, tid_b;
	uint64_t pages, lines;
};

/* A row of `numamma run -o`'s placement table. */
struct prof_placement {
	int64_t object_id;
	pid_t pid;
	uint64_t size, pages, present, on_intended, absent, skipped;
	char *nodes, *rule;         /* NULL unknown */
};

struct prof_strings;

struct prof_run {
	char *file;                 /* the database's file, as SQLite names it */
	/* Every string of the tables below, each kept once (NULL for a
	 * profile built by hand, whose strings are the builder's). */
	struct prof_strings *strings;
	bool has_run;               /* false: numamma stopped before the program */
	struct prof_run_info run;
	size_t ncpus, nnodes, nprocesses, nthreads, nmodules, ncallsites, nthread_cpus;
	struct prof_cpu *cpus;              /* as recorded (runs.cpu_nodes) */
	struct prof_node *nodes;            /* by node */
	struct prof_process *processes;     /* in recording order */
	struct prof_thread *threads;        /* in recording order */
	struct prof_module *modules;        /* in recording order */
	struct prof_callsite *callsites;    /* by id */
	size_t nlocations;
	struct prof_frame *locations;       /* the code locations of the stacks */
	struct prof_thread_cpu *thread_cpus;
	size_t nobjects, nsamples;
	struct prof_object *objects;        /* by id */
	struct prof_sample *samples;        /* PROFILE_SAMPLES */
	uint64_t total_samples;             /* every sample, its row kept or not */
	uint64_t attributed_samples;        /* those with an object */
	uint64_t agent_samples;             /* of numamma's agent, not stored (sampler_stats) */
	size_t nbinaries;
	char **binaries;                    /* module identities of the processes' programs */
	/* PROFILE_ACCESS */
	bool aggregates_missing;            /* samples but no aggregates, read-only file */
	size_t naccess, nsharing, nplacement;
	struct prof_access *access;         /* by object id */
	struct prof_sharing *sharing;
	bool has_placement;                 /* the placement table exists */
	struct prof_placement *placement;   /* in recording order */
	size_t ncallsite_totals, nsite_callers;
	struct prof_callsite_total *callsite_totals;  /* by id; none when the
						       * profile lacks the table */
	struct prof_site_caller *site_callers;        /* by site, then pid */
	/* PROFILE_DETAIL, each sorted by object id */
	size_t nobject_threads, nobject_nodes, nobject_pages, nlines;
	struct prof_object_thread *object_threads;
	struct prof_object_node *object_nodes;
	struct prof_object_page *object_pages;
	struct prof_line *lines;
};

struct profile {
	size_t nruns;
	struct prof_run *runs;
};

/* Reads the databases at paths into p (what: PROFILE_* flags).  A profile
 * written without its aggregates gets them built, when the file is
 * writable, as `numamma report` always did.  0, or -1 after one error
 * line naming the file (p is then empty). */
int profile_load(struct profile *p, const char *const *paths, int npaths, unsigned what);
void profile_free(struct profile *p);

/* Whether the file at path is a database (a profile, or not one numamma
 * reads) rather than text: how `run --policy` tells a profile from a
 * policy file. */
bool profile_is_database(const char *path);

struct nm_db;
/* Reads the database db (open for reading or still being written) as one
 * more run of p.  0, or -1 after one error line. */
int profile_read_db(struct profile *p, struct nm_db *db, unsigned what);

/* Lookups over one run's sorted tables: NULL when absent. */
const struct prof_object *prof_object(const struct prof_run *r, int64_t id);
const struct prof_callsite *prof_callsite(const struct prof_run *r, int64_t id);
const struct prof_access *prof_access(const struct prof_run *r, int64_t object_id);
const struct prof_callsite_total *prof_callsite_total(const struct prof_run *r, int64_t id);
/* Whether process pid allocated at call site id (callsite_totals says so). */
bool prof_site_called(const struct prof_run *r, int64_t id, pid_t pid);
/* fn for each call site's counted totals: their sums over processes, or
 * with pid (not 0) that process's own, of the sites it allocated at. */
void prof_each_counted(const struct prof_run *r, pid_t pid,
		       void (*fn)(void *arg, const struct prof_callsite_total *t), void *arg);
/* The first module (in recording order) with this identity. */
const struct prof_module *prof_module(const struct prof_run *r, const char *module);

#endif
