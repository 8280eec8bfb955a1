/* numamma report --object ID: one object, all that the profile knows of
 * it (what, where allocated, how long it lived, how it was accessed);
 * the detail tables that follow give its call stack and its accesses per
 * thread, node, page and shared cache line. */
#include <inttypes.h>
#include <stdlib.h>

#include "error.h"
#include "report_int.h"

static const struct rcolumn kv_cols[] = { LEFT(NULL), LEFT(NULL) };

static void lifetime(struct rtable *t, const struct prof_run *run, const struct prof_object *o)
{
	uint64_t start = run->run.start_ns;

	if (o->alloc_ns > start) {
		rtable_str(t, "allocated");
		rtable_duration(t, o->alloc_ns - start);
	}
	rtable_str(t, "freed");
	if (o->free_ns > start)
		rtable_duration(t, o->free_ns - start);
	else
		rtable_str(t, "never: live at the end");
}

static void accesses(struct rtable *t, const struct prof_access *a)
{
	rtable_str(t, "samples");
	rtable_int(t, a->samples);
	rtable_str(t, "writes");
	if (a->reads + a->writes)
		rtable_percent(t, 100.0 * a->writes / a->samples);
	else
		rtable_str(t, "unknown (the sampler cannot tell)");
	rtable_str(t, "remote");
	if (a->located)
		rtable_percent(t, 100.0 * a->remote / a->located);
	else
		rtable_str(t, "unknown (no sample with both nodes known)");
	rtable_str(t, "threads");
	rtable_int(t, a->threads);
	rtable_str(t, "pattern");
	rtable_str(t, access_pattern(a));
	if (a->spans.sweepers) {
		rtable_str(t, "left out");
		rtable_text(t, "%d thread%s sweeping the object while others keep to parts of it "
			    "(an initialisation?): %" PRIu64 " samples", a->spans.sweepers,
			    a->spans.sweepers > 1 ? "s" : "", a->spans.sweepers_samples);
	}
	if (a->spans.minor) {
		rtable_str(t, "left out");
		rtable_text(t, "%d thread%s with under 1%% of the samples: %" PRIu64 " sample%s",
			    a->spans.minor, a->spans.minor > 1 ? "s" : "", a->spans.minor_samples,
			    a->spans.minor_samples > 1 ? "s" : "");
	}
}

void section_object(struct ctx *c)
{
	const struct prof_object *o = prof_object(c->run, c->opts->object);
	const struct prof_access *a = o ? prof_access(c->run, o->id) : NULL;
	struct rtable *t = report_add_table(c->rep, "object", kv_cols, 2, "Object %" PRId64,
					    c->opts->object);
	char *where, *name;

	if (!o) {
		t->note = xstrdup("no such object in this profile");
		return;
	}
	where = describe_callsite(c->run, o->callsite_id);
	rtable_str(t, "id");
	rtable_int(t, o->id);
	rtable_str(t, "kind");
	rtable_str(t, kind_text(o->kind));
	rtable_str(t, "size");
	rtable_bytes(t, o->size);
	rtable_str(t, "address");
	rtable_address(t, o->addr);
	rtable_str(t, "thread");
	rtable_text(t, "%d (process %d)", o->tid, o->pid);
	rtable_str(t, "name");
	name = object_name(o);
	rtable_str(t, name ? name : "-");
	free(name);
	rtable_str(t, "allocated at");
	rtable_str(t, where);
	lifetime(t, c->run, o);
	if (a)
		accesses(t, a);
	free(where);
}
