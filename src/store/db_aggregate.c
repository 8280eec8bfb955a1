/* The aggregate tables (doc/schema.md), from samples.
 *
 * The writer feeds them each sample it stores (db_aggregates_add()): the
 * end of a run then writes them without reading the samples back, which
 * took a microsecond a sample after the program had ended.  A profile
 * whose writer died before has them rebuilt from its samples table by
 * one pass over it, through the same code.  Either way every table is fed
 * at once: counts grouped in hash
 * tables, and the distinct (line, thread) and (line, object, writer)
 * triples sorted in arrays.  As GROUP BY queries (one sort of all the
 * samples per table) they cost 4 us a sample, five times what storing
 * it does; this is a tenth of that.  Rows are written in the order those
 * queries gave them: by key, NULL first.  Pages are 4 KiB and cache
 * lines 64 bytes whatever the machine: the aggregates are for comparing
 * access patterns, and those are the sizes placement works with. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "error.h"
#include "sorted.h"

#define PAGE 4096
#define LINE 64

/* ---- grouped counts: object_thread, object_page_thread, object_node,
 * object_page_node ---- */

/* A group key of up to three integers, any of them NULL (bit i of
 * nulls); the unused ones are 0. */
struct key {
	int64_t v[3];
	unsigned nulls;
};

struct group {
	struct key key;
	bool used;
	int64_t samples, reads, writes, weight;
	bool has_weight;        /* sum(weight) over no value is NULL */
};

struct groups {
	struct group *v;
	size_t cap, n;
};

static uint64_t key_hash(const struct key *k)
{
	uint64_t h = k->nulls * 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 3; i++)
		h = (h ^ (uint64_t)k->v[i]) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 32;
}

static bool key_equal(const struct key *a, const struct key *b)
{
	return a->nulls == b->nulls && !memcmp(a->v, b->v, sizeof(a->v));
}

static struct group *slot(struct group *v, size_t cap, const struct key *k)
{
	size_t i = key_hash(k) & (cap - 1);

	while (v[i].used && !key_equal(&v[i].key, k))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* The group of key k, created empty; the table stays at most half full. */
static struct group *group_of(struct groups *g, const struct key *k)
{
	struct group *e;

	if (2 * (g->n + 1) > g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct group *v = xcalloc(cap, sizeof(*v));

		for (size_t i = 0; i < g->cap; i++)
			if (g->v[i].used)
				*slot(v, cap, &g->v[i].key) = g->v[i];
		free(g->v);
		g->v = v;
		g->cap = cap;
	}
	e = slot(g->v, g->cap, k);
	if (!e->used) {
		memset(e, 0, sizeof(*e));
		e->key = *k;
		e->used = true;
		g->n++;
	}
	return e;
}

/* SQLite's order: NULL first, then by value, column by column. */
static int compare_keys(const struct key *a, const struct key *b)
{
	for (int i = 0; i < 3; i++) {
		unsigned bit = 1u << i;

		if ((a->nulls ^ b->nulls) & bit)
			return a->nulls & bit ? -1 : 1;
		if (a->nulls & bit)
			continue;
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	}
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return compare_keys(&((const struct group *)a)->key, &((const struct group *)b)->key);
}

/* The table's groups, packed at its start and sorted by key. */
static void sort_groups(struct groups *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->cap; i++)
		if (g->v[i].used)
			g->v[n++] = g->v[i];
	if (n)
		qsort(g->v, n, sizeof(*g->v), by_key);
}

static void bind_key(sqlite3_stmt *st, const struct key *k, int nkeys)
{
	for (int i = 0; i < nkeys; i++) {
		if (k->nulls & 1u << i)
			sqlite3_bind_null(st, i + 1);
		else
			sqlite3_bind_int64(st, i + 1, k->v[i]);
	}
}

static void step(struct nm_db *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("%s: cannot write the aggregates: %s", db_path(db), sqlite3_errmsg(db_sqlite(db)));
	sqlite3_reset(st);
}

/* Writes the groups' keys and counts: the counts that follow the keys
 * are samples, then (object_thread) reads, writes and weight. */
static void write_groups(struct nm_db *db, struct groups *g, const char *sql, int nkeys,
			 bool access_counts)
{
	sqlite3_stmt *st = db_prepare(db, sql);

	sort_groups(g);
	for (size_t i = 0; i < g->n; i++) {
		const struct group *e = &g->v[i];

		bind_key(st, &e->key, nkeys);
		sqlite3_bind_int64(st, nkeys + 1, e->samples);
		if (access_counts) {
			sqlite3_bind_int64(st, nkeys + 2, e->reads);
			sqlite3_bind_int64(st, nkeys + 3, e->writes);
			if (e->has_weight)
				sqlite3_bind_int64(st, nkeys + 4, e->weight);
			else
				sqlite3_bind_null(st, nkeys + 4);
		}
		step(db, st);
	}
	sqlite3_finalize(st);
}

/* ---- distinct triples: thread_sharing and line_writers ---- */

struct triple {
	struct key key;
};

struct triples {
	struct triple *v;
	size_t n, cap;
};

static void sort_unique(struct triples *t);

/* Full, the array drops its duplicates before it grows: a run keeps the
 * distinct triples, not one per sample. */
static void push_triple(struct triples *t, const struct key *k)
{
	if (t->n == t->cap) {
		sort_unique(t);
		if (2 * t->n >= t->cap) {
			t->cap = t->cap ? 2 * t->cap : 1024;
			t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
		}
	}
	t->v[t->n++].key = *k;
}

/* A key's column as a number whose unsigned order is compare_keys()'s:
 * NULL first, then the values, signed.  false: the one value that does
 * not fit (INT64_MAX, which would tie with NULL). */
static bool column_order(const struct key *k, int col, uint64_t *out)
{
	if (k->nulls >> col & 1) {
		*out = 0;
		return true;
	}
	*out = ((uint64_t)k->v[col] ^ 1ULL << 63) + 1;
	return *out != 0;
}

static int by_triple(const void *a, const void *b)
{
	return compare_keys(&((const struct triple *)a)->key, &((const struct triple *)b)->key);
}

/* t in compare_keys()'s order: stable radix passes (sort_keys()) over the
 * columns, the last first.  The arrays are sorted each time they fill,
 * and qsort's comparisons of 32-byte triples were a fifth of storing a
 * sample. */
static void sort_triples(struct triples *t)
{
	struct sort_key *keys = xmalloc_array(t->n, sizeof(*keys));
	struct triple *sorted;

	for (size_t i = 0; i < t->n; i++)
		keys[i].item = (uint32_t)i;
	for (int col = 2; col >= 0; col--) {
		for (size_t i = 0; i < t->n; i++)
			if (!column_order(&t->v[keys[i].item].key, col, &keys[i].key)) {
				free(keys);
				qsort(t->v, t->n, sizeof(*t->v), by_triple);
				return;
			}
		sort_keys(keys, t->n);
	}
	sorted = xmalloc_array(t->n, sizeof(*sorted));
	for (size_t i = 0; i < t->n; i++)
		sorted[i] = t->v[keys[i].item];
	memcpy(t->v, sorted, t->n * sizeof(*sorted));
	free(sorted);
	free(keys);
}

/* Sorted, duplicates dropped. */
static void sort_unique(struct triples *t)
{
	size_t n = 0;

	if (t->n > UINT32_MAX)
		qsort(t->v, t->n, sizeof(*t->v), by_triple);
	else if (t->n)
		sort_triples(t);
	for (size_t i = 0; i < t->n; i++)
		if (!n || compare_keys(&t->v[n - 1].key, &t->v[i].key))
			t->v[n++] = t->v[i];
	t->n = n;
}

/* A pair of threads sharing one line or page: (tid_a, tid_b), a < b. */
struct pair {
	int64_t a, b;
};

struct pairs {
	struct pair *v;
	size_t n, cap;
};

static int by_pair(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* Every pair of threads in each run of (pid, line-or-page, tid) triples
 * (sorted, distinct) that shares its pid and place. */
static void pairs_of(const struct triples *t, struct pairs *out)
{
	for (size_t start = 0, end; start < t->n; start = end) {
		const struct key *k = &t->v[start].key;

		for (end = start + 1; end < t->n && t->v[end].key.v[0] == k->v[0] &&
		     t->v[end].key.v[1] == k->v[1]; end++)
			;
		for (size_t i = start; i < end; i++)
			for (size_t j = i + 1; j < end; j++) {
				if (out->n == out->cap) {
					out->cap = out->cap ? 2 * out->cap : 1024;
					out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
				}
				out->v[out->n++] = (struct pair){ t->v[i].key.v[2], t->v[j].key.v[2] };
			}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_pair);
}

/* How many times the pair at *i occurs in p, *i moved past them. */
static size_t pair_run(const struct pairs *p, size_t *i)
{
	size_t start = *i;

	while (*i < p->n && !by_pair(&p->v[*i], &p->v[start]))
		(*i)++;
	return *i - start;
}

/* thread_sharing: for each pair of threads, the pages and the lines both
 * touched (in the same process).  lines are (pid, line, tid) with pid
 * and tid known; a pair sharing a line shares its page. */
static void write_sharing(struct nm_db *db, struct triples *lines)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO thread_sharing VALUES (?, ?, ?, ?)");
	struct triples pages = { 0 };
	struct pairs line_pairs = { 0 }, page_pairs = { 0 };
	size_t i = 0, j = 0;

	sort_unique(lines);
	for (size_t k = 0; k < lines->n; k++) {
		struct key page = lines->v[k].key;

		page.v[1] /= LINE;
		push_triple(&pages, &page);
	}
	sort_unique(&pages);
	pairs_of(lines, &line_pairs);
	pairs_of(&pages, &page_pairs);
	while (i < page_pairs.n) {
		struct pair p = page_pairs.v[i];
		size_t npages = pair_run(&page_pairs, &i), nlines = 0;

		while (j < line_pairs.n && by_pair(&line_pairs.v[j], &p) < 0)
			j++;
		if (j < line_pairs.n && !by_pair(&line_pairs.v[j], &p))
			nlines = pair_run(&line_pairs, &j);
		sqlite3_bind_int64(st, 1, p.a);
		sqlite3_bind_int64(st, 2, p.b);
		sqlite3_bind_int64(st, 3, npages);
		sqlite3_bind_int64(st, 4, nlines);
		step(db, st);
	}
	sqlite3_finalize(st);
	free(pages.v);
	free(line_pairs.v);
	free(page_pairs.v);
}

/* The same (line, object): NULL parts hold 0, so the values and the
 * NULL bits say it. */
static bool same_line_object(const struct key *a, const struct key *b)
{
	return a->v[0] == b->v[0] && a->v[1] == b->v[1] && (a->nulls & 3) == (b->nulls & 3);
}

/* The tids of the run [start, end) of w that are not NULL, "101,102",
 * into *buf (grown as needed); false when there is none. */
static bool format_tids(const struct triples *w, size_t start, size_t end, char **buf, size_t *cap)
{
	size_t len = 0;

	for (size_t i = start; i < end; i++) {
		if (w->v[i].key.nulls & 4)
			continue;
		/* A comma, 20 digits and a sign, the terminating NUL. */
		if (*cap - len < 23) {
			*cap = *cap ? 2 * *cap : 256;
			*buf = xrealloc(*buf, *cap);
		}
		len += (size_t)sprintf(*buf + len, "%s%lld", len ? "," : "",
				       (long long)w->v[i].key.v[2]);
	}
	return len > 0;
}

/* line_writers: for each written line and object (NULL: none), the
 * distinct writing threads and their tids "101,102", ascending.  One
 * buffer for every row's tids: a stream opened per row cost half of
 * the time of this table (a run of 16,000 samples: 6,000 rows,
 * 11 ms then 5.5). */
static void write_writers(struct nm_db *db, struct triples *w)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO line_writers VALUES (?, ?, ?, ?)");
	size_t cap = 0;
	char *tids = NULL;

	sort_unique(w);
	for (size_t start = 0, end; start < w->n; start = end) {
		const struct key *k = &w->v[start].key;

		for (end = start; end < w->n && same_line_object(&w->v[end].key, k); end++)
			;
		bind_key(st, k, 2);
		sqlite3_bind_int64(st, 3, end - start);
		if (format_tids(w, start, end, &tids, &cap))
			sqlite3_bind_text(st, 4, tids, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		step(db, st);
	}
	free(tids);
	sqlite3_finalize(st);
}

/* ---- feeding them ---- */

struct db_aggregates {
	struct groups object_thread, object_page_thread, object_node, object_page_node;
	struct triples lines, writes;
};

/* A sample's columns as the tables read them, by the column of the
 * pass's query (access apart), a NULL one with its bit in nulls. */
enum { C_OBJECT, C_PID, C_TID, C_NODE, C_PAGE_NODE, C_ADDRESS, C_ACCESS, C_WEIGHT,
       C_OBJ_ID, C_OBJ_ADDRESS, NR_COLUMNS };

struct row {
	int64_t v[NR_COLUMNS];
	unsigned nulls;
	char access;            /* 'R', 'W', or anything else */
};

static bool is_null(const struct row *r, int col)
{
	return r->nulls >> col & 1;
}

/* Column col of the row as key part i. */
static void key_column(struct key *k, int i, const struct row *r, int col)
{
	if (is_null(r, col)) {
		k->v[i] = 0;
		k->nulls |= 1u << i;
	} else {
		k->v[i] = r->v[col];
	}
}

static void add_row(struct db_aggregates *a, const struct row *r)
{
	bool read = r->access == 'R', write = r->access == 'W';
	int64_t addr = r->v[C_ADDRESS];
	struct key k = { 0 };

	if (!is_null(r, C_OBJECT)) {
		struct group *g;

		key_column(&k, 0, r, C_OBJECT);
		key_column(&k, 1, r, C_PID);
		key_column(&k, 2, r, C_TID);
		g = group_of(&a->object_thread, &k);
		g->samples++;
		g->reads += read;
		g->writes += write;
		if (!is_null(r, C_WEIGHT)) {
			g->weight += r->v[C_WEIGHT];
			g->has_weight = true;
		}
		k = (struct key){ { k.v[0] }, k.nulls & 1 };
		if (!is_null(r, C_NODE)) {
			key_column(&k, 1, r, C_NODE);
			group_of(&a->object_node, &k)->samples++;
		}
		k = (struct key){ { k.v[0] }, k.nulls & 1 };
		if (!is_null(r, C_PAGE_NODE)) {
			key_column(&k, 1, r, C_PAGE_NODE);
			group_of(&a->object_page_node, &k)->samples++;
		}
		/* Joined with the object: the page within it. */
		k = (struct key){ { k.v[0] }, k.nulls & 1 };
		if (!is_null(r, C_OBJ_ID) && !is_null(r, C_ADDRESS)) {
			if (is_null(r, C_OBJ_ADDRESS))
				k.nulls |= 2;
			else
				k.v[1] = (addr - r->v[C_OBJ_ADDRESS]) / PAGE;
			key_column(&k, 2, r, C_TID);
			group_of(&a->object_page_thread, &k)->samples++;
		}
	}
	if (is_null(r, C_ADDRESS))
		return;
	/* Threads of unknown pid or tid share nothing. */
	if (!is_null(r, C_PID) && !is_null(r, C_TID))
		push_triple(&a->lines, &(struct key){ { r->v[C_PID], addr / LINE, r->v[C_TID] }, 0 });
	if (write) {
		k = (struct key){ { addr / LINE * LINE }, 0 };
		key_column(&k, 1, r, C_OBJECT);
		key_column(&k, 2, r, C_TID);
		push_triple(&a->writes, &k);
	}
}

struct db_aggregates *db_aggregates_new(void)
{
	return xcalloc(1, sizeof(struct db_aggregates));
}

void db_aggregates_free(struct db_aggregates *a)
{
	if (!a)
		return;
	free(a->object_thread.v);
	free(a->object_page_thread.v);
	free(a->object_node.v);
	free(a->object_page_node.v);
	free(a->lines.v);
	free(a->writes.v);
	free(a);
}

/* s as the writer stores it (db.c's bind_sample()), joined with its
 * object's row: the one at s->object_addr. */
void db_aggregates_add(struct db_aggregates *a, const struct nm_sample *s)
{
	struct row r = {
		.v = { [C_OBJECT] = s->object_id, [C_PID] = s->pid, [C_TID] = s->tid,
		       [C_NODE] = s->node, [C_PAGE_NODE] = s->page_node,
		       [C_ADDRESS] = (int64_t)s->addr, [C_WEIGHT] = (int64_t)s->weight,
		       [C_OBJ_ID] = s->object_id, [C_OBJ_ADDRESS] = (int64_t)s->object_addr },
		.access = s->access,
	};

	if (!s->object_id)
		r.nulls |= 1u << C_OBJECT | 1u << C_OBJ_ID | 1u << C_OBJ_ADDRESS;
	if (s->node < 0)
		r.nulls |= 1u << C_NODE;
	if (s->page_node < 0)
		r.nulls |= 1u << C_PAGE_NODE;
	if (!s->addr)
		r.nulls |= 1u << C_ADDRESS;
	add_row(a, &r);
}

/* The samples table's rows, for a profile whose writer did not feed the
 * tables. */
static void read_samples(struct nm_db *db, struct db_aggregates *a)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT s.object_id, s.pid, s.tid, s.node, s.page_node, s.address, s.access, s.weight,"
		" o.id, o.address FROM samples s LEFT JOIN objects o ON o.id = s.object_id");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *access = (const char *)sqlite3_column_text(st, C_ACCESS);
		struct row r = { .access = access && access[0] && !access[1] ? access[0] : 0 };

		for (int c = 0; c < NR_COLUMNS; c++) {
			if (c == C_ACCESS)
				continue;
			if (sqlite3_column_type(st, c) == SQLITE_NULL)
				r.nulls |= 1u << c;
			else
				r.v[c] = sqlite3_column_int64(st, c);
		}
		add_row(a, &r);
	}
	if (rc != SQLITE_DONE)
		die("%s: cannot read the samples: %s", db_path(db), sqlite3_errmsg(db_sqlite(db)));
	sqlite3_finalize(st);
}

static void build(struct nm_db *db, void *arg)
{
	struct db_aggregates *fed = arg, *a = fed ? fed : db_aggregates_new();

	db_exec(db, DB_AGGREGATE_EMPTY);
	if (!fed)
		read_samples(db, a);
	write_groups(db, &a->object_thread, "INSERT INTO object_thread VALUES (?, ?, ?, ?, ?, ?, ?)",
		     3, true);
	write_groups(db, &a->object_page_thread, "INSERT INTO object_page_thread VALUES (?, ?, ?, ?)",
		     3, false);
	write_groups(db, &a->object_node, "INSERT INTO object_node VALUES (?, ?, ?)", 2, false);
	write_groups(db, &a->object_page_node, "INSERT INTO object_page_node VALUES (?, ?, ?)", 2, false);
	write_sharing(db, &a->lines);
	write_writers(db, &a->writes);
	if (!fed)
		db_aggregates_free(a);
	/* A profile from before the indexes came with the schema. */
	db_exec(db, DB_AGGREGATE_INDEXES);
}

void db_build_aggregates(struct nm_db *db, struct db_aggregates *fed)
{
	db_transaction(db, build, fed);
}
