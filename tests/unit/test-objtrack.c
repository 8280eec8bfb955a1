/* The object tracker: lifetimes, address reuse, kind priority, fork,
 * weighted picks and a large-scale timing. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "objtrack.h"
#include "unit.h"

static int64_t add(struct objtrack *ot, pid_t pid, enum obj_kind kind, uint64_t addr,
		   uint64_t size, uint64_t alloc_ns)
{
	struct nm_object o = { .pid = pid, .tid = pid, .kind = kind, .addr = addr,
			       .size = size, .alloc_ns = alloc_ns, .name = "test" };
	return objtrack_add(ot, &o);
}

static int64_t id_at(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t)
{
	const struct nm_object *o = objtrack_lookup(ot, pid, addr, t);
	return o ? o->id : 0;
}

static void test_lifetimes_and_reuse(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	int64_t a, b, c;

	a = add(ot, 1, OBJ_HEAP, 0x1000, 0x100, 10);
	CHECK(a > 0);
	CHECK_INT(id_at(ot, 1, 0x1000, 9), 0);       /* before allocation */
	CHECK_INT(id_at(ot, 1, 0x1000, 10), a);
	CHECK_INT(id_at(ot, 1, 0x10ff, 50), a);
	CHECK_INT(id_at(ot, 1, 0x1100, 50), 0);      /* one past the end */
	CHECK_INT(id_at(ot, 2, 0x1000, 50), 0);      /* another process */

	CHECK_INT(objtrack_release(ot, 1, 0x1000, 100), a);
	CHECK_INT(objtrack_release(ot, 1, 0x1000, 101), 0);   /* double free */
	CHECK_INT(id_at(ot, 1, 0x1080, 99), a);
	CHECK_INT(id_at(ot, 1, 0x1080, 100), 0);     /* freed before the sample */

	/* The address is reused by a bigger block, then by a smaller one. */
	b = add(ot, 1, OBJ_HEAP, 0x1000, 0x200, 200);
	CHECK_INT(objtrack_release(ot, 1, 0x1000, 300), b);
	c = add(ot, 1, OBJ_HEAP, 0x1000, 0x10, 400);
	CHECK_INT(id_at(ot, 1, 0x1080, 50), a);
	CHECK_INT(id_at(ot, 1, 0x1180, 250), b);
	CHECK_INT(id_at(ot, 1, 0x1080, 350), 0);
	CHECK_INT(id_at(ot, 1, 0x1008, 500), c);
	CHECK(objtrack_live_at(ot, 1, 0x1008) && objtrack_live_at(ot, 1, 0x1008)->id == c);
	CHECK(!objtrack_live_at(ot, 1, 0x1080));
	CHECK_INT(objtrack_count(ot), 3);
	objtrack_free(ot);
}

static void test_kind_priority(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	int64_t mapping, mm, heap, stat;

	mapping = add(ot, 1, OBJ_MAPPING, 0x10000, 0x10000, 0);
	mm = add(ot, 1, OBJ_MMAP, 0x10000, 0x8000, 5);
	heap = add(ot, 1, OBJ_HEAP, 0x11000, 0x100, 6);
	stat = add(ot, 1, OBJ_STATIC, 0x18000, 0x40, 0);
	CHECK_INT(id_at(ot, 1, 0x11010, 7), heap);
	CHECK_INT(id_at(ot, 1, 0x11010, 5), mm);     /* heap not yet allocated */
	CHECK_INT(id_at(ot, 1, 0x12000, 7), mm);
	CHECK_INT(id_at(ot, 1, 0x18010, 7), stat);
	CHECK_INT(id_at(ot, 1, 0x19000, 7), mapping);

	/* munmap ends mmap and mapping objects, not the heap block inside. */
	objtrack_unmap(ot, 1, 0x10000, 0x1000, 20);
	CHECK_INT(id_at(ot, 1, 0x12000, 19), mm);
	CHECK_INT(id_at(ot, 1, 0x12000, 21), 0);
	CHECK_INT(id_at(ot, 1, 0x11010, 21), heap);
	CHECK_INT(objtrack_release(ot, 1, 0x10000, 22), 0);   /* mmap already ended */

	objtrack_end_process(ot, 1, 30, true);
	CHECK_INT(id_at(ot, 1, 0x11010, 29), heap);
	CHECK_INT(id_at(ot, 1, 0x11010, 31), 0);
	CHECK_INT(id_at(ot, 1, 0x18010, 31), 0);
	objtrack_free(ot);
}

static int count_live(void *arg, const struct nm_object *obj)
{
	(*(int *)arg)++;
	return 0;
}

static void test_fork(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	int64_t a, b;
	const struct nm_object *o;
	int n = 0;

	a = add(ot, 1, OBJ_HEAP, 0x1000, 0x100, 10);
	b = add(ot, 1, OBJ_HEAP, 0x2000, 0x100, 10);
	objtrack_release(ot, 1, 0x2000, 20);
	objtrack_fork(ot, 1, 2, 30);
	objtrack_foreach_live(ot, 2, count_live, &n);
	CHECK_INT(n, 1);
	o = objtrack_lookup(ot, 2, 0x1010, 40);
	CHECK(o && o->id != a && o->id != b && o->pid == 2 && o->alloc_ns == 30);
	CHECK(o && o->name && !strcmp(o->name, "test"));
	CHECK_INT(id_at(ot, 2, 0x1010, 29), 0);
	CHECK_INT(id_at(ot, 2, 0x2010, 40), 0);
	/* The child's free does not end the parent's block. */
	CHECK(objtrack_release(ot, 2, 0x1000, 50) > 0);
	CHECK_INT(id_at(ot, 1, 0x1010, 60), a);
	objtrack_free(ot);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sizes 1:2:3:4 plus a mapping (never picked) and a freed block. */
static void test_pick_weighted(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	int64_t ids[4];
	int hits[4] = { 0 }, i, j, draws = 100000;
	uint64_t seed = 88172645463325252ULL;
	double chi2 = 0;

	add(ot, 1, OBJ_MAPPING, 0x100000, 0x100000, 0);
	for (i = 0; i < 4; i++)
		ids[i] = add(ot, 1, i == 2 ? OBJ_MMAP : OBJ_HEAP, 0x1000 * (i + 1), 100 * (i + 1), 1);
	add(ot, 1, OBJ_HEAP, 0x9000, 10000, 1);
	objtrack_release(ot, 1, 0x9000, 2);
	for (i = 0; i < draws; i++) {
		const struct nm_object *o = objtrack_pick_weighted(ot, 1, xorshift(&seed));

		CHECK(o != NULL);
		for (j = 0; o && j < 4; j++)
			hits[j] += o->id == ids[j];
	}
	for (j = 0; j < 4; j++) {
		double want = draws * (j + 1) / 10.0;
		chi2 += (hits[j] - want) * (hits[j] - want) / want;
	}
	/* 3 degrees of freedom: P(chi2 > 16.3) = 0.001. */
	printf("pick_weighted: hits %d %d %d %d, chi2 %.2f\n", hits[0], hits[1], hits[2], hits[3], chi2);
	CHECK(chi2 < 16.3);
	CHECK(!objtrack_pick_weighted(ot, 7, 1));
	objtrack_free(ot);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A malloc-like churn: 1e6 objects, half freed, addresses reused. */
/* Thread stacks and the mmap reservations they come from are never
 * picked; uniform picks ignore size. */
static void test_reservations_and_uniform(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	uint64_t seed = 7;
	int hits[3] = { 0 };
	int64_t small, big, other;

	small = add(ot, 1, OBJ_HEAP, 0x1000, 64, 1);
	big = add(ot, 1, OBJ_HEAP, 0x100000, 1 << 20, 1);
	other = add(ot, 1, OBJ_STATIC, 0x9000, 64, 1);
	add(ot, 1, OBJ_MMAP, 0x10000000, 8 << 20, 1);
	add(ot, 1, OBJ_STACK, 0x10001000, (8 << 20) - 4096, 1);
	objtrack_mark_reserved(ot, 1, 0x10002000);
	for (int i = 0; i < 3000; i++) {
		const struct nm_object *w = objtrack_pick_weighted(ot, 1, xorshift(&seed));
		const struct nm_object *u = objtrack_pick_uniform(ot, 1, xorshift(&seed));

		CHECK(w && w->kind != OBJ_STACK && w->kind != OBJ_MMAP);
		CHECK(u && u->kind != OBJ_STACK && u->kind != OBJ_MMAP);
		if (u)
			hits[u->id == small ? 0 : u->id == big ? 1 : u->id == other ? 2 : 0]++;
	}
	/* Each of the three pickable objects about a third of the time. */
	for (int i = 0; i < 3; i++)
		CHECK(hits[i] > 800 && hits[i] < 1200);
	objtrack_free(ot);
}

static void test_scale(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	const int n = 1000000, slots = 50000;
	uint64_t seed = 12345, t = 1;
	int i, found = 0;
	double t0 = seconds(), t1;

	for (i = 0; i < n; i++) {
		uint64_t addr = 0x10000000 + (xorshift(&seed) % slots) * 64;

		objtrack_release(ot, 1, addr, t++);
		add(ot, 1, OBJ_HEAP, addr, 48, t++);
	}
	t1 = seconds();
	for (i = 0; i < n; i++) {
		uint64_t addr = 0x10000000 + (xorshift(&seed) % slots) * 64 + 8;

		found += objtrack_lookup(ot, 1, addr, t) != NULL;
	}
	printf("scale: %d adds+frees %.2fs, %d lookups %.2fs\n", n, t1 - t0, n, seconds() - t1);
	CHECK(found > n / 2);
	CHECK_INT(objtrack_count(ot), n);
	objtrack_free(ot);
}

int main(void)
{
	test_lifetimes_and_reuse();
	test_kind_priority();
	test_fork();
	test_pick_weighted();
	test_reservations_and_uniform();
	test_scale();
	return unit_done();
}
