/* Unattributed samples waiting for their modules (include/sample_hold.h).
 * Pure bookkeeping: the sampler does the matching. */
#include <stdlib.h>

#include "error.h"
#include "sample_hold.h"

/* About 400 KiB: the loader's few ms of samples many times over. */
#define HOLD_DEFAULT 4096

void sample_hold_init(struct sample_hold *h, size_t max)
{
	*h = (struct sample_hold){ .cap = max ? max : HOLD_DEFAULT };
}

void sample_hold_free(struct sample_hold *h)
{
	free(h->v);
	u64map_free(&h->known);
	*h = (struct sample_hold){ 0 };
}

static uint64_t known_until(const struct sample_hold *h, pid_t pid)
{
	const struct u64map_slot *slot = u64map_find(&h->known, u64map_pid_key(pid));

	return slot ? slot->a : 0;
}

bool sample_hold_wanted(const struct sample_hold *h, const struct nm_sample *x)
{
	return !x->object_id && x->addr && x->time_ns > known_until(h, x->pid);
}

bool sample_hold_add(struct sample_hold *h, const struct nm_sample *x)
{
	if (h->n == h->cap)
		return false;
	if (!h->v)      /* most runs never hold one */
		h->v = xmalloc(h->cap * sizeof(*h->v));
	h->v[h->n++] = *x;
	return true;
}

void sample_hold_known(struct sample_hold *h, pid_t pid, uint64_t ns)
{
	u64map_put(&h->known, u64map_pid_key(pid), ns, 0);
}

void sample_hold_fork(struct sample_hold *h, pid_t ppid, pid_t pid)
{
	sample_hold_known(h, pid, known_until(h, ppid));
}

void sample_hold_release(struct sample_hold *h, pid_t pid, uint64_t until_ns,
			 void (*fn)(void *ctx, struct nm_sample *x), void *ctx)
{
	size_t kept = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct nm_sample *x = &h->v[i];

		if ((pid && x->pid != pid) || x->time_ns > until_ns)
			h->v[kept++] = *x;
		else
			fn(ctx, x);
	}
	h->n = kept;
}
