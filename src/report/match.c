/* Objects of different runs of one program matched by what stays the
 * same across runs despite ASLR: the allocation call stack as (module,
 * offset) frames, for a static its module and symbol, for a thread's
 * copy of a thread-local variable its symbol (every thread's summed).
 * --diff pairs two runs' matches; a job report groups every rank's. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "error.h"
#include "report_int.h"

/* "buildid:ab+0x1100;...", "static buildid:ab table" or "tls ? counter". */
static char *match_key(const struct prof_run *run, const struct prof_object *o)
{
	const struct prof_callsite *cs = prof_callsite(run, o->callsite_id);
	char *buf = NULL;
	size_t len;
	FILE *f;

	if (!cs)
		return (o->kind == OBJ_STATIC || o->kind == OBJ_TLS) && o->name ?
			xasprintf("%s %s %s", obj_kind_name(o->kind), o->module ? o->module : "?",
				  o->name) : NULL;
	f = open_memstream(&buf, &len);
	for (int i = 0; i < cs->nframes; i++)
		fprintf(f, "%s%s+%#" PRIx64, i ? ";" : "", cs->frames[i]->module ? cs->frames[i]->module : "?",
			cs->frames[i]->offset);
	fclose(f);
	return buf;
}

static int by_key(const void *x, const void *y)
{
	return strcmp(((const struct site_match *)x)->key, ((const struct site_match *)y)->key);
}

/* One match per key of the run: its objects (of --pid) summed.  *n of
 * them, sorted by key. */
struct site_match *site_matches(const struct ctx *c, const struct prof_run *run, size_t *n)
{
	struct site_match *m = xcalloc(run->nobjects + 1, sizeof(*m));
	size_t k = 0;

	for (size_t i = 0; i < run->nobjects; i++) {
		const struct prof_object *o = &run->objects[i];
		char *key = want_pid(c, o->pid) ? match_key(run, o) : NULL;

		if (key)
			m[k++] = (struct site_match){ .key = key, .run = run, .callsite_id = o->callsite_id,
						 .name = o->name, .objects = 1, .bytes = o->size };
		if (key && prof_access(run, o->id)) {
			const struct prof_access *a = prof_access(run, o->id);

			m[k - 1].samples = a->samples;
			m[k - 1].located = a->located;
			m[k - 1].remote = a->remote;
			m[k - 1].weight = a->weight;
		}
	}
	qsort(m, k, sizeof(*m), by_key);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		struct site_match *last = *n ? &m[*n - 1] : NULL;

		if (last && !strcmp(last->key, m[i].key)) {
			last->objects++;
			last->bytes += m[i].bytes, last->samples += m[i].samples;
			last->located += m[i].located, last->remote += m[i].remote;
			last->weight += m[i].weight;
			free(m[i].key);
		} else {
			m[(*n)++] = m[i];
		}
	}
	return m;
}

char *site_where(const struct site_match *m)
{
	if (m->callsite_id)
		return describe_callsite(m->run, m->callsite_id);
	char *name = demangle(m->name);
	char *where = xasprintf("%s (%s)", name ? name : m->name,
				strncmp(m->key, "tls ", 4) ? "static" : "thread-local");

	free(name);
	return where;
}

void site_matches_free(struct site_match *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].key);
	free(m);
}
