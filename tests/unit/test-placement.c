/* placement: rule matching, page rounding, proportional slices, global
 * policies and thread pins. */
#include <errno.h>
#include <numaif.h>
#include <stdlib.h>

#include "placement.h"
#include "unit.h"

#define PS 4096
#define MOD "buildid:ab12"

static int cpu_node4[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
static const struct nm_topology topo4 = { .nr_nodes = 4, .nr_cpus = 8, .cpu_node = cpu_node4 };

static struct policy *parse(const char *text)
{
	struct policy *pol = policy_parse(text, "test.policy");

	CHECK(pol != NULL);
	return pol;
}

static struct nm_object heap(uint64_t addr, uint64_t size)
{
	return (struct nm_object){ .kind = OBJ_HEAP, .addr = addr, .size = size };
}

static const struct nm_frame site_a[] = {
	{ .module = MOD, .offset = 0x1234 }, { .module = MOD, .offset = 0x5678 },
};
static const struct nm_frame site_b[] = {
	{ .module = MOD, .offset = 0x1234 }, { .module = MOD, .offset = 0x9999 },
};

static void check_range(const struct place_plan *p, int i, uint64_t off, uint64_t len,
			int mode, uint64_t mask)
{
	if (i >= p->n) {
		CHECK(i < p->n);
		return;
	}
	CHECK_INT(p->ranges[i].offset, off);
	CHECK_INT(p->ranges[i].length, len);
	CHECK_INT(p->ranges[i].mode, mode);
	CHECK_INT(p->ranges[i].nodemask, mask);
}

static void test_bind_rounds_inside(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "heap callsite " MOD "+0x1234 <- " MOD "+0x5678 bind 2\n");
	struct nm_object o = heap(0x10100, 3 * PS);
	struct place_plan p;

	/* Starts 0x100 into a page: only the two whole pages inside. */
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK_INT(p.n, 1);
	check_range(&p, 0, PS - 0x100, 2 * PS, MPOL_BIND, 1 << 2);
	CHECK_STR(p.rule, "heap callsite " MOD "+0x1234 <- " MOD "+0x5678 bind 2");
	place_plan_free(&p);

	/* Less than a page of its own: nothing to place. */
	o = heap(0x10100, 2 * PS - 0x200);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 0);
	CHECK_INT(p.n, 0);
	/* Other second frame, other kind: no match. */
	o = heap(0x10000, 4 * PS);
	CHECK_INT(policy_plan_object(pol, &o, site_b, 2, NULL, PS, &p), 0);
	o.kind = OBJ_MMAP;
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 0);
	/* A shallower stack in the run matches on what it has. */
	o.kind = OBJ_HEAP;
	CHECK_INT(policy_plan_object(pol, &o, site_a, 1, NULL, PS, &p), 1);
	place_plan_free(&p);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 0, NULL, PS, &p), 0);
	policy_free(pol);
}

static void test_block_scales(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "heap callsite " MOD "+0x1234 block 0:0-25% 1:25-50% 2:50-75% 3:75-100%\n");
	struct nm_object o = heap(0x100000, 100 * PS);
	struct place_plan p;

	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK_INT(p.n, 4);
	for (int i = 0; i < 4 && i < p.n; i++)
		check_range(&p, i, i * 25 * PS, 25 * PS, MPOL_BIND, 1u << i);
	place_plan_free(&p);

	/* 10 pages: the quarter boundaries 2.5 and 7.5 go to the nearest page. */
	o = heap(0x100000, 10 * PS);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK_INT(p.n, 4);
	check_range(&p, 0, 0, 3 * PS, MPOL_BIND, 1);
	check_range(&p, 1, 3 * PS, 2 * PS, MPOL_BIND, 2);
	check_range(&p, 2, 5 * PS, 3 * PS, MPOL_BIND, 4);
	check_range(&p, 3, 8 * PS, 2 * PS, MPOL_BIND, 8);
	place_plan_free(&p);

	/* Unaligned object: the slices stay inside its whole pages. */
	o = heap(0x100800, 8 * PS);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK(p.n >= 3);
	CHECK_INT(p.ranges[0].offset, 0x800);
	CHECK_INT(p.ranges[p.n - 1].offset + p.ranges[p.n - 1].length, 8 * PS - 0x800);
	for (int i = 0; i < p.n; i++)
		CHECK_INT((o.addr + p.ranges[i].offset) % PS, 0);
	place_plan_free(&p);
	policy_free(pol);
}

static void test_block_merges(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "mmap callsite " MOD "+0x1234 pagemap 1:0-10% 1:10-30% 0:30-60% 1:60-100%\n");
	struct nm_object o = { .kind = OBJ_MMAP, .addr = 0x200000, .size = 10 * PS };
	struct place_plan p;

	CHECK_INT(policy_plan_object(pol, &o, site_a, 1, NULL, PS, &p), 1);
	CHECK_INT(p.n, 3);
	check_range(&p, 0, 0, 3 * PS, MPOL_BIND, 2);
	check_range(&p, 1, 3 * PS, 3 * PS, MPOL_BIND, 1);
	check_range(&p, 2, 6 * PS, 4 * PS, MPOL_BIND, 2);
	place_plan_free(&p);
	policy_free(pol);
}

/* Chunk k on the k mod 3-th node, '-' left alone, from an unaligned
 * start; a huge object costs CYCLIC_MAX_RANGES ranges, the last of them
 * interleaving what is left. */
static void test_cyclic(void)
{
	struct policy *pol = parse("numamma-policy 2\n"
				   "heap callsite " MOD "+0x1234 cyclic 8192 1 - 3\n");
	struct nm_object o = heap(0x100010, 12 * PS + 0x10);
	struct place_plan p;

	CHECK_INT(policy_max_ranges(pol), CYCLIC_MAX_RANGES);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	/* Whole pages from 0x101000: chunk ends round to 0x102000, 0x104000... */
	CHECK_INT(p.n, 4);
	check_range(&p, 0, PS - 0x10, PS, MPOL_BIND, 1 << 1);
	check_range(&p, 1, 4 * PS - 0x10, 2 * PS, MPOL_BIND, 1 << 3);
	check_range(&p, 2, 6 * PS - 0x10, 2 * PS, MPOL_BIND, 1 << 1);
	check_range(&p, 3, 10 * PS - 0x10, 2 * PS, MPOL_BIND, 1 << 3);
	place_plan_free(&p);

	o = heap(0x100000, 64ull << 20);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK_INT(p.n, CYCLIC_MAX_RANGES);
	if (p.n == CYCLIC_MAX_RANGES) {
		check_range(&p, p.n - 2, (uint64_t)(p.n - 2) / 2 * 3 * 8192, 8192, MPOL_BIND, 1 << 1);
		CHECK_INT(p.ranges[p.n - 1].mode, MPOL_INTERLEAVE);
		CHECK_INT(p.ranges[p.n - 1].nodemask, (1 << 1) | (1 << 3));
		CHECK_INT(p.ranges[p.n - 1].offset + p.ranges[p.n - 1].length, o.size);
	}
	place_plan_free(&p);
	policy_free(pol);
}

/* Chunks from a header's end: the header's pages left alone, chunk k
 * from `from` + k * chunk, its ends rounded to pages. */
static void test_cyclic_from(void)
{
	struct policy *pol = parse("numamma-policy 3\n"
				   "heap callsite " MOD "+0x1234 cyclic 8192 from 6000 1 2\n");
	struct nm_object o = heap(0x100000, 8 * PS + 6000);
	struct place_plan p;

	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	/* 6000 rounds to 4096; chunk ends 14192 to 12288, 22384 to 20480... */
	CHECK_INT(p.n, 4);
	check_range(&p, 0, PS, 2 * PS, MPOL_BIND, 1 << 1);
	check_range(&p, 1, 3 * PS, 2 * PS, MPOL_BIND, 1 << 2);
	check_range(&p, 2, 5 * PS, 2 * PS, MPOL_BIND, 1 << 1);
	check_range(&p, 3, 7 * PS, 2 * PS, MPOL_BIND, 1 << 2);
	place_plan_free(&p);
	/* A start past the object places nothing. */
	o.size = 4096;
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 0);
	policy_free(pol);
}

/* Tiles: each slice's chunks from the slice's start, dealt to its own
 * nodes ('-' left alone); the node of a byte, as advise predicts it. */
static void test_tiles(void)
{
	struct policy *pol = parse("numamma-policy 4\n"
				   "heap callsite " MOD "+0x1234 tiles 8192 1,2:0-50% 3,-:50-100%\n");
	struct nm_object o = heap(0x100000, 16 * PS);
	const struct policy_rule *r = &pol->rules[0];
	struct place_plan p;

	CHECK_INT(policy_max_ranges(pol), CYCLIC_MAX_RANGES);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK_INT(p.n, 6);
	check_range(&p, 0, 0, 2 * PS, MPOL_BIND, 1 << 1);
	check_range(&p, 1, 2 * PS, 2 * PS, MPOL_BIND, 1 << 2);
	check_range(&p, 2, 4 * PS, 2 * PS, MPOL_BIND, 1 << 1);
	check_range(&p, 3, 6 * PS, 2 * PS, MPOL_BIND, 1 << 2);
	check_range(&p, 4, 8 * PS, 2 * PS, MPOL_BIND, 1 << 3);
	check_range(&p, 5, 12 * PS, 2 * PS, MPOL_BIND, 1 << 3);
	place_plan_free(&p);
	CHECK_INT(policy_tiles_node(r, 0, o.size), 1);
	CHECK_INT(policy_tiles_node(r, 3 * PS, o.size), 2);
	CHECK_INT(policy_tiles_node(r, 9 * PS, o.size), 3);
	CHECK_INT(policy_tiles_node(r, 10 * PS, o.size), -1);
	/* A slice starting inside a page: its chunks from its exact start. */
	o = heap(0x100000, 16 * PS + 0x800);
	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	CHECK(p.n == 6 && p.ranges[4].offset == 8 * PS);
	place_plan_free(&p);
	policy_free(pol);
}

/* The allocation-free form: ranges into the caller's buffer, sized once
 * for the whole policy; `each` counts its objects in matched. */
static void test_place_into_buffer(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "mmap callsite " MOD "+0x1234 pagemap 1:0-10% 1:10-30% 0:30-60% 1:60-100%\n"
				   "heap callsite " MOD "+0x1234 <- " MOD "+0x9999 each 3 -\n");
	struct nm_object o = { .kind = OBJ_MMAP, .addr = 0x200000, .size = 10 * PS };
	struct place_range ranges[4];
	uint64_t matched[2] = { 0, 0 };
	const char *rule = NULL;

	CHECK_INT(policy_max_ranges(pol), 4);
	CHECK_INT(policy_place(pol, &o, site_a, 1, matched, PS, ranges, &rule), 3);
	CHECK(ranges[2].offset == 6 * PS && ranges[2].length == 4 * PS && ranges[2].nodemask == 2);
	CHECK(rule == pol->rules[0].text);
	o = heap(0x400000, 4 * PS);
	CHECK_INT(policy_place(pol, &o, site_b, 2, matched, PS, ranges, NULL), 1);
	CHECK(ranges[0].mode == MPOL_BIND && ranges[0].nodemask == 8);
	/* The second object of the each rule is left where it lands. */
	CHECK_INT(policy_place(pol, &o, site_b, 2, matched, PS, ranges, NULL), 0);
	CHECK_INT((int)matched[1], 2);
	policy_free(pol);
}

static void test_specific_rule_wins(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "default interleave 0-3\n"
				   "heap callsite " MOD "+0x1234 bind 1\n"
				   "heap callsite " MOD "+0x1234 <- " MOD "+0x9999 leave\n"
				   "static symbol " MOD " table bind 3\n");
	struct nm_object o = heap(0x10000, 4 * PS);
	struct nm_frame other = { .module = "buildid:ffff", .offset = 0x1234 };
	struct nm_frame module = { .module = MOD };
	struct place_plan p;

	CHECK_INT(policy_plan_object(pol, &o, site_a, 2, NULL, PS, &p), 1);
	check_range(&p, 0, 0, 4 * PS, MPOL_BIND, 2);
	place_plan_free(&p);
	/* The deeper leave rule matches site_b better than bind 1. */
	CHECK_INT(policy_plan_object(pol, &o, site_b, 2, NULL, PS, &p), 0);
	CHECK_INT(policy_plan_object(pol, &o, &other, 1, NULL, PS, &p), 1);
	check_range(&p, 0, 0, 4 * PS, MPOL_INTERLEAVE, 0xf);
	place_plan_free(&p);

	o.kind = OBJ_STATIC;
	o.name = "table";
	CHECK_INT(policy_plan_object(pol, &o, &module, 1, NULL, PS, &p), 1);
	check_range(&p, 0, 0, 4 * PS, MPOL_BIND, 8);
	place_plan_free(&p);
	module.module = "buildid:ffff";
	CHECK_INT(policy_plan_object(pol, &o, &module, 1, NULL, PS, &p), 1);   /* the default */
	CHECK_INT(p.ranges[0].mode, MPOL_INTERLEAVE);
	place_plan_free(&p);
	o.kind = OBJ_STACK;
	CHECK_INT(policy_plan_object(pol, &o, NULL, 0, NULL, PS, &p), 0);
	policy_free(pol);
}

/* What numamma run does with the blocks of a stack, whatever their
 * size: nothing (its best rule leaves them), the same whole placement
 * (the agent makes it), or a plan each (stops: an `each` rule counts). */
static enum stack_placement stack_placement(const struct policy *pol, enum obj_kind kind,
					    const struct nm_frame *frames, int n, struct place_range *w)
{
	*w = (struct place_range){ 0 };
	return policy_stack_placement(pol, kind, frames, n, w);
}

static void test_stack_placement(void)
{
	struct policy *pol = parse("numamma-policy 1\n"
				   "heap callsite " MOD "+0x1234 bind 1\n"
				   "heap callsite " MOD "+0x1234 <- " MOD "+0x9999 leave\n"
				   "mmap callsite " MOD "+0x4444 each 0 1\n"
				   "mmap callsite " MOD "+0x5555 block 0:0-50% 1:50-100%\n"
				   "default leave\n");
	struct nm_frame other = { .module = "buildid:ffff", .offset = 0x1234 };
	struct nm_frame mapper = { .module = MOD, .offset = 0x4444 };
	struct nm_frame slicer = { .module = MOD, .offset = 0x5555 };
	struct place_range w;

	CHECK_INT(stack_placement(pol, OBJ_HEAP, site_a, 2, &w), STACK_WHOLE);
	CHECK_INT(w.mode, MPOL_BIND);
	CHECK_INT(w.nodemask, 1ULL << 1);
	CHECK_INT(stack_placement(pol, OBJ_HEAP, site_b, 2, &w), STACK_LEAVES);  /* its best rule */
	CHECK_INT(stack_placement(pol, OBJ_MMAP, site_a, 2, &w), STACK_LEAVES);  /* a heap block's rule */
	CHECK_INT(stack_placement(pol, OBJ_HEAP, &other, 1, &w), STACK_LEAVES);
	CHECK_INT(stack_placement(pol, OBJ_MMAP, &mapper, 1, &w), STACK_PLANS);  /* each: counts */
	CHECK_INT(stack_placement(pol, OBJ_MMAP, &slicer, 1, &w), STACK_PLANS);  /* by its size */
	CHECK_INT(stack_placement(pol, OBJ_STACK, site_a, 2, &w), STACK_LEAVES);
	pol->disabled = 1;                                          /* another binary's */
	CHECK_INT(stack_placement(pol, OBJ_HEAP, site_a, 2, &w), STACK_LEAVES);
	policy_free(pol);
	pol = parse("numamma-policy 1\ndefault interleave 0-3\n");
	CHECK_INT(stack_placement(pol, OBJ_HEAP, &other, 1, &w), STACK_WHOLE);
	CHECK_INT(w.mode, MPOL_INTERLEAVE);
	CHECK_INT(w.nodemask, 0xf);
	CHECK_INT(stack_placement(pol, OBJ_MMAP, NULL, 0, &w), STACK_WHOLE);
	/* No rule names a stack: every block of a kind alike. */
	w = (struct place_range){ 0 };
	CHECK_INT(policy_kind_placement(pol, OBJ_HEAP, &w), STACK_WHOLE);
	CHECK(w.mode == MPOL_INTERLEAVE && w.nodemask == 0xf);
	CHECK_INT(policy_kind_placement(pol, OBJ_STACK, &w), STACK_LEAVES);
	pol->disabled = 1;
	CHECK_INT(policy_kind_placement(pol, OBJ_MMAP, &w), STACK_LEAVES);
	policy_free(pol);
	pol = parse("numamma-policy 1\nmmap callsite " MOD "+0x4444 bind 1\ndefault leave\n");
	CHECK_INT(policy_kind_placement(pol, OBJ_HEAP, &w), STACK_LEAVES);
	CHECK_INT(policy_kind_placement(pol, OBJ_MMAP, &w), STACK_PLANS);  /* the stack decides */
	policy_free(pol);
	pol = parse("numamma-policy 1\nheap callsite " MOD "+0x4444 leave\ndefault bind 2\n");
	CHECK_INT(policy_kind_placement(pol, OBJ_HEAP, &w), STACK_PLANS);
	CHECK_INT(policy_kind_placement(pol, OBJ_MMAP, &w), STACK_WHOLE);
	CHECK(w.mode == MPOL_BIND && w.nodemask == 1ULL << 2);
	policy_free(pol);
}

/* A global policy places an object of kind whole, with mode and mask. */
static void check_global_plan(const char *policy, const char *nodes, enum obj_kind kind,
			      int mode, uint64_t mask)
{
	struct policy *pol = policy_global(policy, nodes, &topo4);
	struct nm_object o = heap(0x10000, 64 * PS);
	struct place_plan p;

	CHECK(pol != NULL);
	o.kind = kind;
	CHECK_INT(policy_plan_object(pol, &o, NULL, 0, NULL, PS, &p), 1);
	check_range(&p, 0, 0, 64 * PS, mode, mask);
	place_plan_free(&p);
	policy_free(pol);
}

static void test_global(void)
{
	struct policy *pol;

	check_global_plan("interleave", "all", OBJ_HEAP, MPOL_INTERLEAVE, 0xf);
	check_global_plan("bind", "2", OBJ_STATIC, MPOL_BIND, 4);

	pol = policy_global("interleave", "1,3", &topo4);
	CHECK(pol != NULL);
	CHECK_INT(pol->rules[0].nodemask, 0xa);
	policy_free(pol);

	CHECK(policy_global("bind", "0-1", &topo4) == NULL);
	CHECK(policy_global("bind", "4", &topo4) == NULL);
	CHECK(policy_global("interleave", "0-7", &topo4) == NULL);
	CHECK(policy_global("interleave", "1,,2", &topo4) == NULL);
	CHECK(policy_global("spread", "all", &topo4) == NULL);
}

static void test_pins(void)
{
	struct policy *pol = parse("numamma-policy 1\npin 1 3\npin 2 node 2\npin 3 node 2\n");

	CHECK_INT(policy_validate(pol, &topo4), 0);
	CHECK_INT(policy_thread_cpu(pol, 1), 3);
	CHECK_INT(policy_thread_cpu(pol, 0), -1);
	/* Not resolved without a machine: policy_load does that. */
	CHECK_INT(policy_thread_cpu(pol, 2), -1);
	policy_free(pol);

	pol = parse("numamma-policy 1\npin 1 8\n");
	CHECK_INT(policy_validate(pol, &topo4), -1);
	policy_free(pol);
}

/* The plan of a single-threaded program: rank 0 pinned, nothing else. */
static void test_main_thread_only(void)
{
	static const struct { const char *text; bool alone; } cases[] = {
		{ "numamma-policy 1\npin 0 3\n", true },
		{ "numamma-policy 1\npin 0 3\npin 1 2\n", false },
		{ "numamma-policy 4\npin 0 3\npin-child 1 2\n", false },
		{ "numamma-policy 1\npin 1 2\n", false },
		{ "numamma-policy 1\n", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *pol = parse(cases[i].text);

		CHECK(policy_main_thread_only(pol) == cases[i].alone);
		policy_free(pol);
	}
	CHECK(!policy_main_thread_only(NULL));
}

static void test_binary_check(void)
{
	struct policy *pol = parse("numamma-policy 1\nbinary " MOD "\ndefault bind 0\n");
	struct nm_object o = heap(0x10000, 4 * PS);
	struct place_plan p;

	CHECK_INT(policy_matches_module(pol, MOD), 1);
	CHECK_INT(policy_matches_module(pol, "buildid:ffff"), 0);
	CHECK_INT(policy_check_binary(pol, MOD), 0);
	CHECK_INT(policy_plan_object(pol, &o, NULL, 0, NULL, PS, &p), 1);
	place_plan_free(&p);

	pol->strict = 1;
	CHECK_INT(policy_check_binary(pol, "buildid:ffff"), -1);
	CHECK_INT(pol->disabled, 0);
	pol->strict = 0;
	CHECK_INT(policy_check_binary(pol, "buildid:ffff"), 0);
	CHECK_INT(pol->disabled, 1);
	CHECK_INT(policy_plan_object(pol, &o, NULL, 0, NULL, PS, &p), 0);
	policy_free(pol);
}

/* After an mbind that moved too little, the pages left off the range's
 * nodes are moved one by one: to the bound node, or spread over an
 * interleave's nodes by page number; pages on a right node, or not
 * there yet, stay. */
static void test_page_target(void)
{
	struct place_range bind = { 0, 8 * PS, MPOL_BIND, 1 << 2 };
	struct place_range il = { 0, 8 * PS, MPOL_INTERLEAVE, (1 << 1) | (1 << 3) | (1 << 5) };

	CHECK_INT(place_page_target(&bind, 7, 2), -1);
	CHECK_INT(place_page_target(&bind, 7, 0), 2);
	CHECK_INT(place_page_target(&bind, 7, 63), 2);
	CHECK_INT(place_page_target(&bind, 7, -ENOENT), -1);
	CHECK_INT(place_page_target(&bind, 7, -EFAULT), -1);
	CHECK_INT(place_page_target(&il, 9, 3), -1);
	CHECK_INT(place_page_target(&il, 9, 0), 1);
	CHECK_INT(place_page_target(&il, 10, 0), 3);
	CHECK_INT(place_page_target(&il, 11, 2), 5);
	CHECK_INT(place_page_target(&il, 12, 2), 1);
	CHECK_INT(place_page_target(&(struct place_range){ 0, PS, MPOL_BIND, 0 }, 1, 0), -1);
}

/* Huge pages may straddle a range's unaligned edges: one page inside
 * each such edge, an edge two ranges share once, none at 2 MiB. */
static void test_thp_edges(void)
{
	struct place_range r[3] = {
		{ 0x1000, 0x200000 - 0x1000, MPOL_BIND, 1 },          /* to 2 MiB: aligned end */
		{ 0x200000, 0x3000, MPOL_BIND, 2 },                    /* shares that edge */
		{ 0x300000, 0x5000, MPOL_BIND, 4 },                    /* apart */
	};
	struct place_plan plan = { 3, r, NULL };
	uint64_t pages[6];

	CHECK_INT(place_plan_thp_edges(&plan, 0x10000000, pages), 4);
	CHECK_INT(pages[0], 0x10001000);
	CHECK_INT(pages[1], 0x10202000);
	CHECK_INT(pages[2], 0x10300000);
	CHECK_INT(pages[3], 0x10304000);
	/* The object at an odd page: every edge is unaligned, the shared one
	 * counted once. */
	CHECK_INT(place_plan_thp_edges(&plan, 0x10001000, pages), 5);
	CHECK_INT(pages[0], 0x10002000);
	CHECK_INT(pages[1], 0x10200000);
	CHECK_INT(pages[2], 0x10203000);
}

int main(void)
{
	test_page_target();
	test_thp_edges();
	test_cyclic();
	test_cyclic_from();
	test_tiles();
	test_bind_rounds_inside();
	test_block_scales();
	test_block_merges();
	test_place_into_buffer();
	test_specific_rule_wins();
	test_stack_placement();
	test_global();
	test_pins();
	test_main_thread_only();
	test_binary_check();
	return unit_done();
}
