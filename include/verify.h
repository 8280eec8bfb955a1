/* Where the pages of placed objects actually landed: move_pages queries
 * of the tracee, per object and range, against what the plan intended. */
#ifndef NUMAMMA_VERIFY_H
#define NUMAMMA_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "placement.h"

struct session;
struct verifier;

/* What placing objects cost: the time the tracee was stopped for it,
 * the move_pages calls that checked the pages mbind was to move and
 * moved those it left behind, and the madvise calls (process_madvise or
 * injected) that split huge pages at range edges first. */
struct place_cost {
	uint64_t ns;
	uint64_t move_calls, moved;
	uint64_t madvise_calls;
};

struct verifier *verifier_new(struct session *s, int list_all);
/* An object was placed with plan (failed: ranges whose mbind failed).
 * An id below 0 is a thread's own memory (its stack, its thread-locals)
 * that numamma moved to the thread's node with move_pages (apply.c):
 * checked alike, summed apart from the objects and their mbind calls. */
void verifier_add(struct verifier *v, const struct nm_object *obj,
		  const struct place_plan *plan, int failed, const struct place_cost *cost);
/* Statics are offered once each: remembers that id was considered. */
bool verifier_has(struct verifier *v, int64_t id);
void verifier_seen(struct verifier *v, int64_t id);
/* Checks one object now (it is about to be freed), or every unchecked
 * object of pid (its last thread is exiting). */
void verifier_check(struct verifier *v, pid_t pid, int64_t id);
void verifier_check_all(struct verifier *v, pid_t pid);
/* The pages of the object placed at addr in pid, counted by the agent
 * at its free (it placed the block itself): that object's check. */
struct nm_page_check;
void verifier_checked(struct verifier *v, pid_t pid, uint64_t addr, const struct nm_page_check *c);
/* Prints the verdict on stderr (and per object with list_all). */
void verifier_report(struct verifier *v, bool quiet);

/* Where the pages of ranges r[0..n) of an object at addr are, asked of
 * move_pages(pid) PAGES_BATCH pages at a time whatever the ranges' sizes
 * (a cyclic or tiles plan has thousands of ranges of a few pages): fn
 * gets each batch's pages, their nodes (a negative errno for a page not
 * there, or for each when the call fails) and each page's range. */
#define PAGES_BATCH 1024
typedef void (*range_pages_fn)(void *arg, void *const *pages, const int *status, const int *range,
			       unsigned long n);
void query_range_pages(pid_t pid, uint64_t addr, const struct place_range *r, int n,
		       range_pages_fn fn, void *arg);

/* Pure: adds one page's move_pages status to a range's counts. */
struct range_check {
	uint64_t pages, present, on_intended, absent;
	uint64_t per_node[POLICY_MAX_NODES];
};
void range_check_add(struct range_check *rc, uint64_t nodemask, int status);

#endif
