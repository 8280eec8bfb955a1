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

struct verifier *verifier_new(struct session *s, int list_all);
/* An object was placed with plan (failed: ranges whose mbind failed;
 * ns: the time its mbind calls took, the tracee stopped). */
void verifier_add(struct verifier *v, const struct nm_object *obj,
		  const struct place_plan *plan, int failed, uint64_t ns);
/* Statics are offered once each: remembers that id was considered. */
bool verifier_has(struct verifier *v, int64_t id);
void verifier_seen(struct verifier *v, int64_t id);
/* Checks one object now (it is about to be freed), or every unchecked
 * object of pid (its last thread is exiting). */
void verifier_check(struct verifier *v, pid_t pid, int64_t id);
void verifier_check_all(struct verifier *v, pid_t pid);
/* Prints the verdict on stderr (and per object with list_all). */
void verifier_report(struct verifier *v, bool quiet);

/* Pure: adds one page's move_pages status to a range's counts. */
struct range_check {
	uint64_t pages, present, on_intended, absent;
	uint64_t per_node[POLICY_MAX_NODES];
};
void range_check_add(struct range_check *rc, uint64_t nodemask, int status);

#endif
