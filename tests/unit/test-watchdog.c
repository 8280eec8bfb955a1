/* The watchdog's repair, on fake memories: after the tracer's death it
 * puts back each breakpoint's byte where our int3 still is, in every
 * process that has our traps (forks included), and each hijacked return
 * address where the trampoline is still on the stack; nothing else. */
#include <stdlib.h>

#include "tracer_int.h"
#include "unit.h"
#include "watchdog.h"
#include "watchdog_table.h"

#define PARENT 100
#define CHILD 200
#define MEM 4096

struct fake {
	uint8_t bytes[2][MEM];     /* [0] the parent's memory, [1] the child's */
	int writes;
};

static uint8_t *at(struct fake *f, pid_t pid, uint64_t addr, size_t len)
{
	if (addr + len > MEM || (pid != PARENT && pid != CHILD))
		return NULL;
	return &f->bytes[pid == CHILD][addr];
}

static int fake_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	uint8_t *p = at(ctx, pid, addr, len);

	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static int fake_write(void *ctx, pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct fake *f = ctx;
	uint8_t *p = at(f, pid, addr, len);

	if (!p)
		return -1;
	memcpy(p, buf, len);
	f->writes++;
	return 0;
}

static uint64_t word(struct fake *f, pid_t pid, uint64_t addr)
{
	uint64_t v;

	fake_read(f, pid, addr, &v, 8);
	return v;
}

int main(void)
{
	static struct fake f;
	struct watchdog_mem mem = { fake_read, fake_write, &f };
	struct proc proc = { .pid = PARENT, .scratch = 0x800 };
	struct tcb t = { .tid = PARENT + 1, .proc = &proc, .npending = 2 };
	uint64_t tramp = proc.scratch + SCRATCH_TRAMPOLINE, other = 0x1234;

	if (watchdog_table_map() < 0)
		UNIT_SKIP("cannot map the table");
	/* Two breakpoints in the parent, one of them already put back. */
	watchdog_note_breakpoint(PARENT, 0x10, 0x55);
	watchdog_note_breakpoint(PARENT, 0x20, 0x41);
	f.bytes[0][0x10] = 0xcc;
	f.bytes[0][0x20] = 0x41;
	/* The child inherits the parent's traps; one more only its own. */
	watchdog_note_fork(PARENT, CHILD);
	watchdog_note_breakpoint(CHILD, 0x30, 0x90);
	f.bytes[1][0x10] = f.bytes[1][0x20] = f.bytes[1][0x30] = 0xcc;
	/* Two hijacked returns: the stack moved on over the second. */
	t.pending[0].sp = 0x100;
	t.pending[0].ret_addr = 0x4444;
	t.pending[1].sp = 0x200;
	t.pending[1].ret_addr = 0x5555;
	watchdog_note_returns(&t);
	memcpy(&f.bytes[0][0x100], &tramp, 8);
	memcpy(&f.bytes[0][0x200], &other, 8);

	CHECK_INT(watchdog_repair(watchdog_table(), &mem), 1 + 1 + 3);
	CHECK_INT(f.bytes[0][0x10], 0x55);
	CHECK_INT(f.bytes[0][0x20], 0x41);
	CHECK_INT(f.bytes[1][0x10], 0x55);
	CHECK_INT(f.bytes[1][0x20], 0x41);
	CHECK_INT(f.bytes[1][0x30], 0x90);
	CHECK_INT(word(&f, PARENT, 0x100), 0x4444);
	CHECK_INT(word(&f, PARENT, 0x200), other);

	/* An exec'd process has none of our traps left: nothing to repair. */
	f.writes = 0;
	watchdog_forget_process(CHILD);
	f.bytes[1][0x30] = 0xcc;
	watchdog_repair(watchdog_table(), &mem);
	CHECK_INT(f.bytes[1][0x30], 0xcc);
	CHECK_INT(f.writes, 0);
	return unit_done();
}
