/* advise: the plan in words, as `numamma advise` prints it. */
#include <inttypes.h>
#include <stdio.h>

#include "advise.h"

static void print_threads(FILE *f, const struct advice *adv)
{
	fprintf(f, "\nthreads (rank = creation order, 0 = main; child = a worker process, by "
		"fork order):\n");
	for (int i = 0; i < adv->nthreads; i++) {
		const struct advice_thread *t = &adv->threads[i];
		char ran[48] = "never sampled", pin[32] = "not pinned";

		if (t->ran_node >= 0 && t->ran_cpu >= 0)
			snprintf(ran, sizeof(ran), "ran on cpu %d (node %d)", t->ran_cpu, t->ran_node);
		else if (t->ran_node >= 0)
			snprintf(ran, sizeof(ran), "ran on node %d", t->ran_node);
		if (t->pin_cpu >= 0)
			snprintf(pin, sizeof(pin), "pin to cpu %d", t->pin_cpu);
		else if (t->pin_node >= 0)
			snprintf(pin, sizeof(pin), "pin to node %d", t->pin_node);
		fprintf(f, "  %s %-3d tid %-7d %7" PRIu64 " samples  %-24s -> node %-3d %s\n",
			t->child ? "child" : "rank ", t->child ? t->child : t->rank, (int)t->tid,
			t->samples, ran, t->node, pin);
	}
}

void advice_print(FILE *f, const struct advice *adv)
{
	char before[16], after[16];

	fprintf(f, "numamma advise: %s: %" PRIu64 " samples on %d allocation sites",
		adv->policy->source, adv->samples, adv->nsites);
	if (adv->thread_own_samples)
		fprintf(f, " (%" PRIu64 " more on threads' stacks and thread-local variables: each "
			"thread's own, not planned; run moves a pinned thread's thread-locals to its "
			"node)", adv->thread_own_samples);
	fputc('\n', f);
	fprintf(f, "machine: profiled on %d node%s, planned for %d node%s\n", adv->profile_nodes,
		adv->profile_nodes > 1 ? "s" : "", adv->target_nodes, adv->target_nodes > 1 ? "s" : "");
	if (adv->binding)
		fprintf(f, "planned %s\n", adv->binding);
	fprintf(f, "thread mapping: %s\n", adv->mapping);
	print_threads(f, adv);
	fprintf(f, "\nsites (most sampled first):\n");
	for (int i = 0; i < adv->nsites; i++) {
		const struct advice_site *s = &adv->sites[i];
		const struct policy_rule *r = &adv->policy->rules[s->rule];

		locality_text(before, sizeof(before), s->before);
		locality_text(after, sizeof(after), s->after);
		fprintf(f, "  %-10s %-6s %s (%d object%s, up to %" PRIu64 " bytes)\n",
			policy_action_name(r->action), obj_kind_name(s->kind), s->where,
			s->nobjects, s->nobjects > 1 ? "s" : "", s->max_size);
		fprintf(f, "             %s\n", s->reason);
		fprintf(f, "             local accesses: before %s, after %s\n", before, after);
	}
	locality_text(before, sizeof(before), adv->before);
	fprintf(f, "\noverall local accesses:\n  before: %s measured in the profile (%" PRIu64
		" samples where both nodes are known)\n", before, adv->before.total);
	locality_text(before, sizeof(before), adv->unplanned);
	locality_text(after, sizeof(after), adv->after);
	fprintf(f, "  after:  %s predicted with this plan, against %s with the planned thread "
		"mapping alone (pages left where first touched; %" PRIu64 " samples)\n",
		after, before, adv->after.total);
}

