/* Breakpoints: how each kind of displaced instruction is moved out of
 * line or emulated (bp_prepare), and the jcc conditions. */
#include <string.h>

#include "breakpoint.h"
#include "unit.h"

#define ADDR 0x7f0000001000ULL
#define XOL  0x7f0000200000ULL

static int prepare(const uint8_t *code, size_t len, struct bp *b, uint8_t *slot)
{
	const char *why = NULL;
	uint8_t buf[16] = { 0 };

	memcpy(buf, code, len);
	memset(b, 0, sizeof(*b));
	memset(slot, 0, BP_SLOT_SIZE);
	b->addr = ADDR;
	return bp_prepare(b, buf, sizeof(buf), XOL, slot, &why);
}

/* The slot ends with jmp *0(%rip) to the next original instruction. */
static void check_jump_back(const uint8_t *slot, int len)
{
	static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	uint64_t back;

	CHECK(!memcmp(slot + len, jmp, sizeof(jmp)));
	memcpy(&back, slot + len + 6, 8);
	CHECK_INT(back, ADDR + len);
}

static void test_plain_instruction(void)
{
	static const uint8_t push_r12[] = { 0x41, 0x54 };       /* glibc malloc */
	struct bp b;
	uint8_t slot[BP_SLOT_SIZE];

	CHECK_INT(prepare(push_r12, sizeof(push_r12), &b, slot), 0);
	CHECK_INT(b.action, BP_XOL);
	CHECK_INT(b.len, 2);
	CHECK_INT(b.xol, XOL);
	CHECK(!memcmp(slot, push_r12, 2));
	check_jump_back(slot, 2);
}

static void test_rip_relative(void)
{
	/* cmpb $0x0,0x14133d(%rip): glibc realloc's second instruction kind. */
	static const uint8_t cmpb[] = { 0x80, 0x3d, 0x3d, 0x13, 0x14, 0x00, 0x00 };
	struct bp b;
	uint8_t slot[BP_SLOT_SIZE];
	int32_t disp;

	CHECK_INT(prepare(cmpb, sizeof(cmpb), &b, slot), 0);
	CHECK_INT(b.action, BP_XOL);
	CHECK_INT(b.len, 7);
	memcpy(&disp, slot + 2, 4);
	/* Same target seen from the slot: xol + 7 + disp == addr + 7 + old. */
	CHECK_INT(XOL + 7 + (int64_t)disp, ADDR + 7 + 0x14133d);
	check_jump_back(slot, 7);
}

static void test_out_of_reach(void)
{
	static const uint8_t cmpb[] = { 0x80, 0x3d, 0x3d, 0x13, 0x14, 0x00, 0x00 };
	struct bp b = { .addr = ADDR };
	uint8_t buf[16] = { 0 }, slot[BP_SLOT_SIZE];
	const char *why = NULL;

	memcpy(buf, cmpb, sizeof(cmpb));
	CHECK_INT(bp_prepare(&b, buf, sizeof(buf), ADDR + (3ULL << 31), slot, &why), -1);
	CHECK(why && strstr(why, "reach"));
}

static void test_branches(void)
{
	static const uint8_t jmp32[] = { 0xe9, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t call32[] = { 0xe8, 0xf0, 0xff, 0xff, 0xff };
	static const uint8_t je8[] = { 0x74, 0x05 };
	static const uint8_t jne32[] = { 0x0f, 0x85, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t ret[] = { 0xc3 };
	struct bp b;
	uint8_t slot[BP_SLOT_SIZE];

	CHECK_INT(prepare(jmp32, sizeof(jmp32), &b, slot), 0);
	CHECK_INT(b.action, BP_EMUL_JMP);
	CHECK_INT(b.target, ADDR + 5 + 0x10);
	CHECK_INT(prepare(call32, sizeof(call32), &b, slot), 0);
	CHECK_INT(b.action, BP_EMUL_CALL);
	CHECK_INT(b.target, ADDR + 5 - 0x10);
	CHECK_INT(prepare(je8, sizeof(je8), &b, slot), 0);
	CHECK_INT(b.action, BP_EMUL_JCC);
	CHECK_INT(b.cond, 0x4);
	CHECK_INT(b.target, ADDR + 2 + 5);
	CHECK_INT(prepare(jne32, sizeof(jne32), &b, slot), 0);
	CHECK_INT(b.action, BP_EMUL_JCC);
	CHECK_INT(b.cond, 0x5);
	CHECK_INT(b.target, ADDR + 6 + 0x100);
	CHECK_INT(prepare(ret, sizeof(ret), &b, slot), 0);
	CHECK_INT(b.action, BP_EMUL_RET);
}

static void test_refused(void)
{
	static const uint8_t int3[] = { 0xcc };
	static const uint8_t jrcxz[] = { 0xe3, 0x10 };
	struct bp b;
	uint8_t slot[BP_SLOT_SIZE];

	CHECK_INT(prepare(int3, sizeof(int3), &b, slot), -1);
	CHECK_INT(prepare(jrcxz, sizeof(jrcxz), &b, slot), -1);
}

static void test_jcc_conditions(void)
{
	enum { CF = 0x1, PF = 0x4, ZF = 0x40, SF = 0x80, OF = 0x800 };

	CHECK_INT(bp_jcc_taken(0x4, ZF), 1);          /* je */
	CHECK_INT(bp_jcc_taken(0x4, 0), 0);
	CHECK_INT(bp_jcc_taken(0x5, 0), 1);           /* jne */
	CHECK_INT(bp_jcc_taken(0x2, CF), 1);          /* jb */
	CHECK_INT(bp_jcc_taken(0x7, 0), 1);           /* ja */
	CHECK_INT(bp_jcc_taken(0x7, ZF), 0);
	CHECK_INT(bp_jcc_taken(0xc, SF), 1);          /* jl: SF != OF */
	CHECK_INT(bp_jcc_taken(0xc, SF | OF), 0);
	CHECK_INT(bp_jcc_taken(0xe, ZF), 1);          /* jle */
	CHECK_INT(bp_jcc_taken(0xf, 0), 1);           /* jg */
	CHECK_INT(bp_jcc_taken(0xa, PF), 1);          /* jp */
	CHECK_INT(bp_jcc_taken(0x0, OF), 1);          /* jo */
	CHECK_INT(bp_jcc_taken(0x9, SF), 0);          /* jns */
}

/* Many breakpoints (the table grows), found again in a copy (fork), and
 * a thread inside a slot moved back to the original code (detach). */
static void test_table(void)
{
	struct bp_table *bt = bp_table_new(), *copy;
	uint64_t rip;

	for (int i = 0; i < 200; i++) {
		struct bp b = { .addr = ADDR + 64 * i, .fn = i, .action = BP_XOL, .len = 2,
				.xol = XOL + 32 * i };
		bp_table_add(bt, &b);
	}
	CHECK_INT(bp_count(bt), 200);
	copy = bp_table_copy(bt);
	bp_table_free(bt);
	for (int i = 0; i < 200; i++) {
		const struct bp *b = bp_find(copy, ADDR + 64 * i);
		CHECK(b && b->fn == i);
	}
	CHECK(bp_find(copy, ADDR + 1) == NULL);
	rip = XOL + 32 * 7;                  /* before the copy ran */
	CHECK_INT(bp_leave_xol(copy, &rip), 1);
	CHECK_INT(rip, ADDR + 64 * 7);
	rip = XOL + 32 * 9 + 2;              /* after it, at the jump back */
	CHECK_INT(bp_leave_xol(copy, &rip), 1);
	CHECK_INT(rip, ADDR + 64 * 9 + 2);
	rip = 0x1234;
	CHECK_INT(bp_leave_xol(copy, &rip), 0);
	CHECK_INT(rip, 0x1234);
	bp_table_free(copy);
}

int main(void)
{
	test_plain_instruction();
	test_rip_relative();
	test_out_of_reach();
	test_branches();
	test_refused();
	test_jcc_conditions();
	test_table();
	return unit_done();
}
