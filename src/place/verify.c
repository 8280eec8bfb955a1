#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_placement.h"
#include "error.h"
#include "numa_syscall.h"
#include "session.h"
#include "trace_event.h"
#include "u64map.h"
#include "verify.h"

struct placed {
	int64_t id;
	pid_t pid;
	enum obj_kind kind;
	uint64_t addr, size;
	char *name, *rule;
	int nranges, failed;
	struct place_range *ranges;
	bool checked;
	bool folded;              /* checked and counted in the verifier's tallies */
	struct range_check total;
	uint64_t edge_pages;      /* spanned, but shared with a neighbour */
	size_t same_id;           /* 1 + the index of the one before with this id; 0: none */
};

/* What the checked entries of one sort (objects, or threads' own
 * memory) add up to. */
struct tally {
	uint64_t entries, present, on, absent, calls;
};

static void tally_add(struct tally *t, const struct placed *p)
{
	t->entries++;
	t->present += p->total.present;
	t->on += p->total.on_intended;
	t->absent += p->total.absent;
	t->calls += (uint64_t)p->nranges;
}

static double on_share(const struct tally *t)
{
	return t->present ? 100.0 * t->on / t->present : 100.0;
}

struct verifier {
	struct session *s;
	int list_all;
	struct placed *v;
	size_t n, cap;
	int64_t *seen;            /* open addressing, 0 = empty */
	size_t nseen, capseen;
	/* id -> 1 + the index of its latest entry in v: each release looks
	 * its block up (a linear search was 23% of run's cpu on cc1, 5,583
	 * placed blocks and 345,000 releases). */
	struct u64map by_id;
	/* addr_key(pid, addr) -> 1 + the index of the latest entry there: the
	 * agent's counts name a block by its address. */
	struct u64map by_addr;
	struct place_cost cost;   /* of every object placed */
	struct place_cost own_cost;       /* of threads' own memory moved */
	/* The entries folded (fold()): what they add up to, and their slots,
	 * for the next objects placed. */
	struct tally objects, own;
	size_t *free_slots, nfree, capfree;
};

/* A thread's stack or thread-locals, moved (verifier_add()). */
static bool own_memory(int64_t id)
{
	return id < 0;
}

struct verifier *verifier_new(struct session *s, int list_all)
{
	struct verifier *v = xcalloc(1, sizeof(*v));

	v->s = s;
	v->list_all = list_all;
	v->capseen = 1024;
	v->seen = xcalloc(v->capseen, sizeof(*v->seen));
	s->placement_table = s->output != NULL;
	return v;
}

static size_t seen_slot(const struct verifier *v, int64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ULL) & (v->capseen - 1);

	while (v->seen[i] && v->seen[i] != id)
		i = (i + 1) & (v->capseen - 1);
	return i;
}

bool verifier_has(struct verifier *v, int64_t id)
{
	return v->seen[seen_slot(v, id)] == id;
}

void verifier_seen(struct verifier *v, int64_t id)
{
	if (2 * (v->nseen + 1) > v->capseen) {
		int64_t *old = v->seen;
		size_t oldcap = v->capseen;

		v->capseen *= 2;
		v->seen = xcalloc(v->capseen, sizeof(*v->seen));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				v->seen[seen_slot(v, old[i])] = old[i];
		free(old);
	}
	if (!verifier_has(v, id)) {
		v->seen[seen_slot(v, id)] = id;
		v->nseen++;
	}
}

static uint64_t pages_spanned(uint64_t addr, uint64_t size)
{
	return size ? (addr + size - 1) / PLACE_PAGE_SIZE - addr / PLACE_PAGE_SIZE + 1 : 0;
}

static uint64_t plan_pages(const struct place_plan *plan)
{
	uint64_t n = 0;

	for (int i = 0; i < plan->n; i++)
		n += plan->ranges[i].length / PLACE_PAGE_SIZE;
	return n;
}

static void sum_cost(struct place_cost *sum, const struct place_cost *c)
{
	sum->ns += c->ns;
	sum->move_calls += c->move_calls;
	sum->moved += c->moved;
	sum->madvise_calls += c->madvise_calls;
}

/* u64map's keys 0 and UINT64_MAX are not ids (no object has either). */
static bool indexable(int64_t id)
{
	return id != 0 && id != -1;
}

/* Never 0 nor UINT64_MAX (no key of a u64map); an entry found by it
 * is checked to be the block's. */
static uint64_t addr_key(pid_t pid, uint64_t addr)
{
	uint64_t key = (addr ^ (uint64_t)pid << 48) * 0x9e3779b97f4a7c15ULL;

	return key == 0 || key == UINT64_MAX ? 1 : key;
}

static void index_placed(struct verifier *v, struct placed *p)
{
	const struct u64map_slot *s;

	u64map_put(&v->by_addr, addr_key(p->pid, p->addr), (uint64_t)(p - v->v) + 1, 0);
	if (!indexable(p->id))
		return;
	s = u64map_find(&v->by_id, (uint64_t)p->id);
	p->same_id = s ? (size_t)s->a : 0;
	u64map_put(&v->by_id, (uint64_t)p->id, (uint64_t)(p - v->v) + 1, 0);
}

void verifier_add(struct verifier *v, const struct nm_object *obj,
		  const struct place_plan *plan, int failed, const struct place_cost *cost)
{
	struct placed *p;

	if (v->nfree) {
		p = &v->v[v->free_slots[--v->nfree]];
	} else {
		if (v->n == v->cap) {
			v->cap = v->cap ? 2 * v->cap : 64;
			v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
		}
		p = &v->v[v->n++];
	}
	memset(p, 0, sizeof(*p));
	p->id = obj->id;
	p->pid = obj->pid;
	p->kind = obj->kind;
	p->addr = obj->addr;
	p->size = obj->size;
	p->name = xstrdup(obj->name ? obj->name : "?");
	p->rule = xstrdup(plan->rule ? plan->rule : "");
	p->failed = failed;
	p->nranges = plan->n;
	p->ranges = xmalloc(plan->n * sizeof(*p->ranges));
	memcpy(p->ranges, plan->ranges, plan->n * sizeof(*p->ranges));
	p->edge_pages = pages_spanned(obj->addr, obj->size) - plan_pages(plan);
	sum_cost(own_memory(obj->id) ? &v->own_cost : &v->cost, cost);
	verifier_seen(v, obj->id);
	index_placed(v, p);
}

void range_check_add(struct range_check *rc, uint64_t nodemask, int status)
{
	rc->pages++;
	if (status < 0) {
		rc->absent++;            /* -ENOENT: never touched */
		return;
	}
	rc->present++;
	if (status < POLICY_MAX_NODES) {
		rc->per_node[status]++;
		if (nodemask & (1ULL << status))
			rc->on_intended++;
	}
}

static void query_batch(pid_t pid, void **pages, int *status, unsigned long n, range_pages_fn fn,
			void *arg, const int *range)
{
	if (nm_move_pages(pid, n, pages, NULL, status, 0) < 0)
		for (unsigned long i = 0; i < n; i++)
			status[i] = -errno;
	fn(arg, pages, status, range, n);
}

void query_range_pages(pid_t pid, uint64_t addr, const struct place_range *r, int n,
		       range_pages_fn fn, void *arg)
{
	void *pages[PAGES_BATCH];
	int status[PAGES_BATCH], range[PAGES_BATCH];
	unsigned long m = 0;

	for (int i = 0; i < n; i++)
		for (uint64_t k = 0; k < r[i].length / PLACE_PAGE_SIZE; k++) {
			pages[m] = (void *)(addr + r[i].offset + k * PLACE_PAGE_SIZE);
			range[m++] = i;
			if (m == PAGES_BATCH) {
				query_batch(pid, pages, status, m, fn, arg, range);
				m = 0;
			}
		}
	if (m)
		query_batch(pid, pages, status, m, fn, arg, range);
}

struct object_check {
	const struct placed *p;
	struct range_check *total;
};

static void count_pages(void *arg, void *const *pages, const int *status, const int *range,
			unsigned long n)
{
	struct object_check *c = arg;

	(void)pages;
	for (unsigned long i = 0; i < n; i++)
		range_check_add(c->total, c->p->ranges[range[i]].nodemask, status[i]);
}

static void store(struct verifier *v, const struct placed *p)
{
	char nodes[512] = "";
	size_t len = 0;

	if (!v->s->db)
		return;
	for (int n = 0; n < POLICY_MAX_NODES; n++)
		if (p->total.per_node[n] && len < sizeof(nodes) - 32)
			len += snprintf(nodes + len, sizeof(nodes) - len, "%s%d:%llu", len ? " " : "", n,
					(unsigned long long)p->total.per_node[n]);
	db_add_placement(v->s->db, &(struct db_placement){
		.object_id = p->id, .pid = p->pid, .addr = p->addr, .size = p->size, .rule = p->rule,
		.pages = p->total.pages, .present = p->total.present,
		.on_intended = p->total.on_intended, .absent = p->total.absent,
		.skipped = p->edge_pages, .failed_ranges = p->failed, .nodes = nodes });
}

/* Entry i out of the indexes: by_addr's, if it is the latest there, and
 * its id's chain. */
static void unindex(struct verifier *v, size_t i)
{
	const struct placed *p = &v->v[i];
	struct u64map_slot *s = u64map_find(&v->by_addr, addr_key(p->pid, p->addr));

	if (s && s->a == i + 1)
		u64map_remove(&v->by_addr, s);
	if (!indexable(p->id) || !(s = u64map_find(&v->by_id, (uint64_t)p->id)))
		return;
	if (s->a != i + 1) {
		for (size_t j = (size_t)s->a; j; j = v->v[j - 1].same_id)
			if (v->v[j - 1].same_id == i + 1)
				v->v[j - 1].same_id = p->same_id;
	} else if (p->same_id) {
		s->a = p->same_id;
	} else {
		u64map_remove(&v->by_id, s);
	}
}

/* A checked entry, its row stored, kept as numbers in the report's
 * tallies: its memory goes back and its slot to the next object placed
 * (a run that placed 761,000 blocks kept 800 bytes each to its end).
 * Not with list_all: the report lists every entry. */
static void fold(struct verifier *v, struct placed *p)
{
	size_t i = (size_t)(p - v->v);

	if (v->list_all)
		return;
	tally_add(own_memory(p->id) ? &v->own : &v->objects, p);
	unindex(v, i);
	free(p->name);
	free(p->rule);
	free(p->ranges);
	p->name = p->rule = NULL;
	p->ranges = NULL;
	p->folded = true;
	if (v->nfree == v->capfree) {
		v->capfree = v->capfree ? 2 * v->capfree : 64;
		v->free_slots = xrealloc(v->free_slots, v->capfree * sizeof(*v->free_slots));
	}
	v->free_slots[v->nfree++] = i;
}

static void check_placed(struct verifier *v, struct placed *p)
{
	if (p->checked)
		return;
	p->checked = true;
	query_range_pages(p->pid, p->addr, p->ranges, p->nranges, count_pages,
			  &(struct object_check){ p, &p->total });
	store(v, p);
	fold(v, p);
}

void verifier_check(struct verifier *v, pid_t pid, int64_t id)
{
	const struct u64map_slot *s;

	if (!indexable(id))
		return;
	s = u64map_find(&v->by_id, (uint64_t)id);
	for (size_t i = s ? (size_t)s->a : 0; i; i = v->v[i - 1].same_id)
		if (v->v[i - 1].pid == pid)
			check_placed(v, &v->v[i - 1]);
}

_Static_assert(NM_CHECK_NODES == POLICY_MAX_NODES, "the agent's counts are a check's");

void verifier_checked(struct verifier *v, pid_t pid, uint64_t addr, const struct nm_page_check *c)
{
	const struct u64map_slot *s = u64map_find(&v->by_addr, addr_key(pid, addr));
	struct placed *p = s ? &v->v[s->a - 1] : NULL;

	if (!p || p->pid != pid || p->addr != addr || p->checked)
		return;
	p->checked = true;
	p->total = (struct range_check){ .pages = c->pages, .present = c->present,
					 .on_intended = c->on_intended,
					 .absent = c->pages - c->present };
	memcpy(p->total.per_node, c->per_node, sizeof(p->total.per_node));
	store(v, p);
	fold(v, p);
}

void verifier_check_all(struct verifier *v, pid_t pid)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].pid == pid && !v->v[i].folded)
			check_placed(v, &v->v[i]);
}

static void print_object(const struct placed *p, const char *who)
{
	char id[32] = "thread's";

	if (!own_memory(p->id))
		snprintf(id, sizeof(id), "object %lld", (long long)p->id);
	fprintf(stderr, "numamma: run: %s%s %s %s %llu bytes: %s; pages %llu, present %llu, "
		"on intended node %llu, never touched %llu, skipped %llu (shared with a neighbour), "
		"failed ranges %d; nodes", who,
		id, obj_kind_name(p->kind), p->name, (unsigned long long)p->size,
		p->rule, (unsigned long long)p->total.pages, (unsigned long long)p->total.present,
		(unsigned long long)p->total.on_intended, (unsigned long long)p->total.absent,
		(unsigned long long)p->edge_pages, p->failed);
	for (int n = 0; n < POLICY_MAX_NODES; n++)
		if (p->total.per_node[n])
			fprintf(stderr, " %d:%llu", n, (unsigned long long)p->total.per_node[n]);
	fputc('\n', stderr);
}

void verifier_report(struct verifier *v, bool quiet)
{
	struct tally objects = v->objects, own = v->own;
	char who[32] = "";

	/* The ranks of a job share one terminal: each line says whose. */
	if (v->s->launcher.rank >= 0)
		snprintf(who, sizeof(who), "rank %d: ", v->s->launcher.rank);

	for (size_t i = 0; i < v->n; i++) {
		const struct placed *p = &v->v[i];

		if (!p->checked || p->folded)
			continue;
		tally_add(own_memory(p->id) ? &own : &objects, p);
		if (v->list_all)
			print_object(p, who);
	}
	if (quiet)
		return;
	fprintf(stderr, "numamma: run: %splaced %llu objects; %llu pages present, %llu on the intended "
		"node (%.1f%%), %llu never touched; %llu mbind calls, %llu move_pages calls "
		"(%llu pages mbind left behind moved), %llu madvise calls (huge pages split "
		"at range edges) in %.1f ms\n", who,
		(unsigned long long)objects.entries, (unsigned long long)objects.present,
		(unsigned long long)objects.on, on_share(&objects), (unsigned long long)objects.absent,
		(unsigned long long)objects.calls, (unsigned long long)v->cost.move_calls,
		(unsigned long long)v->cost.moved, (unsigned long long)v->cost.madvise_calls,
		v->cost.ns / 1e6);
	if (own.entries)
		fprintf(stderr, "numamma: run: %spinned threads' own memory (%llu stacks and "
			"thread-local blocks): %llu pages moved to their thread's node, %llu present "
			"at the check, %llu there (%.1f%%); %llu move_pages calls in %.1f ms\n", who,
			(unsigned long long)own.entries, (unsigned long long)v->own_cost.moved,
			(unsigned long long)own.present, (unsigned long long)own.on, on_share(&own),
			(unsigned long long)v->own_cost.move_calls, v->own_cost.ns / 1e6);
}
