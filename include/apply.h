/* run mode's applier (src/place/apply.c): places a program's objects as
 * a policy says while a session traces it, pins its threads by creation
 * rank, and has the verifier check where the pages landed. */
#ifndef NUMAMMA_APPLY_H
#define NUMAMMA_APPLY_H

#include <stdbool.h>

struct session;
struct policy;
struct verifier;
struct applier;

/* Wires the applier into s's hooks.  pin: pin threads as the policy
 * says; attached: run -p (the program sized its thread pools long ago,
 * so its main thread is pinned at once). */
struct applier *applier_new(struct session *s, struct policy *pol, struct verifier *ver,
			    bool pin, bool attached);
/* What the program's binding changed (pins moved into its cpus, nodes
 * it does not allow): one line each on stderr, unless quiet. */
void applier_report(struct applier *r, bool quiet);

#endif
