/* cfi_table_build + agent_walk on this very process: the return
 * addresses the agent finds from a function's entry, with the tables of
 * this program and of its libraries, are the ones glibc's backtrace() finds
 * (through libgcc's DWARF unwinder), libc's qsort frames included. */
#include <execinfo.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../agent/core.c"
#include "cfi_table.h"
#include "error.h"
#include "unit.h"

void agent_sys_wait(uint32_t *word, uint32_t val) { }
uint64_t agent_sys_now_ns(void) { return 0; }
uint64_t agent_sys_tsc(void) { return 0; }

static struct agent_ctl *ctl;
static struct agent_unwind *all;
static size_t nall;

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *path = info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
	struct agent_unwind *t;
	size_t n;

	/* Every module on the path, not only libc: a sanitizer's runtime
	 * interposes qsort with a frame of its own. */
	if (strstr(path, "linux-vdso"))
		return 0;
	n = cfi_table_build(path, &t);
	all = realloc(all, (nall + n) * sizeof(*all));
	for (size_t i = 0; i < n; i++) {
		t[i].start += info->dlpi_addr;
		all[nall++] = t[i];
	}
	free(t);
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct agent_unwind *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static uint64_t walked[32];
static int nwalked;

/* Called by capture() with the stack as it is at a function's entry. */
void walk_from_entry(uint64_t rsp, uint64_t rbp)
{
	nwalked = agent_walk(ctl, rsp, rbp, walked, 32);
}

void capture(void);
__asm__(".text\n.globl capture\ncapture:\n"
	"\tmov %rsp, %rdi\n\tmov %rbp, %rsi\n\tsub $8, %rsp\n"
	"\tcall walk_from_entry\n\tadd $8, %rsp\n\tret\n");

static void *traced[32];
static int ntraced;

static int compare(const void *a, const void *b)
{
	static int once;

	if (!once++) {
		capture();
		ntraced = backtrace(traced, 32);
	}
	return *(const int *)a - *(const int *)b;
}

static __attribute__((noinline)) void sort_some(void)
{
	int v[4] = { 3, 1, 2, 0 };

	qsort(v, 4, sizeof(v[0]), compare);
}

/* The rows read in .eh_frame_hdr's order are the rows of .eh_frame's
 * own order, sorted: this program's, and a copy of it without its
 * .eh_frame_hdr (objcopy). */
static void test_without_hdr(void)
{
	char copy[] = "/tmp/test-cfi-table.XXXXXX";
	int fd = mkstemp(copy);
	char *cmd;
	struct agent_unwind *with, *without;
	size_t n, m;

	if (fd < 0)
		return;
	close(fd);
	cmd = xasprintf("objcopy --remove-section .eh_frame_hdr /proc/%d/exe %s 2>/dev/null",
			(int)getpid(), copy);
	if (system(cmd) != 0) {
		fprintf(stderr, "objcopy unavailable: only the .eh_frame_hdr order checked\n");
	} else {
		n = cfi_table_build("/proc/self/exe", &with);
		m = cfi_table_build(copy, &without);
		CHECK(n > 100);
		CHECK_INT(m, n);
		CHECK(m == n && !memcmp(with, without, n * sizeof(*with)));
		free(with);
		free(without);
	}
	unlink(copy);
	free(cmd);
}

int main(void)
{
	int skip;

	ctl = mmap(NULL, AGENT_DATA_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ctl == MAP_FAILED)
		return 77;
	dl_iterate_phdr(add_module, NULL);
	CHECK(nall > 1000);
	qsort(all, nall, sizeof(*all), by_start);
	for (size_t i = 1; i < nall; i++)
		CHECK(all[i - 1].start + all[i - 1].len <= all[i].start);
	memcpy(agent_at(ctl, AGENT_OFF_UNWIND), all, nall * sizeof(*all));
	ctl->unwind = nall;
	sort_some();
	/* backtrace()'s [0] is compare itself (or, under a sanitizer, its
	 * interceptor of backtrace, then compare), then compare's callers:
	 * ours start at capture's caller, compare. */
	skip = ntraced - nwalked;
	CHECK(nwalked >= 5);
	CHECK(skip == 0 || skip == 1);
	for (int i = 1; i < nwalked && i + skip < ntraced; i++)
		CHECK_INT(walked[i], (uint64_t)traced[i + skip]);
	if (unit_failures || getenv("V"))
		for (int i = 0; i < 12; i++)
			fprintf(stderr, "%d: walked %#lx traced %p\n", i,
				i < nwalked ? (unsigned long)walked[i] : 0UL, i < ntraced ? traced[i] : NULL);
	test_without_hdr();
	return unit_done();
}
