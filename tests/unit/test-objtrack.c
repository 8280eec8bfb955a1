/* The object tracker: lifetimes, address reuse, kind priority, fork,
 * weighted picks and a large-scale timing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fake-statics.h"
#include "objtrack.h"
#include "resident.h"
#include "smallobj.h"
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

	CHECK_INT(objtrack_release(ot, 1, 0x1000, 100, NULL), a);
	CHECK_INT(objtrack_release(ot, 1, 0x1000, 101, NULL), 0);   /* double free */
	CHECK_INT(id_at(ot, 1, 0x1080, 99), a);
	CHECK_INT(id_at(ot, 1, 0x1080, 100), 0);     /* freed before the sample */

	/* The address is reused by a bigger block, then by a smaller one. */
	b = add(ot, 1, OBJ_HEAP, 0x1000, 0x200, 200);
	CHECK_INT(objtrack_release(ot, 1, 0x1000, 300, NULL), b);
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
	objtrack_unmap(ot, 1, 0x10000, 0x1000, 20, NULL, NULL);
	CHECK_INT(id_at(ot, 1, 0x12000, 19), mm);
	CHECK_INT(id_at(ot, 1, 0x12000, 21), 0);
	CHECK_INT(id_at(ot, 1, 0x11010, 21), heap);
	CHECK_INT(objtrack_release(ot, 1, 0x10000, 22, NULL), 0);   /* mmap already ended */

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
	objtrack_release(ot, 1, 0x2000, 20, NULL);
	objtrack_fork(ot, 1, 2, 30);
	objtrack_foreach_live(ot, 2, count_live, &n);
	CHECK_INT(n, 1);
	o = objtrack_lookup(ot, 2, 0x1010, 40);
	CHECK(o && o->id != a && o->id != b && o->pid == 2 && o->alloc_ns == 30);
	CHECK(o && o->name && !strcmp(o->name, "test"));
	CHECK_INT(id_at(ot, 2, 0x1010, 29), 0);
	CHECK_INT(id_at(ot, 2, 0x2010, 40), 0);
	/* The child's free does not end the parent's block. */
	CHECK(objtrack_release(ot, 2, 0x1000, 50, NULL) > 0);
	CHECK_INT(id_at(ot, 1, 0x1010, 60), a);
	objtrack_free(ot);
}

/* A region of the maps is explained when the pages of the process's
 * objects other than mappings cover it: an mmap, a malloc'd chunk (its
 * block 16 bytes in), adjacent blocks merged into one region; and, for a
 * fork child not yet given its copies, its parent's. */
static void test_explained(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	const uint64_t mib = 1 << 20, page = (uint64_t)sysconf(_SC_PAGESIZE);

	add(ot, 1, OBJ_MMAP, 0x10000000, 4 * mib, 10);
	CHECK(objtrack_explained(ot, 1, 0x10000000, 0x10000000 + 4 * mib));
	CHECK(!objtrack_explained(ot, 1, 0x10000000, 0x10000000 + 4 * mib + page));
	CHECK(!objtrack_explained(ot, 1, 0x10000000 - page, 0x10000000 + 4 * mib));
	add(ot, 1, OBJ_HEAP, 0x20000010, 4 * mib, 10);
	CHECK(objtrack_explained(ot, 1, 0x20000000, 0x20000000 + 4 * mib + page));
	add(ot, 1, OBJ_MMAP, 0x30000000, mib, 10);
	add(ot, 1, OBJ_MMAP, 0x30000000 + mib, mib, 10);
	CHECK(objtrack_explained(ot, 1, 0x30000000, 0x30000000 + 2 * mib));
	add(ot, 1, OBJ_MMAP, 0x30000000 + 3 * mib, mib, 10);
	CHECK(!objtrack_explained(ot, 1, 0x30000000, 0x30000000 + 4 * mib));
	/* A mapping explains nothing, nor does a freed block. */
	add(ot, 1, OBJ_MAPPING, 0x40000000, mib, 10);
	CHECK(!objtrack_explained(ot, 1, 0x40000000, 0x40000000 + mib));
	objtrack_release(ot, 1, 0x10000000, 20, NULL);
	CHECK(!objtrack_explained(ot, 1, 0x10000000, 0x10000000 + 4 * mib));
	CHECK(!objtrack_explained(ot, 9, 0x20000000, 0x20000000 + page));
	/* The child answers from its parent's without copying them. */
	objtrack_fork(ot, 1, 2, 30);
	CHECK(objtrack_explained(ot, 2, 0x20000000, 0x20000000 + 4 * mib + page));
	CHECK(!objtrack_explained(ot, 2, 0x10000000, 0x10000000 + 4 * mib));
	CHECK_INT(objtrack_count(ot), 6);
	objtrack_free(ot);
}

static int64_t add_seen(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t size,
			uint64_t since_ns, uint64_t seen_ns)
{
	struct nm_object o = { .pid = pid, .tid = pid, .kind = OBJ_MAPPING, .addr = addr,
			       .size = size, .alloc_ns = since_ns, .name = "[anon]" };
	return objtrack_add_seen(ot, &o, seen_ns);
}

static int64_t found_id(struct objtrack *ot, pid_t pid, uint64_t addr, uint64_t t)
{
	const struct nm_object *o = objtrack_find(ot, pid, addr, t);
	return o ? o->id : 0;
}

/* A maps read (at 100) between an mmap's call (at 50) and its record saw
 * the block's region first: the record unmakes that mapping, whole or
 * merged with an older block's region, and leaves the others: one a block
 * made after the read does not explain, one it covers in part, one a
 * sample was matched to, one of an older read, one of another process. */
static void test_seen_before_its_block(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	const uint64_t mib = 1 << 20, a = 0x10000000, b = 0x20000000;
	int64_t later, claimed, part, other;
	size_t before;

	add(ot, 1, OBJ_MMAP, b, mib, 5);
	add_seen(ot, 1, a, 4 * mib, 40, 100);
	add_seen(ot, 1, b, 3 * mib, 40, 100);         /* b's block and the new one, merged */
	later = add_seen(ot, 1, 0x30000000, mib, 40, 100);
	part = add_seen(ot, 1, 0x40000000, 2 * mib, 40, 100);
	claimed = add_seen(ot, 1, 0x50000000, mib, 40, 100);
	other = add_seen(ot, 2, 0x60000000, mib, 40, 100);
	objtrack_claim(ot, objtrack_find(ot, 1, 0x50000000, 60));
	before = objtrack_count(ot);

	int64_t block = add(ot, 1, OBJ_MMAP, a, 4 * mib, 50);
	CHECK_INT(found_id(ot, 1, a + mib, 150), block);
	CHECK_INT(objtrack_count(ot), before);          /* one made, one unmade */
	add(ot, 1, OBJ_MMAP, b + mib, 2 * mib, 50);
	CHECK_INT(objtrack_count(ot), before);
	CHECK(found_id(ot, 1, b + 2 * mib, 150) != 0);
	add(ot, 1, OBJ_MMAP, 0x30000000, mib, 150);
	add(ot, 1, OBJ_MMAP, 0x40000000, mib, 50);
	add(ot, 1, OBJ_MMAP, 0x50000000, mib, 50);
	add(ot, 2, OBJ_MMAP, 0x60000000 + mib, mib, 50);
	CHECK_INT(objtrack_count(ot), before + 4);
	CHECK_INT(found_id(ot, 1, 0x40000000 + mib, 160), part);
	CHECK_INT(found_id(ot, 2, 0x60000000, 160), other);
	CHECK(found_id(ot, 1, 0x30000000, 160) != later);     /* the block wins a lookup */
	CHECK_INT(found_id(ot, 1, 0x30000000, 100), later);
	CHECK(found_id(ot, 1, 0x50000000, 160) != claimed);
	CHECK_INT(found_id(ot, 1, 0x50000000, 45), claimed);

	/* A second read: the first one's mappings are settled. */
	int64_t old = add_seen(ot, 1, 0x70000000, mib, 40, 100);
	add_seen(ot, 1, 0x80000000, mib, 100, 300);
	before = objtrack_count(ot);
	add(ot, 1, OBJ_MMAP, 0x70000000, mib, 50);
	CHECK_INT(objtrack_count(ot), before + 1);
	CHECK_INT(found_id(ot, 1, 0x70000000, 45), old);
	add(ot, 1, OBJ_MMAP, 0x80000000, mib, 250);
	CHECK_INT(objtrack_count(ot), before + 1);
	CHECK_INT(found_id(ot, 1, 0x80000000, 200), 0);
	objtrack_free(ot);
}

/* Processes are found by pid among many, whatever the pid (0 and -1
 * included: the pid map reserves its keys 0 and all ones). */
static void test_many_processes(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	int64_t ids[1002];

	for (int p = -1; p <= 1000; p++)
		ids[p + 1] = add(ot, p, OBJ_HEAP, 0x1000 + 0x100 * (uint64_t)(p + 1), 0x80, 10);
	for (int p = 1000; p >= -1; p--)
		CHECK_INT(id_at(ot, p, 0x1010 + 0x100 * (uint64_t)(p + 1), 20), ids[p + 1]);
	CHECK_INT(id_at(ot, 1001, 0x1010, 20), 0);
	for (int p = -1; p <= 1000; p += 7)
		CHECK_INT(objtrack_release(ot, p, 0x1000 + 0x100 * (uint64_t)(p + 1), 30, NULL),
			  ids[p + 1]);
	objtrack_free(ot);
}

/* A child copies its parent's objects only once it does something: a
 * fork then exec copies nothing; what the parent made after the fork is
 * not the child's; what the parent freed or left (exit) after it is. */
static void test_fork_lazy(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	size_t before;
	int64_t a;

	a = add(ot, 1, OBJ_HEAP, 0x1000, 0x100, 10);
	before = objtrack_count(ot);
	objtrack_fork(ot, 1, 2, 20);
	objtrack_end_process(ot, 2, 25, true);         /* exec */
	CHECK_INT(objtrack_count(ot), before);
	objtrack_fork(ot, 1, 3, 30);
	add(ot, 1, OBJ_HEAP, 0x3000, 0x100, 35);       /* the parent's, after */
	CHECK_INT(id_at(ot, 3, 0x3010, 40), 0);
	CHECK(id_at(ot, 3, 0x1010, 40) > a);           /* its copy */
	objtrack_fork(ot, 1, 4, 50);
	objtrack_end_process(ot, 1, 60, true);         /* the parent exits first */
	CHECK(id_at(ot, 4, 0x1010, 70) > a);
	CHECK(id_at(ot, 4, 0x3010, 70) > a);
	objtrack_free(ot);
}

/* A free drained after the fork that was made before it (a shell's calls
 * drained at its vfork stop) is none of the child's: the child copies
 * nothing for it.  One made after the fork has the child copy first,
 * small blocks included. */
static void test_fork_free_before(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object small = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x6000,
				   .size = 0x40, .alloc_ns = 10, .name = "test",
				   .row_if_sampled = true };
	size_t before;
	int64_t a;

	a = add(ot, 1, OBJ_HEAP, 0x1000, 0x100, 10);
	add(ot, 1, OBJ_HEAP, 0x5000, 0x100, 10);
	objtrack_add_block(ot, &small, 0, NULL);
	before = objtrack_count(ot);
	objtrack_fork(ot, 1, 2, 30);
	CHECK(objtrack_release(ot, 1, 0x5000, 25, NULL) > 0);
	CHECK_INT(objtrack_count(ot), before);
	CHECK(objtrack_release(ot, 1, 0x1000, 35, NULL) > 0);
	CHECK_INT(objtrack_count(ot), before + 2);      /* 0x1000 and the small block */
	CHECK(id_at(ot, 2, 0x1010, 40) > a);
	CHECK(id_at(ot, 2, 0x6010, 40) > a);
	CHECK_INT(id_at(ot, 2, 0x5010, 40), 0);
	objtrack_free(ot);
}

/* A process with a few small blocks pages in one page of entries, not
 * the sixteen of a full step (a shell's children: tens of blocks each);
 * the steps double from there. */
static void test_small_entries_paged_in_as_used(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), per_page = page / sizeof(struct small_entry);
	/* One page each, or a huge page where transparent huge pages are
	 * "always" rather than Debian's "madvise". */
	int most = (int)(HUGE_PAGE_BYTES / page);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 32, .callsite_id = 1 };
	struct small_index s, holder;
	int n;

	/* A room an index freed before left as the spare goes to holder:
	 * s's is a new one. */
	small_init(&holder, false);
	small_add(&holder, &o, 0);
	small_init(&s, false);
	for (uint32_t i = 0; i < 10; i++) {
		o.addr = 0x10000 + 64 * (uint64_t)i;
		o.id = 1 + i;
		small_add(&s, &o, 0);
	}
	n = resident(s.e, 16);
	CHECK(n == 1 || n == most);
	for (uint32_t i = 10; i < 2 * per_page + 1; i++) {
		o.addr = 0x10000 + 64 * (uint64_t)i;
		o.id = 1 + i;
		small_add(&s, &o, 0);
	}
	n = resident(s.e, 16);
	CHECK(n == 4 || n == most);     /* 1, then 1 more, then 2 */
	small_free(&s);
	small_free(&holder);
}

/* n blocks of 32 bytes, 64 apart from base, ids from first_id. */
static void add_blocks(struct small_index *s, uint64_t base, uint32_t n, int64_t first_id,
		       uint32_t tag)
{
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 32,
			       .callsite_id = 1, .name = "malloc" };

	for (uint32_t i = 0; i < n; i++) {
		o.addr = base + 64 * (uint64_t)i;
		o.id = first_id + i;
		small_add(s, &o, tag);
	}
}

/* An index freed while small leaves its room to the next one: the same
 * array, its pages in, none of the old blocks found there, the new ones
 * found; one freed large gives its memory back. */
static void test_small_spare_room(void)
{
	struct small_index holder, a, b, big;
	struct small_entry *room;
	uint64_t size;
	uint32_t tag;

	small_init(&holder, true);      /* takes any spare left before */
	add_blocks(&holder, 0x30000000, 1, 1, 0);
	small_init(&a, true);
	add_blocks(&a, 0x40000000, 300, 1, 3);
	room = a.e;
	small_free(&a);
	small_init(&b, true);
	add_blocks(&b, 0x50000000, 1, 500, 4);
	/* Its pages asked for as far as a's were (a fresh room: one page). */
	CHECK(b.e == room);
	CHECK(b.populated >= 300);
	CHECK_INT(small_release(&b, 0x40000000, 10, 0, 0, &size, &tag), 0);
	CHECK_INT(small_release(&b, 0x40000000 + 64 * 299, 10, 0, 0, &size, &tag), 0);
	CHECK_INT(small_release(&b, 0x50000000, 10, 0, 0, &size, &tag), 500);
	CHECK_INT(tag, 4);
	CHECK_INT(b.nr_live, 0);

	/* Past SPARE_MAX (1 MiB of entries): unmapped at its end. */
	small_init(&big, true);
	add_blocks(&big, 0x60000000, 20000, 1000, 0);
	room = big.e;
	small_free(&big);
	CHECK(resident(room, 1) == -ENOMEM);
	small_free(&b);
	small_free(&holder);
}

/* Statics entered when a lookup needs them: once, named, only from
 * their module's load on, below a heap block, above the mapping, copied
 * at a fork, gone at exec. */
static void test_statics_on_demand(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	const uint64_t bias = 0x7000000;
	const struct objtrack_range range = { 0x100 + bias, 0x1400 + bias };
	const struct nm_object *o;
	int64_t mapping, heap, a;
	uint64_t count;

	mapping = add(ot, 1, OBJ_MAPPING, bias, 0x2000, 0);
	objtrack_add_statics(ot, 1, &fake_table, bias, &range, 10);
	heap = add(ot, 1, OBJ_HEAP, bias + 0x208, 8, 20);
	count = objtrack_count(ot);
	CHECK_INT(id_at(ot, 1, bias + 0x110, 5), mapping);    /* before the load */
	CHECK_INT(objtrack_count(ot), count);
	o = objtrack_lookup(ot, 1, bias + 0x13f, 15);
	CHECK(o && o->kind == OBJ_STATIC && o->addr == bias + 0x100 && o->size == 0x40);
	CHECK(o && o->name && !strcmp(o->name, "small_a") && o->alloc_ns == 10);
	CHECK(o && !o->row_if_sampled);                        /* sampled: a row */
	a = o ? o->id : 0;
	CHECK_INT(objtrack_count(ot), count + 1);
	CHECK_INT(id_at(ot, 1, bias + 0x100, 30), a);          /* entered once */
	CHECK_INT(objtrack_count(ot), count + 1);
	CHECK_INT(id_at(ot, 1, bias + 0x20a, 30), heap);
	CHECK_INT(id_at(ot, 1, bias + 0x300, 30), mapping);    /* between statics */
	CHECK_INT(id_at(ot, 1, bias + 0x1800, 30), mapping);   /* past them all */
	CHECK(objtrack_live_at(ot, 1, bias + 0x204)->kind == OBJ_STATIC);

	objtrack_fork(ot, 1, 2, 40);
	o = objtrack_lookup(ot, 2, bias + 0x404, 50);
	CHECK(o && o->pid == 2 && o->tid == 2 && o->kind == OBJ_STATIC && o->alloc_ns == 40);
	CHECK(id_at(ot, 2, bias + 0x100, 50) != a);            /* the child's copy */
	objtrack_end_process(ot, 2, 60, true);                 /* its exec */
	CHECK_INT(id_at(ot, 2, bias + 0x410, 70), 0);
	CHECK(id_at(ot, 1, bias + 0x410, 70) > a);             /* the parent's stay */
	objtrack_free(ot);

	/* No sampler: no lookups, nothing kept. */
	ot = objtrack_new(NULL);
	objtrack_no_lookups(ot);
	objtrack_add_statics(ot, 1, &fake_table, bias, &range, 10);
	CHECK_INT(id_at(ot, 1, bias + 0x110, 20), 0);
	objtrack_free(ot);
}

/* Two threads' copies of the thread-local variables (fake_table's, by
 * offset) inside their stacks, the second thread later on the first's
 * stack, kept for it: each copy is its thread's, while it lives. */
static void test_thread_locals(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	const uint64_t stack = 0x7f0000000000, block = stack + 0x7000;
	const struct objtrack_range copy = { block, block + 0x1400 }, other = { 0x1000, 0x2400 };
	const struct nm_object *o;
	int64_t stack_id, first, last;

	objtrack_keep_freed(ot, 1000000);
	stack_id = add(ot, 1, OBJ_STACK, stack, 0x10000, 5);
	objtrack_add_tls(ot, 1, 11, &fake_table, &copy, 10);
	objtrack_add_tls(ot, 1, 12, &fake_table, &other, 10);
	CHECK_INT(id_at(ot, 1, block + 0x110, 8), stack_id);   /* before the thread */
	o = objtrack_lookup(ot, 1, block + 0x410, 20);
	CHECK(o && o->kind == OBJ_TLS && o->tid == 11 && o->addr == block + 0x400 &&
	      o->size == 0x1000 && !strcmp(o->name, "large") && o->alloc_ns == 10);
	first = o ? o->id : 0;
	CHECK_INT(id_at(ot, 1, block + 0x1000, 30), first);    /* entered once */
	CHECK_INT(id_at(ot, 1, block + 0x300, 30), stack_id);  /* between variables */
	CHECK_INT(objtrack_live_at(ot, 1, block + 0x100)->kind, OBJ_TLS);

	objtrack_end_tls(ot, 1, 11, 40);
	objtrack_add_tls(ot, 1, 13, &fake_table, &copy, 50);   /* the same stack */
	CHECK_INT(id_at(ot, 1, block + 0x410, 35), first);     /* before its end */
	o = objtrack_lookup(ot, 1, block + 0x410, 45);         /* between the two */
	CHECK(o && o->id == stack_id);
	o = objtrack_lookup(ot, 1, block + 0x410, 60);
	CHECK(o && o->kind == OBJ_TLS && o->tid == 13 && o->id != first);
	last = o ? o->id : 0;
	/* Ended, then found by a sample matched late: ended all the same. */
	objtrack_end_tls(ot, 1, 13, 70);
	o = objtrack_lookup(ot, 1, block + 0x100, 65);
	CHECK(o && o->kind == OBJ_TLS && o->tid == 13 && o->free_ns == 70);
	CHECK(o && o->id != last);
	CHECK_INT(id_at(ot, 1, 0x1010, 80), 0);                 /* thread 12's: no stack */
	o = objtrack_lookup(ot, 1, 0x1110, 80);
	CHECK(o && o->kind == OBJ_TLS && o->tid == 12);

	/* A fork child has none of its parent's threads' copies. */
	objtrack_fork(ot, 1, 2, 90);
	CHECK_INT(id_at(ot, 2, 0x1110, 95), 0);

	/* Ended copies no lookup will ask for are forgotten. */
	for (pid_t tid = 100; tid < 110; tid++) {
		objtrack_add_tls(ot, 1, tid, &fake_table, &copy, 100 * tid);
		objtrack_end_tls(ot, 1, tid, 100 * tid + 50);
	}
	CHECK_INT(objtrack_lookup(ot, 1, block + 0x108, 10420)->kind, OBJ_TLS);
	objtrack_lookups_from(ot, 10500);
	objtrack_add_tls(ot, 1, 110, &fake_table, &copy, 11000);
	objtrack_end_tls(ot, 1, 110, 11050);
	CHECK_INT(id_at(ot, 1, block + 0x110, 10220), stack_id);
	CHECK_INT(objtrack_lookup(ot, 1, block + 0x110, 10820)->tid, 108);
	CHECK_INT(objtrack_lookup(ot, 1, block + 0x108, 11020)->kind, OBJ_TLS);
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
	objtrack_release(ot, 1, 0x9000, 2, NULL);
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

		objtrack_release(ot, 1, addr, t++, NULL);
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

/* A storm of freed blocks with a row (1 MiB, 64 addresses in turn)
 * keeps the newest 16,384 findable, not every one of the window. */
static void test_tracked_storm_bounded(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 1 << 20,
			       .name = "malloc" };
	int64_t ids[200001];

	for (int i = 1; i <= 200000; i++) {
		o.addr = 0x10000000 + (uint64_t)(i % 64) * (2 << 20);
		o.alloc_ns = 2 * (uint64_t)i;
		ids[i] = objtrack_add(ot, &o);
		objtrack_release(ot, 1, o.addr, o.alloc_ns + 1, NULL);
	}
	CHECK_INT(id_at(ot, 1, 0x10000000 + 200000 % 64 * (2 << 20) + 8, 400000), ids[200000]);
	CHECK_INT(id_at(ot, 1, 0x10000000 + 190000 % 64 * (2 << 20) + 8, 380000), ids[190000]);
	CHECK_INT(id_at(ot, 1, 0x10000000 + 100 % 64 * (2 << 20) + 8, 200), 0);
	CHECK_INT(id_at(ot, 1, 0x10000000 + 100000 % 64 * (2 << 20) + 8, 200000), 0);
	objtrack_free(ot);
}

/* Freed blocks wait unsorted until a lookup finds more than a few
 * hundred of them: lookups between a handful of frees and between
 * thousands (the same 8 addresses reused, so only the time tells the
 * blocks apart) name the block that lived at each time asked. */
static void test_tracked_freed_between_lookups(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 4096,
			       .name = "malloc" };
	static int64_t ids[12001];
	int wrong = 0;

	for (int i = 1; i <= 12000; i++) {
		o.addr = 0x40000000 + (uint64_t)(i % 8) * 8192;
		o.alloc_ns = 10 * (uint64_t)i;
		ids[i] = objtrack_add(ot, &o);
		objtrack_release(ot, 1, o.addr, o.alloc_ns + 5, NULL);
		if (i % (i < 6000 ? 7 : 3000))
			continue;
		for (int back = 0; back < 40 && back < i; back++) {
			int k = i - back * 97 % i;

			wrong += id_at(ot, 1, 0x40000000 + (uint64_t)(k % 8) * 8192 + 100,
				       10 * (uint64_t)k + 2) != ids[k];
		}
	}
	CHECK_INT(wrong, 0);
	CHECK_INT(id_at(ot, 1, 0x40000000 + 8192 + 100, 10 * 12001ULL + 2), 0);
	objtrack_free(ot);
}

/* Blocks under --min-object-size live in the small index: the same
 * answers as tracked blocks, for random blocks of every size class,
 * reused addresses, frees and lookups at past times. */
static void test_small_blocks_match_tracked(void)
{
	struct objtrack *small = objtrack_new(NULL), *tracked = objtrack_new(NULL);
	uint64_t x = 42, live[64] = { 0 }, t = 1;
	int mismatches = 0;

	for (int round = 0; round < 20000; round++) {
		int k;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		k = x % 64;
		t += 1 + x % 3;
		if (live[k]) {
			int64_t a = objtrack_release(small, 1, live[k], t, NULL);
			int64_t b = objtrack_release(tracked, 1, live[k], t, NULL);

			mismatches += a != b;
			live[k] = 0;
		} else {
			/* Slots 0x100000 apart; sizes 16 B .. 1 MiB. */
			uint64_t addr = 0x10000000 + (uint64_t)k * 0x100000 + (x >> 8) % 64 * 16;
			uint64_t size = 16ULL << (x >> 20) % 17;
			struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = addr,
					       .size = size, .alloc_ns = t, .name = "malloc" };

			o.row_if_sampled = true;
			objtrack_add(small, &o);
			o.row_if_sampled = false;
			objtrack_add(tracked, &o);
			live[k] = addr;
		}
		if (round % 7 == 0) {
			uint64_t probe = 0x10000000 + (x >> 3) % (64 * 0x100000);
			uint64_t when = t - (x >> 40) % 50;
			const struct nm_object *a = objtrack_lookup(small, 1, probe, when);
			const struct nm_object *b = objtrack_lookup(tracked, 1, probe, when);

			mismatches += !a != !b || (a && (a->id != b->id || a->addr != b->addr ||
							  a->size != b->size || a->free_ns != b->free_ns));
		}
	}
	CHECK_INT(mismatches, 0);
	objtrack_free(small);
	objtrack_free(tracked);
}

/* Blocks of 4 KiB or less, packed as an allocator packs them (starts
 * 8 or 16 bytes aligned, pages full of them), found by any address inside:
 * the same answers as tracked blocks.  They are counted per page, not
 * chained, and a lookup probes each possible start before the address. */
static void test_small_level0_packed(int align)
{
	enum { SLOTS = 512 };
	struct objtrack *small = objtrack_new(NULL), *tracked = objtrack_new(NULL);
	uint64_t x = 7 + (uint64_t)align, addr[SLOTS] = { 0 }, t = 1, next = 0x7f0000001000ULL;
	int mismatches = 0, hits = 0;

	for (int round = 0; round < 40000; round++) {
		int k;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		k = x % SLOTS;
		t++;
		if (addr[k]) {
			mismatches += objtrack_release(small, 1, addr[k], t, NULL) !=
				      objtrack_release(tracked, 1, addr[k], t, NULL);
			addr[k] = 0;
		} else {
			/* Sizes 8 B .. 4 KiB, one after the other, wrapping over
			 * 64 pages: new blocks reuse freed room. */
			uint64_t size = (uint64_t)align * (1 + (x >> 16) % (4096 / align));
			struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = next,
					       .size = size, .alloc_ns = t, .name = "malloc" };
			bool taken = false;

			for (int j = 0; j < SLOTS; j++)
				taken = taken || (addr[j] && addr[j] < next + size &&
						  next < addr[j] + 4096);
			if (!taken) {
				o.row_if_sampled = true;
				objtrack_add(small, &o);
				o.row_if_sampled = false;
				objtrack_add(tracked, &o);
				addr[k] = next;
			}
			next += size;
			if (next > 0x7f0000001000ULL + 64 * 4096)
				next = 0x7f0000001000ULL + (x >> 30) % 16 * (uint64_t)align;
		}
		if (round % 5 == 0) {
			uint64_t probe = 0x7f0000001000ULL + (x >> 7) % (65 * 4096);
			const struct nm_object *a = objtrack_lookup(small, 1, probe, t);
			const struct nm_object *b = objtrack_lookup(tracked, 1, probe, t);

			hits += a != NULL;
			mismatches += !a != !b || (a && (a->id != b->id || a->addr != b->addr ||
							  a->size != b->size));
		}
	}
	CHECK_INT(mismatches, 0);
	CHECK(hits > 1000);
	objtrack_free(small);
	objtrack_free(tracked);
}

/* A mapping whose row waits for a sample: finding it claims nothing (a
 * sample held for its modules may end with another object), claiming it
 * does, and a lookup is both. */
static void test_find_then_claim(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_MAPPING, .addr = 0x40000,
			       .size = 0x4000, .alloc_ns = 10, .name = "lib.so", .row_if_sampled = true };
	const struct nm_object *found;
	int64_t id = objtrack_add(ot, &o);

	found = objtrack_find(ot, 1, 0x41000, 20);
	CHECK(found && found->id == id && found->row_if_sampled);
	found = objtrack_find(ot, 1, 0x41000, 30);
	CHECK(found && found->row_if_sampled);          /* still waiting */
	objtrack_claim(ot, found);
	CHECK(!found->row_if_sampled);
	o.addr = 0x50000;
	id = objtrack_add(ot, &o);
	found = objtrack_lookup(ot, 1, 0x50010, 40);
	CHECK(found && found->id == id && !found->row_if_sampled);
	objtrack_free(ot);
}

/* A small block a sample hit is claimed (then tracked like any object);
 * fork copies small and tracked blocks; the size and tag come back at the
 * free, a copy's its parent's. */
static void test_small_claim_fork_tags(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x5000,
			       .size = 64, .alloc_ns = 10, .name = "malloc", .row_if_sampled = true };
	struct objtrack_ended ended = { 0 };
	const struct nm_object *hit;
	int64_t a, b, c;

	a = objtrack_add_block(ot, &o, 7, NULL);
	o.addr = 0x6000;
	b = objtrack_add_block(ot, &o, 8, NULL);
	hit = objtrack_lookup(ot, 1, 0x5010, 20);
	CHECK(hit && hit->id == a && hit->row_if_sampled == false);
	objtrack_fork(ot, 1, 2, 30);
	c = objtrack_lookup(ot, 2, 0x6020, 40) ? objtrack_lookup(ot, 2, 0x6020, 40)->id : 0;
	CHECK(c > b);
	CHECK_INT(objtrack_release(ot, 1, 0x5000, 50, &ended), a);   /* claimed, then freed */
	CHECK_INT(ended.tag, 7);
	CHECK_INT(objtrack_release(ot, 1, 0x6000, 60, &ended), b);
	CHECK_INT(ended.tag, 8);
	CHECK_INT(ended.size, 64);
	CHECK_INT(objtrack_release(ot, 2, 0x6000, 70, &ended), c);
	CHECK_INT(ended.tag, 8);                      /* a fork's copy: its parent's counter */
	CHECK(objtrack_release(ot, 2, 0x5000, 80, &ended) > b);       /* a tracked one's copy */
	CHECK_INT(ended.tag, 7);
	CHECK_INT(id_at(ot, 1, 0x6000, 55), b);                       /* freed, still findable */
	objtrack_free(ot);
}

/* A block under --min-object-size whose size or call site does not fit
 * a small entry's 32 bits (a 5 GiB minimum, a huge call-site id) keeps
 * them whole, and is still found and released. */
static void test_small_wide_fields(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x10000000,
			       .size = 5ULL << 30, .alloc_ns = 10, .callsite_id = 3,
			       .name = "malloc", .row_if_sampled = true };
	struct objtrack_ended ended = { 0 };
	const struct nm_object *hit;
	int64_t big, far;

	big = objtrack_add_block(ot, &o, 1, NULL);
	o.addr = 0x1000;
	o.size = 64;
	o.callsite_id = 1LL << 33;
	far = objtrack_add_block(ot, &o, 2, NULL);
	hit = objtrack_lookup(ot, 1, 0x10000000 + (4ULL << 30), 20);
	CHECK(hit && hit->id == big && hit->size == 5ULL << 30);
	hit = objtrack_lookup(ot, 1, 0x1010, 20);
	CHECK(hit && hit->id == far && hit->callsite_id == 1LL << 33);
	CHECK_INT(objtrack_release(ot, 1, 0x10000000, 30, &ended), big);
	CHECK(ended.size == 5ULL << 30 && ended.tag == 1);
	objtrack_free(ot);
}

/* An address reused 1,000 times: the live block next to it is found at
 * once, each block it held during its life (the first freed after the
 * sample's time); a block that lived through 2,000 others freed is found
 * by a sample just before its end, not by one before those frees (the
 * walk's bound: 1,024 freed after the sample's time). */
static void test_small_reused_address(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x9000, .size = 48,
			       .alloc_ns = 1, .name = "malloc", .row_if_sampled = true };
	int64_t neighbour, ids[1000], long_lived;

	objtrack_keep_freed(ot, 1000000000);
	neighbour = objtrack_add_block(ot, &o, 1, NULL);
	o.addr = 0xa000;
	long_lived = objtrack_add_block(ot, &o, 3, NULL);
	o.addr = 0x9040;
	for (int i = 0; i < 1000; i++) {
		o.alloc_ns = 10 + 10 * i;
		ids[i] = objtrack_add_block(ot, &o, 2, NULL);
		objtrack_release(ot, 1, 0x9040, 15 + 10 * i, NULL);
	}
	for (int i = 0; i < 2000; i++) {
		o.addr = 0x100000 + 64 * i;
		o.alloc_ns = 20000 + i;
		objtrack_add_block(ot, &o, 4, NULL);
		objtrack_release(ot, 1, o.addr, 20000 + i, NULL);
	}
	objtrack_release(ot, 1, 0xa000, 30000, NULL);
	CHECK_INT(id_at(ot, 1, 0x9010, 20000), neighbour);
	CHECK_INT(id_at(ot, 1, 0x9050, 10 + 10 * 999 + 2), ids[999]);
	CHECK_INT(id_at(ot, 1, 0x9050, 10 + 10 * 950 + 2), ids[950]);
	CHECK_INT(id_at(ot, 1, 0x9050, 10 + 10 * 100 + 2), ids[100]);
	CHECK_INT(id_at(ot, 1, 0x9050, 10 + 10 * 500 + 8), 0);          /* between two blocks */
	CHECK_INT(id_at(ot, 1, 0xa010, 19000), 0);                      /* 2,000 frees away */
	CHECK_INT(id_at(ot, 1, 0xa010, 29000), long_lived);
	objtrack_free(ot);
}

/* A block that came ended (freed by its thread's next call) is found
 * during its life only, as a freed one; without a window, not at all. */
static void test_small_added_ended(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x7000, .size = 64,
			       .alloc_ns = 10, .free_ns = 20, .name = "malloc",
			       .row_if_sampled = true };
	int64_t id;

	objtrack_keep_freed(ot, 1000);
	id = objtrack_add_block(ot, &o, 3, NULL);
	CHECK_INT(id_at(ot, 1, 0x7010, 15), id);
	CHECK_INT(id_at(ot, 1, 0x7010, 25), 0);
	CHECK_INT(id_at(ot, 1, 0x7010, 5), 0);
	CHECK_INT(objtrack_release(ot, 1, 0x7000, 30, NULL), 0);       /* it was never live */
	objtrack_keep_freed(ot, 0);
	o.addr = 0x8000;
	CHECK(objtrack_add_block(ot, &o, 3, NULL) > id);
	CHECK_INT(id_at(ot, 1, 0x8010, 15), 0);
	objtrack_free(ot);
}

/* Blocks that came ended, from two threads at once at reused addresses
 * (a storm): each found during its own life only, by any address in it;
 * a thread's ring keeps its last 4,096; older than the window, none. */
static void test_small_ended_threads(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .kind = OBJ_HEAP, .size = 64, .name = "malloc",
			       .row_if_sampled = true };
	int64_t one[100], two[100], id;

	objtrack_keep_freed(ot, 1000000);
	for (int i = 0; i < 100; i++) {
		o.tid = 1, o.addr = 0x7000, o.alloc_ns = 100 + 20 * i, o.free_ns = o.alloc_ns + 10;
		one[i] = objtrack_add_block(ot, &o, 0, NULL);
		o.tid = 2, o.addr = 0x9000 + 64 * (i % 2), o.alloc_ns += 5, o.free_ns += 5;
		two[i] = objtrack_add_block(ot, &o, 0, NULL);
	}
	CHECK_INT(id_at(ot, 1, 0x7010, 100 + 20 * 7 + 3), one[7]);
	CHECK_INT(id_at(ot, 1, 0x7000, 100 + 20 * 99), one[99]);
	CHECK_INT(id_at(ot, 1, 0x9050, 100 + 20 * 8 + 5 + 9), 0);      /* block 8: 0x9000 */
	CHECK_INT(id_at(ot, 1, 0x9050, 100 + 20 * 9 + 5 + 9), two[9]);
	CHECK_INT(id_at(ot, 1, 0x7010, 100 + 20 * 5 + 15), 0);          /* between two */
	CHECK_INT(id_at(ot, 1, 0x7010, 100 + 20 * 7 + 3), one[7]);      /* claimed: the same */
	CHECK_INT(id_at(ot, 1, 0x7040, 100 + 20 * 7 + 3), 0);           /* past its end */
	o.tid = 3, o.addr = 0xa000;
	for (int i = 0; i < 10000; i++) {
		o.alloc_ns = 10000 + 10 * i, o.free_ns = o.alloc_ns + 5;
		id = objtrack_add_block(ot, &o, 0, NULL);
	}
	CHECK_INT(id_at(ot, 1, 0xa000, 10000 + 10 * (10000 - 4097) + 1), 0);
	CHECK_INT(id_at(ot, 1, 0xa000, 10000 + 10 * (10000 - 4096) + 1), id - 4095);
	CHECK_INT(id_at(ot, 1, 0xa000, 10000 + 10 * 9999 + 1), id);
	/* Out of the window: the newest end is 110,000 ns later. */
	objtrack_keep_freed(ot, 1000);
	o.tid = 4, o.addr = 0xb000, o.alloc_ns = 100, o.free_ns = 200;
	objtrack_add_block(ot, &o, 0, NULL);
	CHECK_INT(id_at(ot, 1, 0xb000, 150), 0);
	objtrack_free(ot);
}

/* Without lookups (no sampler), small blocks still end with their
 * counters and sizes, a fork's copies too, and no address finds them. */
static void test_small_no_lookups(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x5000,
			       .size = 64, .alloc_ns = 10, .name = "malloc", .row_if_sampled = true };
	struct objtrack_ended ended = { 0 };
	int64_t a, b;

	objtrack_no_lookups(ot);
	objtrack_keep_freed(ot, 0);
	a = objtrack_add_block(ot, &o, 7, NULL);
	o.addr = 0x6000;
	o.size = 96;
	b = objtrack_add_block(ot, &o, 8, NULL);
	CHECK(objtrack_lookup(ot, 1, 0x5010, 20) == NULL);
	CHECK(objtrack_lookup(ot, 1, 0x5000, 20) == NULL);
	objtrack_fork(ot, 1, 2, 30);
	CHECK_INT(objtrack_release(ot, 1, 0x6000, 40, &ended), b);
	CHECK_INT(ended.tag, 8);
	CHECK_INT(ended.size, 96);
	CHECK_INT(objtrack_release(ot, 1, 0x6000, 41, &ended), 0);    /* ended already */
	CHECK_INT(objtrack_release(ot, 1, 0x5000, 50, &ended), a);
	CHECK_INT(ended.tag, 7);
	CHECK(objtrack_release(ot, 2, 0x5000, 60, &ended) > b);       /* the fork's copy */
	CHECK_INT(ended.tag, 7);
	objtrack_free(ot);
}

static int by_fingerprint(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Two blocks whose addresses share a map slot's fingerprint (found by a
 * birthday search over 16-byte starts) are told apart by their entries:
 * each found at its address, released with its own tag and size. */
static void test_small_same_fingerprint(void)
{
	enum { N = 1 << 18 };
	uint64_t *v = malloc(N * sizeof(*v)), a = 0, b = 0;
	struct objtrack *ot = objtrack_new(NULL);
	struct objtrack_ended ended = { 0 };
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 16,
			       .alloc_ns = 10, .name = "malloc", .row_if_sampled = true };
	int64_t ida, idb;

	for (uint64_t i = 0; i < N; i++)       /* fingerprint, then index */
		v[i] = (uint64_t)small_fingerprint(0x10000000 + 16 * i) << 32 | i;
	qsort(v, N, sizeof(*v), by_fingerprint);
	for (uint64_t i = 1; i < N && !a; i++)
		if (v[i] >> 32 == v[i - 1] >> 32) {
			a = 0x10000000 + 16 * (uint32_t)v[i - 1];
			b = 0x10000000 + 16 * (uint32_t)v[i];
		}
	free(v);
	CHECK(a && b && small_fingerprint(a) == small_fingerprint(b));
	o.addr = a;
	ida = objtrack_add_block(ot, &o, 1, NULL);
	o.addr = b;
	o.size = 32;
	idb = objtrack_add_block(ot, &o, 2, NULL);
	CHECK_INT(id_at(ot, 1, a, 20), ida);
	CHECK_INT(id_at(ot, 1, b + 31, 20), idb);
	CHECK_INT(objtrack_release(ot, 1, b, 30, &ended), idb);
	CHECK_INT(ended.tag, 2);
	CHECK_INT(ended.size, 32);
	CHECK_INT(id_at(ot, 1, a, 40), ida);
	CHECK_INT(objtrack_release(ot, 1, a, 50, &ended), ida);
	CHECK_INT(ended.tag, 1);
	CHECK_INT(ended.size, 16);
	objtrack_free(ot);
}

/* The entries grow in their reserved room without moving, and past it
 * (a room of 2 doublings here) by moving: every block is released with
 * its id, size and tag, in both, and its entry stays where it was while
 * the room holds. */
static void test_small_entries_room(void)
{
	enum { N = 20000 };
	struct small_index s;
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .name = "malloc" };
	struct small_entry *first = NULL;
	uint64_t size;
	uint32_t tag;

	for (int small_room = 0; small_room < 2; small_room++) {
		small_init(&s, true);
		if (small_room)
			s.room_wanted = 4096 * sizeof(struct small_entry);
		for (int i = 0; i < N; i++) {
			o.addr = 0x20000000 + 64 * (uint64_t)i;
			o.size = 16 + i % 48;
			o.id = 1000 + i;
			o.alloc_ns = 10 + i;
			small_add(&s, &o, (uint32_t)i % 7);
			if (i == 0)
				first = s.e;
			if (i == 3000)
				CHECK(s.e == first);            /* 4 doublings, not moved */
		}
		CHECK(small_room ? s.room == 0 : s.e == first);
		for (int i = N - 1; i >= 0; i--) {
			CHECK_INT(small_release(&s, 0x20000000 + 64 * (uint64_t)i, 100000, 0, 0,
						&size, &tag), 1000 + i);
			CHECK_INT(size, 16 + i % 48);
			CHECK_INT(tag, i % 7);
		}
		CHECK_INT(s.nr_live, 0);
		small_free(&s);
	}
}

/* A fork child's copies: the live blocks made by the fork, as made then,
 * with the ids given and their parent's tag; not the freed ones, nor those made since,
 * and the parent's own left as they were. */
static void test_small_inherit(void)
{
	enum { N = 3000 };
	struct small_index parent, child;
	struct nm_object o = { .pid = 1, .tid = 7, .kind = OBJ_HEAP, .name = "calloc",
			       .callsite_id = 42 };
	struct nm_object got;
	uint64_t size;
	uint32_t tag, copied = 0;

	small_init(&parent, true);
	small_init(&child, true);
	for (int i = 0; i < N; i++) {
		o.addr = 0x40000000 + 64 * (uint64_t)i;
		o.size = 16 + i % 40;
		o.id = 1 + i;
		o.alloc_ns = 10 + i;
		small_add(&parent, &o, 3);
	}
	for (int i = 0; i < N; i += 3)          /* freed before the fork */
		CHECK(small_release(&parent, 0x40000000 + 64 * (uint64_t)i, 5000, 0, 0, &size, &tag));
	CHECK_INT(small_inherit(&child, &parent, 10 + N / 2, 100000), N / 2 - N / 6);
	CHECK_INT(child.nr_live, N / 2 - N / 6);
	CHECK_INT(parent.nr_live, N - N / 3);
	for (int i = 0; i < N; i++) {
		uint64_t addr = 0x40000000 + 64 * (uint64_t)i;
		bool copy = i % 3 && 10 + i <= 10 + N / 2;

		CHECK_INT(small_claim(&child, addr, 20000, 2, &got, &tag), copy);
		if (!copy)
			continue;
		copied++;
		CHECK(got.id >= 100000 && got.id < 100000 + N / 2 - N / 6);
		CHECK_INT(got.alloc_ns, 10 + N / 2);
		CHECK_INT(got.size, 16 + i % 40);
		CHECK_INT(got.callsite_id, 42);
		CHECK_INT(got.tid, 7);
		CHECK_INT(got.pid, 2);
		CHECK(!strcmp(got.name, "calloc"));
		CHECK_INT(tag, 3);
	}
	CHECK_INT(copied, N / 2 - N / 6);
	for (int i = 1; i < N; i += 3) {        /* the parent's, untouched */
		CHECK_INT(small_release(&parent, 0x40000000 + 64 * (uint64_t)i, 30000, 0, 0, &size,
					&tag), 1 + i);
		CHECK_INT(tag, 3);
	}
	small_free(&parent);
	small_free(&child);
}

/* A storm of short-lived small blocks keeps a bounded number freed. */
static void test_small_storm_bounded(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object o = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .size = 32,
			       .name = "malloc", .row_if_sampled = true };

	for (uint64_t i = 1; i <= 2000000; i++) {
		o.addr = 0x100000 + i % 16 * 32;
		o.alloc_ns = 2 * i;
		objtrack_add(ot, &o);
		objtrack_release(ot, 1, o.addr, 2 * i + 1, NULL);
	}
	/* The newest freed block is findable at its time, the oldest not. */
	CHECK(objtrack_lookup(ot, 1, 0x100000 + 2000000 % 16 * 32, 4000000) != NULL);
	CHECK(objtrack_lookup(ot, 1, 0x100000 + 32, 2) == NULL);
	objtrack_free(ot);
}

/* Once every sample taken before a time is matched
 * (objtrack_lookups_from()), heap blocks ended by then are forgotten at
 * once: small ones freed or that came ended, tracked ones; a block ended
 * after it, and a mapping (held samples look for mappings again), stay
 * findable for the window. */
static void note_ended(void *arg, int64_t id)
{
	*(int64_t *)arg = id;
}

static void test_lookups_from(void)
{
	struct objtrack *ot = objtrack_new(NULL);
	struct nm_object small = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x7000,
				   .size = 64, .alloc_ns = 10, .name = "malloc",
				   .row_if_sampled = true };
	struct nm_object tracked = { .pid = 1, .tid = 1, .kind = OBJ_HEAP, .addr = 0x100000,
				     .size = 1 << 20, .alloc_ns = 10, .name = "malloc" };
	int64_t freed_small, came_ended, freed_tracked, late_small, mapping, unmapped = 0;

	objtrack_keep_freed(ot, 1000000);
	freed_small = objtrack_add_block(ot, &small, 1, NULL);
	freed_tracked = objtrack_add_block(ot, &tracked, 2, NULL);
	mapping = add(ot, 1, OBJ_MAPPING, 0x40000000, 1 << 16, 10);
	small.addr = 0x8000;
	late_small = objtrack_add_block(ot, &small, 1, NULL);
	objtrack_lookups_from(ot, 100);
	objtrack_lookups_from(ot, 50);          /* it never goes back */
	objtrack_release(ot, 1, 0x7000, 40, NULL);
	objtrack_release(ot, 1, 0x100000, 100, NULL);
	objtrack_release(ot, 1, 0x8000, 120, NULL);
	objtrack_unmap(ot, 1, 0x40000000, 1 << 16, 60, note_ended, &unmapped);
	small.addr = 0x9000;
	small.free_ns = 30;
	came_ended = objtrack_add_block(ot, &small, 1, NULL);
	CHECK(freed_small && freed_tracked && came_ended && late_small && mapping);
	CHECK_INT(unmapped, mapping);                    /* the unmap said which ended */
	CHECK_INT(id_at(ot, 1, 0x7010, 20), 0);
	CHECK_INT(id_at(ot, 1, 0x100010, 20), 0);
	CHECK_INT(id_at(ot, 1, 0x9010, 20), 0);
	CHECK_INT(id_at(ot, 1, 0x8010, 110), late_small);
	CHECK_INT(id_at(ot, 1, 0x40000010, 20), mapping);
	/* Without the time, the same blocks stay for the window. */
	objtrack_free(ot);
	ot = objtrack_new(NULL);
	objtrack_keep_freed(ot, 1000000);
	small.addr = 0x7000;
	small.free_ns = 0;
	freed_small = objtrack_add_block(ot, &small, 1, NULL);
	objtrack_release(ot, 1, 0x7000, 40, NULL);
	CHECK_INT(id_at(ot, 1, 0x7010, 20), freed_small);
	objtrack_free(ot);
}

int main(void)
{
	test_lookups_from();
	test_small_blocks_match_tracked();
	test_small_level0_packed(16);
	test_small_level0_packed(8);
	test_small_claim_fork_tags();
	test_find_then_claim();
	test_small_storm_bounded();
	test_tracked_storm_bounded();
	test_tracked_freed_between_lookups();
	test_small_entries_room();
	test_small_inherit();
	test_small_same_fingerprint();
	test_small_no_lookups();
	test_small_reused_address();
	test_small_wide_fields();
	test_small_added_ended();
	test_small_ended_threads();
	test_lifetimes_and_reuse();
	test_kind_priority();
	test_fork();
	test_explained();
	test_seen_before_its_block();
	test_many_processes();
	test_fork_lazy();
	test_fork_free_before();
	test_small_entries_paged_in_as_used();
	test_small_spare_room();
	test_statics_on_demand();
	test_thread_locals();
	test_pick_weighted();
	test_reservations_and_uniform();
	test_scale();
	return unit_done();
}
