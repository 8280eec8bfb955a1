/* alloc_call_event: what each allocator call makes, from its arguments
 * and result, the same for the trap path and the agent. */
#include "alloc_event.h"
#include "unit.h"

#define PAGE 4096
#define P 0x5555000010ULL
#define Q 0x5555000990ULL

static struct alloc_event ev;

static bool call(int fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t ret)
{
	struct alloc_call c = { .fn = fn, .args = { a0, a1, a2 }, .ret = ret };

	return alloc_call_event(&c, PAGE, &ev);
}

static void test_plain(void)
{
	CHECK(call(FN_MALLOC, 100, 0, 0, P));
	CHECK_INT(ev.op, AE_ALLOC);
	CHECK_INT(ev.addr, P);
	CHECK_INT(ev.size, 100);
	CHECK(!ev.mapped && !ev.old_addr);
	CHECK(!call(FN_MALLOC, 100, 0, 0, 0));           /* failed */
	CHECK(call(FN_CALLOC, 10, 12, 0, P));
	CHECK_INT(ev.size, 120);
	CHECK(!call(FN_CALLOC, 1ULL << 33, 1ULL << 33, 0, 0));
	CHECK(call(FN_PVALLOC, 100, 0, 0, P));
	CHECK_INT(ev.size, PAGE);
	CHECK(call(FN_ALIGNED_ALLOC, 64, 1000, 0, P));
	CHECK_INT(ev.size, 1000);
	CHECK(call(FN_MEMALIGN, 64, 1000, 0, P));
	CHECK_INT(ev.size, 1000);
}

static void test_realloc(void)
{
	CHECK(call(FN_REALLOC, P, 200, 0, Q));
	CHECK_INT(ev.op, AE_ALLOC);
	CHECK_INT(ev.old_addr, P);
	CHECK_INT(ev.addr, Q);
	CHECK_INT(ev.size, 200);
	CHECK(call(FN_REALLOC, 0, 200, 0, Q));             /* realloc(NULL) = malloc */
	CHECK_INT(ev.old_addr, 0);
	CHECK(!call(FN_REALLOC, P, 200, 0, 0));            /* failed: P stays */
	CHECK(call(FN_REALLOC, P, 0, 0, 0));               /* realloc(p, 0) frees */
	CHECK_INT(ev.op, AE_FREE);
	CHECK_INT(ev.addr, P);
	CHECK(call(FN_REALLOCARRAY, P, 10, 30, Q));
	CHECK_INT(ev.size, 300);
	CHECK(!call(FN_REALLOCARRAY, P, 1ULL << 40, 1ULL << 40, 0));
}

static void test_entry_only(void)
{
	CHECK(call(FN_FREE, P, 0, 0, 0));
	CHECK_INT(ev.op, AE_FREE);
	CHECK_INT(ev.addr, P);
	CHECK(!call(FN_FREE, 0, 0, 0, 0));
	CHECK(call(FN_MUNMAP, P & ~4095ULL, 5000, 0, 0));
	CHECK_INT(ev.op, AE_UNMAP);
	CHECK_INT(ev.size, 2 * PAGE);
	CHECK(!call(FN_EXIT, 0, 0, 0, 0));
}

/* An allocator library's own C++ operators: new (size), aligned new
 * (size, alignment), delete (the block; sized forms add its size). */
static void test_cxx_operators(void)
{
	CHECK(call(FN_NEW, 48, 0x7ffd0000, 0, P));
	CHECK_INT(ev.op, AE_ALLOC);
	CHECK_INT(ev.addr, P);
	CHECK_INT(ev.size, 48);
	CHECK(!call(FN_NEW, 48, 0, 0, 0));               /* nothrow new failed */
	CHECK(call(FN_NEW_ALIGNED, 1000, 64, 0x7ffd0000, Q));
	CHECK_INT(ev.addr, Q);
	CHECK_INT(ev.size, 1000);
	CHECK(call(FN_DELETE, P, 48, 0, 0));
	CHECK_INT(ev.op, AE_FREE);
	CHECK_INT(ev.addr, P);
	CHECK(!call(FN_DELETE, 0, 0, 0, 0));
	CHECK(alloc_fn_frees(FN_DELETE) && alloc_fn_frees(FN_FREE) && !alloc_fn_frees(FN_MUNMAP));
	CHECK(alloc_fn_returns(FN_NEW) && alloc_fn_returns(FN_NEW_ALIGNED) &&
	      !alloc_fn_returns(FN_DELETE));
	CHECK_STR(alloc_fn_name(FN_DELETE), "operator delete");
}

/* jemalloc's own API. */
static void test_jemalloc_api(void)
{
	CHECK(call(FN_MALLOCX, 100, 0x40, 0, P));
	CHECK_INT(ev.op, AE_ALLOC);
	CHECK_INT(ev.size, 100);
	CHECK(call(FN_RALLOCX, P, 300, 0, Q));
	CHECK_INT(ev.old_addr, P);
	CHECK_INT(ev.addr, Q);
	CHECK_INT(ev.size, 300);
	CHECK(!call(FN_RALLOCX, P, 0, 0, 0));             /* failed: P stays */
	CHECK(call(FN_SDALLOCX, Q, 300, 0, 0));
	CHECK_INT(ev.op, AE_FREE);
	CHECK_INT(ev.addr, Q);
	CHECK(call(FN_DALLOCX, P, 0, 0, 0));
	CHECK_INT(ev.op, AE_FREE);
	CHECK(call(FN_XALLOCX, P, 500, 64, 512));          /* grown in place */
	CHECK_INT(ev.op, AE_ALLOC);
	CHECK_INT(ev.addr, P);
	CHECK_INT(ev.old_addr, P);
	CHECK_INT(ev.size, 512);
	CHECK(!call(FN_XALLOCX, 0, 500, 0, 0));
	CHECK(alloc_fn_frees(FN_DALLOCX) && alloc_fn_returns(FN_RALLOCX));
	CHECK_STR(alloc_fn_name(FN_SDALLOCX), "sdallocx");
}

static void test_maps(void)
{
	struct alloc_call c = { .fn = FN_POSIX_MEMALIGN, .args = { 0x7ffd0000, 64, 512 },
				.ret = 0, .out = Q };

	CHECK(call(FN_MMAP, 0, 5000, 3, 0x7f0000000000ULL));
	CHECK(ev.mapped);
	CHECK_INT(ev.size, 2 * PAGE);
	CHECK(!call(FN_MMAP, 0, 5000, 3, (uint64_t)-12));  /* -ENOMEM */
	CHECK(call(FN_MREMAP, 0x7f0000000000ULL, 4096, 8192, 0x7f0000100000ULL));
	CHECK_INT(ev.old_addr, 0x7f0000000000ULL);
	CHECK_INT(ev.old_size, PAGE);
	CHECK_INT(ev.size, 2 * PAGE);
	CHECK(alloc_call_event(&c, PAGE, &ev));
	CHECK_INT(ev.addr, Q);
	CHECK_INT(ev.size, 512);
	c.ret = 12;                                         /* ENOMEM */
	CHECK(!alloc_call_event(&c, PAGE, &ev));
}

int main(void)
{
	test_plain();
	test_realloc();
	test_entry_only();
	test_cxx_operators();
	test_jemalloc_api();
	test_maps();
	CHECK_STR(alloc_fn_name(FN_POSIX_MEMALIGN), "posix_memalign");
	CHECK(alloc_fn_returns(FN_MALLOC) && !alloc_fn_returns(FN_FREE));
	return unit_done();
}
