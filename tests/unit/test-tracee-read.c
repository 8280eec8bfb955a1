/* Reads of a tracee's memory read ahead (tracee_read_ahead()): served
 * from what was read while the window is open, kept true by numamma's own
 * writes, read again past it, and after tracee_read_ahead_end().  The
 * tracee is this process: its memory changed behind numamma's back shows
 * which reads came from the window. */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tracer.h"
#include "unit.h"

static uint8_t code[4][64];

static uint64_t at(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint8_t read_byte(struct proc *p, const void *where)
{
	uint8_t b = 0xee;

	CHECK_INT(tracee_read(p, at(where), &b, 1), 0);
	return b;
}

static void test_window(struct proc *p)
{
	uint64_t addrs[3] = { at(code[0]), at(code[1]), at(code[2]) };
	uint8_t got[8];

	memset(code, 1, sizeof(code));
	tracee_read_ahead(p, addrs, 3);
	memset(code, 2, sizeof(code));          /* behind numamma's back */
	/* Within an entry: the bytes read ahead. */
	CHECK_INT(read_byte(p, &code[1][0]), 1);
	CHECK_INT(read_byte(p, &code[1][TRACEE_AHEAD_BYTES - 1]), 1);
	/* Past its end, or never read ahead: memory as it is now. */
	CHECK_INT(read_byte(p, &code[1][TRACEE_AHEAD_BYTES]), 2);
	CHECK_INT(read_byte(p, &code[3][0]), 2);
	CHECK_INT(tracee_read(p, at(&code[0][TRACEE_AHEAD_BYTES - 4]), got, 8), 0);
	CHECK_INT(got[0], 2);
	/* numamma's own write over an entry: read again, so the write shows. */
	CHECK_INT(tracee_write(p, at(&code[2][4]), "\x07\x07", 2), 0);
	CHECK_INT(read_byte(p, &code[2][4]), 7);
	CHECK_INT(read_byte(p, &code[2][0]), 2);
	/* The other entries stay. */
	CHECK_INT(read_byte(p, &code[0][0]), 1);
	tracee_read_ahead_end();
	CHECK_INT(read_byte(p, &code[0][0]), 2);
}

/* An address that cannot be read ends what one call reads: the entries
 * after it are read one by one when asked. */
static void test_unreadable(struct proc *p)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *hole = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addrs[3];

	CHECK(hole != MAP_FAILED);
	addrs[0] = at(code[0]);
	addrs[1] = at(hole);
	addrs[2] = at(code[2]);
	memset(code, 3, sizeof(code));
	tracee_read_ahead(p, addrs, 3);
	memset(code, 4, sizeof(code));
	CHECK_INT(read_byte(p, &code[0][0]), 3);
	CHECK_INT(read_byte(p, &code[2][0]), 4);
	tracee_read_ahead_end();
	munmap(hole, (size_t)page);
}

int main(void)
{
	struct proc p = { .pid = getpid(), .mm_tid = getpid() };

	p.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (p.mem_fd < 0)
		UNIT_SKIP("cannot open /proc/self/mem");
	test_window(&p);
	test_unreadable(&p);
	close(p.mem_fd);
	return unit_done();
}
