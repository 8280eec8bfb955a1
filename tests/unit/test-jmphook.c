/* jmphook_prepare on glibc 2.36's allocator prologues: the thunk, the
 * relocated copy (a jcc and a rip-relative operand keep their targets),
 * the jump back, and the 5-byte jump. */
#include "jmphook.h"
#include "unit.h"

#define FN   0x7f0000098930ULL
#define SLOT 0x7f0000001000ULL
#define ENTRY 0x7f1000000000ULL

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static int32_t s32_at(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_malloc(void)
{
	/* push %r12; push %rbp; push %rbx; mov %rdi,%rbx */
	static const uint8_t code[16] = { 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb, 0x90 };
	uint8_t slot[JMPHOOK_SLOT_SIZE], jmp[5];
	struct jmphook h;
	const char *why = NULL;

	CHECK_INT(jmphook_prepare(&h, FN, code, sizeof(code), SLOT, 7, ENTRY, slot, &why), 0);
	CHECK_INT(h.len, 7);
	CHECK_INT(h.ninsn, 4);
	CHECK(slot[0] == 0x41 && slot[1] == 0xbb && s32_at(slot + 2) == 7);
	CHECK_INT(u64_at(slot + 12), ENTRY);
	CHECK(!memcmp(slot + JMPHOOK_ORIGINAL, code, 7));
	CHECK(slot[JMPHOOK_ORIGINAL + 7] == 0xff && slot[JMPHOOK_ORIGINAL + 8] == 0x25);
	CHECK_INT(u64_at(slot + JMPHOOK_ORIGINAL + 13), FN + 7);
	jmphook_jump(&h, jmp);
	CHECK_INT(jmp[0], 0xe9);
	CHECK_INT(s32_at(jmp + 1), (int64_t)(SLOT - (FN + 5)));
	CHECK_INT(jmphook_moved_rip(&h, FN + 3), SLOT + JMPHOOK_ORIGINAL + 3);
	CHECK_INT(jmphook_moved_rip(&h, FN), 0);
	CHECK_INT(jmphook_moved_rip(&h, FN + 7), 0);
}

static void test_free(void)
{
	/* test %rdi,%rdi; je +0xbf (rel32) */
	static const uint8_t code[16] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55 };
	uint8_t slot[JMPHOOK_SLOT_SIZE];
	struct jmphook h;
	const char *why = NULL;
	uint64_t je = SLOT + JMPHOOK_ORIGINAL + 3;

	CHECK_INT(jmphook_prepare(&h, FN, code, sizeof(code), SLOT, 1, ENTRY, slot, &why), 0);
	CHECK_INT(h.len, 9);
	CHECK(slot[je - SLOT] == 0x0f && slot[je - SLOT + 1] == 0x84);
	CHECK_INT(je + 6 + s32_at(slot + (je - SLOT) + 2), FN + 9 + 0xbf);
}

static void test_rip_relative(void)
{
	/* cmpb $0x0,0x140201(%rip); push %r12 */
	static const uint8_t code[16] = { 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54 };
	uint8_t slot[JMPHOOK_SLOT_SIZE];
	struct jmphook h;
	const char *why = NULL;
	uint64_t copy = SLOT + JMPHOOK_ORIGINAL;

	CHECK_INT(jmphook_prepare(&h, FN, code, sizeof(code), SLOT, 1, ENTRY, slot, &why), 0);
	CHECK_INT(h.len, 7);
	CHECK_INT(copy + 7 + s32_at(slot + JMPHOOK_ORIGINAL + 2), FN + 7 + 0x140201);
}

static void test_refusals(void)
{
	static const uint8_t ret[16] = { 0xc3 }, jrcxz[16] = { 0xe3, 0x10, 0x90, 0x90, 0x90, 0x90 };
	static const uint8_t ret_call[16] = { 0xc3, 0x90, 0xe8, 0, 0, 0, 0 };
	uint8_t slot[JMPHOOK_SLOT_SIZE];
	struct jmphook h;
	const char *why = NULL;
	/* A loop back to the second instruction of the replaced bytes. */
	static const uint8_t body[] = { 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb, 0xeb, 0xf9 };

	CHECK_INT(jmphook_prepare(&h, FN, ret, sizeof(ret), SLOT, 1, ENTRY, slot, &why), -1);
	CHECK(why != NULL);
	/* A lone ret, then a nop that is not alignment padding's end: a call
	 * after it, or garbage. */
	CHECK_INT(jmphook_prepare(&h, FN, ret_call, sizeof(ret_call), SLOT, 1, ENTRY, slot, &why), -1);
	CHECK_INT(jmphook_prepare(&h, FN, jrcxz, sizeof(jrcxz), SLOT, 1, ENTRY, slot, &why), -1);
	CHECK_INT(jmphook_prepare(&h, FN, body, sizeof(body), SLOT, 1, ENTRY, slot, &why), 0);
	CHECK(jmphook_branch_inside(&h, body, sizeof(body)));
	CHECK(!jmphook_branch_inside(&h, body, 7));
}

/* The loader's _dl_debug_state(): a ret, then 15 bytes of padding (one
 * long nop) up to the next function.  The jump covers the ret and 4
 * bytes of the nop; the copy is the ret alone; unhooking writes back
 * those 5 bytes. */
static void test_ret_then_padding(void)
{
	static const uint8_t code[16] = { 0xc3, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0,
					  0x0f, 0x1f, 0x40, 0 };
	static const uint8_t endbr_ret[16] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xc3, 0xcc, 0xcc };
	uint8_t slot[JMPHOOK_SLOT_SIZE];
	struct jmphook h;
	const char *why = NULL;

	CHECK_INT(jmphook_prepare(&h, FN, code, sizeof(code), SLOT, 3, ENTRY, slot, &why), 0);
	CHECK_INT(h.len, JMPHOOK_JMP_LEN);
	CHECK(!memcmp(h.orig, code, JMPHOOK_JMP_LEN));
	CHECK_INT(slot[JMPHOOK_ORIGINAL], 0xc3);
	CHECK_INT(slot[JMPHOOK_ORIGINAL + 1], 0xcc);      /* nothing after the ret */
	CHECK_INT(jmphook_moved_rip(&h, FN + 2), 0);
	CHECK_INT(jmphook_prepare(&h, FN, endbr_ret, sizeof(endbr_ret), SLOT, 3, ENTRY, slot, &why), 0);
	CHECK_INT(slot[JMPHOOK_ORIGINAL + 4], 0xc3);
	CHECK_INT(jmphook_moved_rip(&h, FN + 4), SLOT + JMPHOOK_ORIGINAL + 4);
}

/* Runs of jumps: one page, pages next to each other, a page between
 * (two runs), a jump across a page's end, a run's byte limit. */
static void test_runs(void)
{
	const uint64_t same_page[] = { 0x7000, 0x7010, 0x7ff0 };
	const uint64_t next_pages[] = { 0x6ef0, 0x7610, 0x8280, 0x87e0 };
	const uint64_t gap[] = { 0x6ef0, 0x7010, 0x9000 };
	const uint64_t across[] = { 0x6ffe, 0x8000 };
	uint64_t far[8];

	CHECK_INT(jmphook_run_length(same_page, 3), 3);
	CHECK_INT(jmphook_run_length(next_pages, 4), 4);
	CHECK_INT(jmphook_run_length(gap, 3), 2);
	CHECK_INT(jmphook_run_length(gap + 2, 1), 1);
	/* The first jump's last bytes are in page 7: page 8 is next to it. */
	CHECK_INT(jmphook_run_length(across, 2), 2);
	CHECK_INT(jmphook_run_length(across, 0), 0);
	for (int i = 0; i < 8; i++)
		far[i] = 0x10000 + (uint64_t)i * 0xc00;
	/* 0x14800 + 5 is past 16 KiB from 0x10000: the seventh starts a run. */
	CHECK_INT(jmphook_run_length(far, 8), 6);
	CHECK_INT(jmphook_run_length(far + 6, 2), 2);
}

int main(void)
{
	test_malloc();
	test_free();
	test_rip_relative();
	test_refusals();
	test_ret_then_padding();
	test_runs();
	return unit_done();
}
