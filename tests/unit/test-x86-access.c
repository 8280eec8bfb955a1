/* The clock sampler's access finder on instruction bytes: the one just
 * before the ip (when the function says it is the only way there; first,
 * or at its next run when its load changed its own address), the access
 * at the ip, the next one by emulation (arithmetic, flags, jmp/Jcc with
 * the sampled flags), the refusals, and the cache of decoded
 * instructions (every case run through it too). */
#include <stdbool.h>

#include "x86_access.h"
#include "unit.h"

#define BASE 0x401000ULL

struct code {
	const uint8_t *bytes;
	size_t len;
	const struct x86_func_map *map;   /* the whole code is one function */
	/* The map counts as not built until asked to build it, as the
	 * clock sampler's are for a function not met before: builds. */
	bool lazy;
	int builds;
};

static size_t read_code(void *arg, uint64_t addr, uint8_t *buf, size_t len)
{
	const struct code *c = arg;

	if (addr < BASE || addr >= BASE + c->len)
		return 0;
	if (len > BASE + c->len - addr)
		len = BASE + c->len - addr;
	memcpy(buf, c->bytes + (addr - BASE), len);
	return len;
}

/* Registers with distinct values, ip at BASE + off. */
static struct x86_regs regs_at(uint64_t off)
{
	struct x86_regs r = { .fs_base = 0x7f0000001000ULL };
	int i;

	for (i = 0; i < PERF_REG_X86_64_MAX; i++)
		r.r[i] = 0x10000000ULL * (i + 1);
	r.r[PERF_REG_X86_IP] = BASE + off;
	r.r[PERF_REG_X86_FLAGS] = 0x202;
	return r;
}

/* Read-only memory as find() tells x86_find_access: [const_lo, const_hi). */
static uint64_t const_lo, const_hi;

static bool constant(void *arg, uint64_t addr)
{
	(void)arg;
	return addr >= const_lo && addr < const_hi;
}

static uint64_t predecessor(void *arg, uint64_t ip, bool build)
{
	struct code *c = arg;

	if (c->lazy && !build)
		return X86_PREDECESSOR_UNKNOWN;
	c->builds += c->lazy;
	return c->map ? x86_func_map_predecessor(c->map, ip) : 0;
}

/* Every test's code starts at BASE: through one cache of decoded
 * instructions, each finds other bytes at the same addresses. */
static struct x86_insn_cache *shared_insns;
/* The builds the last find() asked of a lazy map. */
static int last_builds;

static void check_same_access(const struct x86_access *a, const struct x86_access *b)
{
	CHECK_INT(a->addr, b->addr);
	CHECK_INT(a->ip, b->ip);
	CHECK_INT(a->size, b->size);
	CHECK_INT(a->kind, b->kind);
	CHECK_INT(a->steps, b->steps);
}

/* Finds the access at regs; with whole set, knowing bytes are one
 * function (for backward).  The answer must not change when the
 * instructions come from the shared cache, the first time (decoded then)
 * or the second (found there). */
static enum x86_resolution find(const uint8_t *bytes, size_t len, const struct x86_regs *regs, int whole,
				struct x86_access *out)
{
	struct code c = { .bytes = bytes, .len = len };
	struct x86_code code = { .read = read_code, .predecessor = predecessor, .arg = &c,
				 .constant = constant };
	enum x86_resolution how;
	struct x86_access cached;
	int i;

	if (whole)
		CHECK((c.map = x86_func_map_build(BASE, BASE + len, read_code, &c)) != NULL);
	how = x86_find_access(regs, &code, out);
	code.insns = shared_insns;
	for (i = 0; i < 2; i++) {
		CHECK_INT(x86_find_access(regs, &code, &cached), how);
		check_same_access(&cached, out);
	}
	/* The same answer where the map is built only when needed. */
	c.lazy = true;
	CHECK_INT(x86_find_access(regs, &code, &cached), how);
	check_same_access(&cached, out);
	last_builds = c.builds;
	x86_func_map_free((struct x86_func_map *)c.map);
	return how;
}

#define FIND(bytes, regs, whole, out) find((bytes), sizeof(bytes), &(regs), (whole), (out))

static void check_access(const struct x86_access *a, uint64_t addr, char kind, unsigned size, uint64_t ip)
{
	CHECK_INT(a->addr, addr);
	CHECK_INT(a->kind, kind);
	CHECK_INT(a->size, size);
	CHECK_INT(a->ip, ip);
}

static void test_at_ip(void)
{
	static const uint8_t load[] = { 0x48, 0x8b, 0x44, 0xcb, 0x10 };   /* mov rax, [rbx+rcx*8+0x10] */
	static const uint8_t store[] = { 0x89, 0x77, 0x04 };              /* mov [rdi+4], esi */
	static const uint8_t riprel[] = { 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 }; /* mov eax, [rip+0x100] */
	static const uint8_t fsrel[] = { 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0 }; /* mov rax, fs:0x28 */
	struct x86_regs r = regs_at(0);
	struct x86_access a;

	CHECK_INT(FIND(load, r, 0, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_BX] + r.r[PERF_REG_X86_CX] * 8 + 0x10, 'R', 8, BASE);
	CHECK_INT(FIND(store, r, 0, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_DI] + 4, 'W', 4, BASE);
	CHECK_INT(FIND(riprel, r, 0, &a), X86_AT_IP);
	check_access(&a, BASE + 6 + 0x100, 'R', 4, BASE);
	CHECK_INT(FIND(fsrel, r, 0, &a), X86_AT_IP);
	check_access(&a, r.fs_base + 0x28, 'R', 8, BASE);
	r.fs_base = 0;
	CHECK_INT(FIND(fsrel, r, 0, &a), X86_NO_FS_BASE);
}

/* push and call write below rsp; rep string instructions at their
 * current iteration, nothing when rcx is 0. */
static void test_stack_and_strings(void)
{
	static const uint8_t push[] = { 0x55 };                            /* push rbp */
	static const uint8_t call[] = { 0xe8, 0x00, 0x01, 0x00, 0x00 };    /* call .+0x105 */
	static const uint8_t movs[] = { 0xf3, 0xa4 };                      /* rep movsb */
	static const uint8_t stos[] = {
		0xf3, 0x48, 0xab,                 /* rep stosq */
		0x89, 0x77, 0x04,                 /* mov [rdi+4], esi */
	};
	struct x86_regs r = regs_at(0);
	uint64_t sp = r.r[PERF_REG_X86_SP], di = r.r[PERF_REG_X86_DI];
	struct x86_access a;

	CHECK_INT(FIND(push, r, 0, &a), X86_AT_IP);
	check_access(&a, sp - 8, 'W', 8, BASE);
	CHECK_INT(FIND(call, r, 0, &a), X86_AT_IP);
	check_access(&a, sp - 8, 'W', 8, BASE);
	CHECK_INT(FIND(movs, r, 0, &a), X86_AT_IP);
	check_access(&a, di, 'W', 1, BASE);
	CHECK_INT(FIND(stos, r, 0, &a), X86_AT_IP);
	check_access(&a, di, 'W', 8, BASE);
	r.r[PERF_REG_X86_CX] = 0;
	CHECK_INT(FIND(stos, r, 0, &a), X86_FORWARD);
	check_access(&a, di + 4, 'W', 4, BASE + 3);
}

/* A sum loop sampled on the add after its load, as clock samples land. */
static const uint8_t sum_loop[] = {
	0xf2, 0x0f, 0x58, 0x00,                   /* 0: addsd xmm0, [rax] */
	0x48, 0x83, 0xc0, 0x08,                   /* 4: add rax, 8 */
	0x48, 0x39, 0xd0,                         /* 8: cmp rax, rdx */
	0x75, 0xf3,                               /* b: jne 0 */
	0xc3,                                     /* d: ret */
};

static void test_loop_after_load(void)
{
	struct x86_regs r = regs_at(4);
	uint64_t ax = r.r[PERF_REG_X86_AX];
	struct x86_access a;

	r.r[PERF_REG_X86_DX] = ax + 800;
	CHECK_INT(FIND(sum_loop, r, 0, &a), X86_FORWARD);
	check_access(&a, ax + 8, 'R', 8, BASE);
	CHECK_INT(a.steps, 3);
	/* The last iteration: the loop exits to ret, which reads [rsp]. */
	r.r[PERF_REG_X86_DX] = ax + 8;
	CHECK_INT(FIND(sum_loop, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_SP], 'R', 8, BASE + 0xd);
	/* Knowing the function: the load the thread stalled on. */
	CHECK_INT(FIND(sum_loop, r, 1, &a), X86_BACKWARD);
	CHECK_INT(last_builds, 1);
	check_access(&a, ax, 'R', 8, BASE);
}

/* jne decided by the sampled flags. */
static void test_jcc_sampled_flags(void)
{
	static const uint8_t code[] = {
		0x75, 0x02,                       /* 0: jne 4 */
		0x89, 0x01,                       /* 2: mov [rcx], eax */
		0x89, 0x02,                       /* 4: mov [rdx], eax */
	};
	struct x86_regs r = regs_at(0);
	struct x86_access a;

	r.r[PERF_REG_X86_FLAGS] = 0x246;          /* ZF: not taken */
	CHECK_INT(FIND(code, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_CX], 'W', 4, BASE + 2);
	r.r[PERF_REG_X86_FLAGS] = 0x202;
	CHECK_INT(FIND(code, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_DX], 'W', 4, BASE + 4);
}

/* lea, shl, 32-bit arithmetic (zero-extending), xor-zeroing, cmov, nops. */
static void test_emulation(void)
{
	static const uint8_t lea_shl[] = {
		0x48, 0x8d, 0x34, 0x97,           /* 0: lea rsi, [rdi+rdx*4] */
		0x48, 0xc1, 0xe1, 0x03,           /* 4: shl rcx, 3 */
		0x48, 0x8b, 0x04, 0x0b,           /* 8: mov rax, [rbx+rcx] */
	};
	static const uint8_t sub32[] = {
		0x83, 0xee, 0x01,                 /* 0: sub esi, 1 */
		0x90,                             /* 3: nop */
		0x0f, 0x1f, 0x04, 0x00,           /* 4: nop [rax+rax] */
		0x8b, 0x46, 0x08,                 /* 8: mov eax, [rsi+8] */
	};
	static const uint8_t zero[] = {
		0x31, 0xc9,                       /* 0: xor ecx, ecx */
		0x48, 0x8b, 0x14, 0xcf,           /* 2: mov rdx, [rdi+rcx*8] */
	};
	static const uint8_t cmov[] = {
		0x48, 0x0f, 0x45, 0xc1,           /* 0: cmovne rax, rcx */
		0x48, 0x8b, 0x00,                 /* 4: mov rax, [rax] */
	};
	struct x86_regs r = regs_at(0);
	struct x86_access a;

	CHECK_INT(FIND(lea_shl, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_BX] + (r.r[PERF_REG_X86_CX] << 3), 'R', 8, BASE + 8);
	CHECK_INT(a.steps, 2);
	r.r[PERF_REG_X86_SI] = 0x100001000ULL;
	CHECK_INT(FIND(sub32, r, 0, &a), X86_FORWARD);
	check_access(&a, 0xfff + 8, 'R', 4, BASE + 8);
	CHECK_INT(FIND(zero, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_DI], 'R', 8, BASE + 2);
	CHECK_INT(FIND(cmov, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_CX], 'R', 8, BASE + 4);
	r.r[PERF_REG_X86_FLAGS] = 0x246;
	CHECK_INT(FIND(cmov, r, 0, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_AX], 'R', 8, BASE + 4);
}

/* Index arithmetic: an int index widened, scaled by a struct size. */
static void test_index_arith(void)
{
	static const uint8_t cdqe[] = {
		0x48, 0x98,                       /* 0: cdqe */
		0x8b, 0x04, 0x87,                 /* 2: mov eax, [rdi+rax*4] */
	};
	static const uint8_t imul[] = {
		0x48, 0x6b, 0xc0, 0x18,           /* 0: imul rax, rax, 24 */
		0x48, 0x8b, 0x04, 0x07,           /* 4: mov rax, [rdi+rax] */
	};
	static const uint8_t imul2_not[] = {
		0x48, 0x0f, 0xaf, 0xd6,           /* 0: imul rdx, rsi */
		0x48, 0xf7, 0xd2,                 /* 4: not rdx */
		0x48, 0x8b, 0x0c, 0x17,           /* 7: mov rcx, [rdi+rdx] */
	};
	struct x86_regs r = regs_at(0);
	uint64_t di = r.r[PERF_REG_X86_DI], dx = r.r[PERF_REG_X86_DX], si = r.r[PERF_REG_X86_SI];
	struct x86_access a;

	r.r[PERF_REG_X86_AX] = 0xabcd0000fffffffeULL;      /* eax = -2 */
	CHECK_INT(FIND(cdqe, r, 0, &a), X86_FORWARD);
	check_access(&a, di - 8, 'R', 4, BASE + 2);
	r.r[PERF_REG_X86_AX] = 5;
	CHECK_INT(FIND(imul, r, 0, &a), X86_FORWARD);
	check_access(&a, di + 5 * 24, 'R', 8, BASE + 4);
	r.r[PERF_REG_X86_SI] = si = 1;     /* di + ~(dx * si): in user space */
	CHECK_INT(FIND(imul2_not, r, 0, &a), X86_FORWARD);
	check_access(&a, di + ~(dx * si), 'R', 8, BASE + 7);
}

/* The instruction before ip is not taken when another path leads to ip,
 * or when it moved its own address registers. */
/* No access can end at ip (no instruction of 1 to 15 bytes before it
 * has one): the function's map is not built, the answer is the same. */
static void test_backward_not_built(void)
{
	static const uint8_t no_load_before[] = {
		0x48, 0x83, 0xc0, 0x08,           /* 0: add rax, 8 */
		0x48, 0x39, 0xd0,                 /* 4: cmp rax, rdx */
		0x75, 0xf7,                       /* 7: jne 0 */
		0xc3,                             /* 9: ret */
	};
	struct x86_regs r = regs_at(4);
	struct x86_access a;

	r.r[PERF_REG_X86_DX] = r.r[PERF_REG_X86_AX] + 8;
	CHECK_INT(FIND(no_load_before, r, 1, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_SP], 'R', 8, BASE + 9);
	CHECK_INT(last_builds, 0);
}

static void test_backward_refused(void)
{
	static const uint8_t joined[] = {
		0x48, 0x8b, 0x14, 0xcf,           /* 0: mov rdx, [rdi+rcx*8] */
		0x48, 0xff, 0xc1,                 /* 4: inc rcx */
		0x48, 0x8b, 0x00,                 /* 7: mov rax, [rax] */
		0xeb, 0xf8,                       /* a: jmp 4 */
	};
	static const uint8_t self[] = {
		0x48, 0x8b, 0x00,                 /* 0: mov rax, [rax] */
		0x48, 0x83, 0xc2, 0x01,           /* 3: add rdx, 1 */
		0x89, 0x02,                       /* 7: mov [rdx], eax */
	};
	struct x86_regs r = regs_at(4);
	struct x86_access a;

	CHECK_INT(FIND(joined, r, 1, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_AX], 'R', 8, BASE + 7);
	/* Without the jmp, the load is the only way to ip. */
	CHECK_INT(find(joined, 0xa, &r, 1, &a), X86_BACKWARD);
	check_access(&a, r.r[PERF_REG_X86_DI] + r.r[PERF_REG_X86_CX] * 8, 'R', 8, BASE);
	r = regs_at(3);
	CHECK_INT(FIND(self, r, 1, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_DX] + 1, 'W', 4, BASE + 7);
}

/* The access the thread stalled on comes first: a load that misses,
 * then an update of a small array at ip, is the load's sample; a load
 * that changed its own index, or a list's next pointer, is found at its
 * next run. */
static void test_stalled_first(void)
{
	static const uint8_t then_update[] = {
		0x48, 0x8b, 0x14, 0xc8,           /* 0: mov rdx, [rax+rcx*8] */
		0x49, 0x01, 0x14, 0xf8,           /* 4: add [r8+rdi*8], rdx */
		0xc3,                             /* 8: ret */
	};
	static const uint8_t chase[] = {
		0x48, 0x89, 0xd6,                 /* 0: mov rsi, rdx */
		0x81, 0xe6, 0xff, 0x00, 0x00, 0x00, /* 3: and esi, 0xff */
		0x48, 0x8b, 0x34, 0xf0,           /* 9: mov rsi, [rax+rsi*8] */
		0x49, 0x01, 0x30,                 /* d: add [r8], rsi */
		0x48, 0x31, 0xf2,                 /* 10: xor rdx, rsi */
		0xeb, 0xeb,                       /* 13: jmp 0 */
	};
	static const uint8_t list[] = {
		0x48, 0x8b, 0x00,                 /* 0: mov rax, [rax] */
		0x48, 0x85, 0xc0,                 /* 3: test rax, rax */
		0x75, 0xf8,                       /* 6: jne 0 */
		0xc3,                             /* 8: ret */
	};
	struct x86_regs r = regs_at(4);
	uint64_t dx, si;
	struct x86_access a;

	CHECK_INT(FIND(then_update, r, 1, &a), X86_BACKWARD);
	check_access(&a, r.r[PERF_REG_X86_AX] + r.r[PERF_REG_X86_CX] * 8, 'R', 8, BASE);
	/* Not knowing the function, the update at ip. */
	CHECK_INT(FIND(then_update, r, 0, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_R8] + r.r[PERF_REG_X86_DI] * 8, 'W', 8, BASE + 4);

	r = regs_at(0xd);
	dx = r.r[PERF_REG_X86_DX], si = r.r[PERF_REG_X86_SI];
	CHECK_INT(FIND(chase, r, 1, &a), X86_REPEAT);
	check_access(&a, r.r[PERF_REG_X86_AX] + ((dx ^ si) & 0xff) * 8, 'R', 8, BASE + 9);
	CHECK_INT(a.steps, 5);

	r = regs_at(3);
	CHECK_INT(FIND(list, r, 1, &a), X86_REPEAT);
	check_access(&a, r.r[PERF_REG_X86_AX], 'R', 8, BASE);
	CHECK_INT(a.steps, 2);
	/* The list's end: no next run; the ret's read of the stack ahead. */
	r.r[PERF_REG_X86_AX] = 0;
	CHECK_INT(FIND(list, r, 1, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_SP], 'R', 8, BASE + 8);
}

/* A constant reloaded from its pool at each turn of a loop bound by its
 * arithmetic is no data access: a sample at the loop's top (a branch
 * target: nothing known before it) goes on to the array's load, and one
 * after the constant's load looks back past it; a call through a
 * constant slot is its push. */
static void test_constant_skipped(void)
{
	static const uint8_t loop[] = {
		0xf2, 0x0f, 0x10, 0x05, 0x08, 0x00, 0x00, 0x00, /* 0: movsd xmm0, [rip+8] (0x10) */
		0xf2, 0x0f, 0x59, 0x00,           /* 8: mulsd xmm0, [rax] */
		0x48, 0x83, 0xc0, 0x08,           /* c: add rax, 8 */
		0xeb, 0xee,                       /* 10: jmp 0 */
	};
	static const uint8_t call_slot[] = {
		0xff, 0x15, 0x00, 0x00, 0x00, 0x00, /* 0: call [rip+0] (6) */
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	};
	struct x86_regs r = regs_at(0);
	uint64_t ax = r.r[PERF_REG_X86_AX];
	struct x86_access a;

	CHECK_INT(FIND(loop, r, 1, &a), X86_AT_IP);           /* not told: the constant */
	check_access(&a, BASE + 0x10, 'R', 8, BASE);
	const_lo = BASE + 0x10, const_hi = BASE + 0x18;
	CHECK_INT(FIND(loop, r, 1, &a), X86_FORWARD);
	check_access(&a, ax, 'R', 8, BASE + 8);
	CHECK_INT(a.steps, 1);
	r = regs_at(8);
	CHECK_INT(FIND(loop, r, 1, &a), X86_AT_IP);
	check_access(&a, ax, 'R', 8, BASE + 8);
	/* A call through a constant slot (a relocated GOT's): its push. */
	r = regs_at(0);
	const_lo = BASE + 6, const_hi = BASE + 14;
	CHECK_INT(FIND(call_slot, r, 1, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_SP] - 8, 'W', 8, BASE);
	const_lo = const_hi = 0;
	CHECK_INT(FIND(call_slot, r, 1, &a), X86_AT_IP);
	check_access(&a, BASE + 6, 'R', 8, BASE);
}

/* A function's map: instruction starts, fall-through, branch targets. */
static void test_func_map(void)
{
	static const uint8_t code[] = {
		0x48, 0x8b, 0x14, 0xcf,           /* 0: mov rdx, [rdi+rcx*8] */
		0x75, 0x04,                       /* 4: jne a */
		0xc3,                             /* 6: ret */
		0x48, 0x8b, 0x00,                 /* 7: mov rax, [rax] */
		0xe8, 0x00, 0x00, 0x00, 0x00,     /* a: call f */
		0x90,                             /* f: nop */
	};
	struct code c = { .bytes = code, .len = sizeof(code) };
	struct x86_func_map *m = x86_func_map_build(BASE, BASE + sizeof(code), read_code, &c);

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(x86_func_map_predecessor(m, BASE), 0);             /* the start */
	CHECK_INT(x86_func_map_predecessor(m, BASE + 4), BASE);
	CHECK_INT(x86_func_map_predecessor(m, BASE + 5), 0);         /* inside an instruction */
	CHECK_INT(x86_func_map_predecessor(m, BASE + 6), BASE + 4);  /* jne falls through */
	CHECK_INT(x86_func_map_predecessor(m, BASE + 7), 0);         /* after ret */
	CHECK_INT(x86_func_map_predecessor(m, BASE + 0xa), 0);       /* jne's target */
	CHECK_INT(x86_func_map_predecessor(m, BASE + 0xf), 0);       /* after a call */
	x86_func_map_free(m);
	/* A range ending inside its last instruction (glibc's FDE of
	 * __restore_rt starts a byte before it, inside a nop) is decoded
	 * past its end. */
	m = x86_func_map_build(BASE, BASE + 0xc, read_code, &c);
	CHECK(m != NULL);
	if (m)
		CHECK_INT(x86_func_map_predecessor(m, BASE + 6), BASE + 4);
	x86_func_map_free(m);
	/* Too long, or not code to the end. */
	CHECK(x86_func_map_build(BASE, BASE + (1 << 20), read_code, &c) == NULL);
	CHECK(x86_func_map_build(BASE, BASE + sizeof(code) + 1, read_code, &c) == NULL);
}

/* An instruction is decoded once while its bytes stay, again when they
 * change under the same address or cannot all be read. */
static void test_insn_cache(void)
{
	uint8_t bytes[] = { 0x48, 0x8b, 0x44, 0xcb, 0x10 };   /* mov rax, [rbx+rcx*8+0x10] */
	struct x86_insn_cache *insns = x86_insn_cache_new(16);
	struct code c = { .bytes = bytes, .len = sizeof(bytes) };
	struct x86_code code = { .read = read_code, .arg = &c, .insns = insns };
	struct x86_regs r = regs_at(0);
	struct x86_access a;
	uint64_t hits, misses;

	CHECK_INT(x86_find_access(&r, &code, &a), X86_AT_IP);
	CHECK_INT(x86_find_access(&r, &code, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_BX] + r.r[PERF_REG_X86_CX] * 8 + 0x10, 'R', 8, BASE);
	x86_insn_cache_counts(insns, &hits, &misses);
	CHECK_INT(hits, 1);
	CHECK_INT(misses, 1);
	/* Its displacement rewritten in place: the new one. */
	bytes[4] = 0x20;
	CHECK_INT(x86_find_access(&r, &code, &a), X86_AT_IP);
	CHECK_INT(a.addr, r.r[PERF_REG_X86_BX] + r.r[PERF_REG_X86_CX] * 8 + 0x20);
	/* Now a store: mov [rbx+rcx*8+0x20], rax. */
	bytes[1] = 0x89;
	CHECK_INT(x86_find_access(&r, &code, &a), X86_AT_IP);
	CHECK_INT(a.kind, 'W');
	/* Its last byte unreadable: not the cached instruction, and not
	 * decodable. */
	c.len = sizeof(bytes) - 1;
	CHECK_INT(x86_find_access(&r, &code, &a), X86_NO_CODE);
	x86_insn_cache_counts(insns, &hits, &misses);
	CHECK_INT(hits, 1);
	CHECK_INT(misses, 3);
	x86_insn_cache_free(insns);
}

/* Looking back from ip, only the starts whose length ends at ip are
 * decoded in full (into the cache of decoded instructions), not each of
 * the fifteen that decode to something. */
static void test_backward_decodes_few(void)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc0, 0x08,           /* 0: add rax, 8 */
		0x48, 0x83, 0xc0, 0x08,           /* 4: add rax, 8 */
		0x48, 0x83, 0xc0, 0x08,           /* 8: add rax, 8 */
		0x48, 0x83, 0xc0, 0x08,           /* c: add rax, 8 */
		0x48, 0x83, 0xc0, 0x08,           /* 10: add rax, 8 */
		0x48, 0x83, 0xc1, 0x08,           /* 14: add rcx, 8 */
		0x48, 0x8b, 0x17,                 /* 18: mov rdx, [rdi] */
	};
	struct x86_insn_cache *insns = x86_insn_cache_new(64);
	struct code c = { .bytes = code, .len = sizeof(code), .lazy = true };
	struct x86_code x = { .read = read_code, .predecessor = predecessor, .arg = &c, .insns = insns };
	struct x86_regs r = regs_at(0x14);
	struct x86_access a;
	uint64_t hits, misses;

	CHECK_INT(x86_find_access(&r, &x, &a), X86_FORWARD);
	check_access(&a, r.r[PERF_REG_X86_DI], 'R', 8, BASE + 0x18);
	CHECK_INT(c.builds, 0);
	x86_insn_cache_counts(insns, &hits, &misses);
	/* The add at ip, the mov after it, and the two starts whose length
	 * ends at ip (add eax, 8 and add rax, 8): 4.  Each start decoded in
	 * full made 17. */
	CHECK(misses <= 5);
	x86_insn_cache_free(insns);
}

static void test_refusals(void)
{
	static const uint8_t gather[] = { 0xc4, 0xe2, 0x69, 0x90, 0x04, 0x88 }; /* vpgatherdd xmm0, [rax+xmm1*4], xmm2 */
	static const uint8_t lost[] = {
		0xf3, 0x48, 0x0f, 0xb8, 0xc3,     /* 0: popcnt rax, rbx (not emulated) */
		0x48, 0x8b, 0x08,                 /* 5: mov rcx, [rax] */
	};
	static const uint8_t spin[] = { 0xeb, 0xfe };                    /* jmp . */
	static const uint8_t undecided[] = {
		0xc5, 0xfb, 0x93, 0xc1,           /* 0: kmovd eax, k1 (not emulated) */
		0x85, 0xc0,                       /* 4: test eax, eax */
		0x75, 0x02,                       /* 6: jne a */
		0x89, 0x01,                       /* 8: mov [rcx], eax */
		0x89, 0x02,                       /* a: mov [rdx], eax */
	};
	static const uint8_t jmp_lost[] = {
		0xf3, 0x48, 0x0f, 0xb8, 0xc3,     /* 0: popcnt rax, rbx */
		0xff, 0xe0,                       /* 5: jmp rax */
	};
	static const uint8_t gs[] = { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0 };
	struct x86_regs r = regs_at(0);
	struct x86_access a;

	CHECK_INT(FIND(gather, r, 0, &a), X86_GATHER);
	CHECK_INT(FIND(lost, r, 0, &a), X86_UNKNOWN_REG);
	CHECK_INT(FIND(spin, r, 0, &a), X86_NO_ACCESS);
	CHECK_INT(FIND(undecided, r, 0, &a), X86_UNKNOWN_BRANCH);
	CHECK_INT(FIND(jmp_lost, r, 0, &a), X86_UNKNOWN_BRANCH);
	CHECK_INT(FIND(gs, r, 0, &a), X86_UNKNOWN_REG);
	r.r[PERF_REG_X86_IP] = BASE - 0x1000;
	CHECK_INT(FIND(spin, r, 0, &a), X86_NO_CODE);
	CHECK_STR(x86_resolution_name(X86_GATHER), "gather");
	CHECK_STR(x86_resolution_name(X86_FORWARD), "forward");
}

/* An address no program can touch (page 0, below vm.mmap_min_addr, the
 * kernel's half) says the code was reached another way than decoded: a
 * cold part's jump back behind a load of a register it has zeroed.  It
 * is refused; a refused one before ip leaves the access at ip. */
static void test_not_user_address(void)
{
	static const uint8_t load[] = { 0x48, 0x8b, 0x03 };         /* mov rax, [rbx] */
	static const uint8_t cold_join[] = {
		0x48, 0x8b, 0x0a,                 /* 0: mov rcx, [rdx] */
		0x89, 0x37,                       /* 3: mov [rdi], esi */
	};
	struct x86_regs r = regs_at(0);
	struct x86_code code = { .read = read_code, .lowest_addr = 0x10000 };
	struct code c = { .bytes = load, .len = sizeof(load) };
	struct x86_access a;

	r.r[PERF_REG_X86_BX] = 0;
	CHECK_INT(FIND(load, r, 0, &a), X86_NOT_USER_ADDR);
	r.r[PERF_REG_X86_BX] = 0xff8;
	CHECK_INT(FIND(load, r, 0, &a), X86_NOT_USER_ADDR);
	r.r[PERF_REG_X86_BX] = 0xffff800000001000ULL;
	CHECK_INT(FIND(load, r, 0, &a), X86_NOT_USER_ADDR);
	r.r[PERF_REG_X86_BX] = 0x1000;             /* a page up: mapped, if the kernel lets it */
	CHECK_INT(FIND(load, r, 0, &a), X86_AT_IP);
	check_access(&a, 0x1000, 'R', 8, BASE);
	/* Below the machine's vm.mmap_min_addr. */
	code.arg = &c;
	CHECK_INT(x86_find_access(&r, &code, &a), X86_NOT_USER_ADDR);
	r.r[PERF_REG_X86_BX] = 0x10000;
	CHECK_INT(x86_find_access(&r, &code, &a), X86_AT_IP);

	r = regs_at(3);
	r.r[PERF_REG_X86_DX] = 0;
	CHECK_INT(FIND(cold_join, r, 1, &a), X86_AT_IP);
	check_access(&a, r.r[PERF_REG_X86_DI], 'W', 4, BASE + 3);
	CHECK_STR(x86_resolution_name(X86_NOT_USER_ADDR), "not_user_address");
}

int main(void)
{
	shared_insns = x86_insn_cache_new(64);
	test_at_ip();
	test_stack_and_strings();
	test_loop_after_load();
	test_jcc_sampled_flags();
	test_emulation();
	test_index_arith();
	test_backward_refused();
	test_stalled_first();
	test_constant_skipped();
	test_backward_not_built();
	test_backward_decodes_few();
	test_func_map();
	test_refusals();
	test_not_user_address();
	test_insn_cache();
	x86_insn_cache_free(shared_insns);
	return unit_done();
}
