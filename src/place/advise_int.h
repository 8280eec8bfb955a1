/* Inside advise: the analysis state shared by its files.
 *
 *   advise.c           sites from the profile's objects and samples; one
 *                      rule per site; the driver
 *   advise_threads.c   the machine planned for, the threads, their nodes
 *                      and pins
 *   advise_patterns.c  the access patterns a site's samples show, and
 *                      the locality each plan would give
 *   advise_ranks.c     the patterns that follow creation ranks: the static
 *                      schedule and per-thread objects
 *   advise_cyclic.c    chunks dealt to threads in turn
 *   advise_tiles.c     a 2-D array's tiles: bands of rows, each cyclic
 *   advise_queue.c     data some threads write and others read
 *   advise_print.c     the plan in words
 *
 * All of it works on the profile model (profile.h): no I/O. */
#ifndef NUMAMMA_ADVISE_INT_H
#define NUMAMMA_ADVISE_INT_H

#include <stdbool.h>

#include "advise.h"
#include "profile.h"

#define RANK_MIN_SAMPLES  4      /* worker samples behind a rank-based plan */
#define RANK_SHARE        0.90   /* of them where their rank says */

static inline int popcount64(uint64_t m)
{
	return __builtin_popcountll(m);
}

/* One sample, as seen by its site. */
struct point {
	uint32_t pos;            /* in POLICY_PPM of the object */
	uint64_t off;            /* in bytes from the object's start */
	uint64_t size;           /* the object's */
	int thread;              /* index in adv->threads */
	int node, page_node;     /* where it ran and where the page was; -1 */
	int nth;                 /* its object's allocation order at the site
				  * in the first process; -1 in others */
	char access;             /* ACCESS_READ, ACCESS_WRITE, else unknown */
	uint64_t time_ns;        /* when it was taken */
};

struct site {
	enum obj_kind kind;
	int64_t callsite_id;
	const char *module, *symbol;   /* statics, owned by the profile */
	int nobjects;
	int nfirst;              /* objects of the first process */
	uint64_t max_size;
	struct point *pts;
	size_t npts, cap;
	int cold;                /* too few samples to tell a pattern, or
				  * only one thread's sweep */
	int advice;              /* its index in adv->sites, -1 none yet */
};

struct obj_ref {
	int64_t id;
	uint64_t addr, size;
	int site;
	pid_t pid;
	int nth;                 /* see struct point */
	bool copy;               /* another process's copy of a first-process
				  * object (a fork's): same site, address
				  * and size */
};

struct analysis {
	const struct prof_run *run;
	const struct advise_opts *opts;
	struct advice *adv;
	struct nm_topology profile;      /* the profiled machine */
	const struct nm_topology *layout;/* target cpus, NULL when unknown */
	struct nm_topology bound;        /* the profiled machine cut down to
					  * the launcher's binding, when it is
					  * the target */
	int *target;                     /* target node ids */
	int ntarget;
	struct site *sites;
	int nsites;
	struct obj_ref *objs;
	size_t nobjs;
	pid_t first_pid;                 /* the first process traced */
};

/* advise.c: the placeable object ps hit, NULL none. */
const struct obj_ref *sample_object(const struct analysis *a, const struct prof_sample *ps);

/* advise_threads.c */
void read_profile_topology(struct analysis *a);
void choose_target(struct analysis *a);
void read_threads(struct analysis *a);
void plan_threads(struct analysis *a);
int find_thread(const struct advice *adv, pid_t pid, pid_t tid);
int sample_node(const struct analysis *a, int64_t cpu, int64_t node);
/* The first process traced: ranks are per process, pins by rank only. */
pid_t main_pid(const struct analysis *a);
/* A worker's place in the plan: a thread's creation rank, a worker
 * process's fork order (the K-th is planned as the thread of rank K). */
int worker_rank(const struct advice_thread *t);
/* Whether t is one of the first process's threads or a worker process:
 * those whose ranks the plans follow (with worker processes, the first
 * process's main thread and them). */
int first_process_worker(const struct analysis *a, const struct advice_thread *t);

/* advise_patterns.c */
void add_point(struct site *s, struct point p);
/* qsort order: by thread, then by position. */
int point_by_thread(const void *x, const void *y);
void site_free(struct site *s);
void reset_rule(struct policy_rule *r);
/* Sets r's action and returns the reason, in words.  *eval is the site
 * whose samples the plan should be judged on: s, or its copy without
 * sweeps when the pattern was found there; drop_copy() frees a copy. */
char *choose_action(const struct analysis *a, struct site *s, struct policy_rule *r,
		    struct site **eval);
void drop_copy(struct site *s, struct site **eval);
/* Accesses that would be local under rule r with the planned threads;
 * leave keeps each page where the profile saw it. */
struct locality predict(const struct analysis *a, const struct site *s,
			const struct policy_rule *r);
struct locality measured(const struct site *s);
double fraction(struct locality l);
/* The sampling thread of p, NULL unknown; its planned node, -1 unknown. */
const struct advice_thread *thread_at(const struct analysis *a, const struct point *p);
int planned_node(const struct analysis *a, const struct point *p);
/* Appends [start, end) on node to r's segments, merged with the last
 * when they touch on one node. */
void add_segment(struct policy_rule *r, uint32_t start, uint32_t end, int node);
/* A node mask as a policy's node list ("0-2,5"), allocated. */
char *nodelist_text(uint64_t mask);
/* reason, with the samples eval left out of s said: takes reason. */
char *with_sweep_note(char *reason, const struct site *s, const struct site *eval,
		      const char *sweepers);

/* advise_ranks.c: the plan and its reason, or NULL (r left reset). */
/* The static schedule; s may be all the site's samples (all) or those
 * left without sweeps. */
char *rank_blocks(const struct analysis *a, const struct site *s, const struct site *all,
		  struct policy_rule *r);
/* Per-thread objects; *eval becomes the samples it was judged on. */
char *per_object(const struct analysis *a, struct site *s, struct policy_rule *r,
		 struct site **eval);
/* Slots (objects, cyclic phases) no sample placed go to the thread of
 * rank k + first when every sampled slot k's user (user[k], a thread
 * index, -1 none) has that rank (first 1: the k-th for the k-th worker;
 * 0: the main thread has the first one). */
void fill_by_rank(const struct analysis *a, const int *user, int n, int *each);

/* advise_cyclic.c: schedule(static, chunk); the plan and its reason, and
 * *eval the samples it was judged on (without threads touching every
 * chunk), or NULL with r reset and *eval untouched. */
char *try_cyclic(const struct analysis *a, struct site *s, struct policy_rule *r,
		 struct site **eval);

/* advise_tiles.c: a 2-D array's tiles (bands of rows, each dealt to
 * its threads in chunks): the plan and its reason, or NULL with r reset. */
char *try_tiles(const struct analysis *a, const struct site *s, struct policy_rule *r);

/* advise_queue.c: a queue, written by some threads and read by others:
 * the plan and its reason, or NULL with r untouched.  count: samples per
 * planned node, known their sum. */
char *try_queue(const struct analysis *a, const struct site *s, const uint64_t *count,
		uint64_t known, struct policy_rule *r);

#endif
