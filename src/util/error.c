#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "hostmem.h"

int verbose;
static void (*die_routine)(void);

/* Memory held back for the die routine: a numamma out of memory (in an
 * address space the user limited with ulimit -v, say) must still be able
 * to let the program go, which allocates a little.  Taken from the heap,
 * untouched, by the tracer as it starts: its 4 MiB also put the tracer's
 * own blocks past the heap's first 4 KiB pages (the watchdog's, shared
 * copy-on-write since the fork) into huge pages that they fill (a mapping
 * of its own instead: `profile -- git log` faulted 905 pages, not 735, for
 * the 2 MiB page it saved). */
#define DIE_RESERVE (4u << 20)
static void *die_reserve;

void set_die_routine(void (*routine)(void))
{
	die_routine = routine;
	if (!die_reserve)
		die_reserve = malloc(DIE_RESERVE);
}

static void vreport(const char *prefix, const char *fmt, va_list ap, int errnum)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnum)
		fprintf(stderr, "numamma: %s%s: %s\n", prefix, buf, strerror(errnum));
	else
		fprintf(stderr, "numamma: %s%s\n", prefix, buf);
}

static _Noreturn void vdie(int status, const char *fmt, va_list ap, int errnum)
{
	static pid_t dying;     /* the thread running the die routine */
	pid_t none = 0, self = gettid();

	vreport("", fmt, ap, errnum);
	if (die_routine && __atomic_compare_exchange_n(&dying, &none, self, false,
						       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		free(die_reserve);
		die_reserve = NULL;
		die_routine();
	} else if (die_routine && none != self) {
		/* Another thread lets the program go: exiting now would cut
		 * that short, half the hooks put back (the program then
		 * crashed).  Its exit ends this thread too; 10 s at most, in
		 * case it waits for a lock this thread holds (the watchdog then
		 * repairs what is left). */
		for (int i = 0; i < 100; i++)
			usleep(100 * 1000);
	}
	/* A die() from inside the die routine does not recurse. */
	exit(status);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(NM_EXIT_FAILURE, fmt, ap, 0);
}

void die_status(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(status, fmt, ap, 0);
}

void die_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vdie(NM_EXIT_FAILURE, fmt, ap, errnum);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	return -1;
}

int error_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, errnum);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap, 0);
	va_end(ap);
}

void hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("hint: ", fmt, ap, 0);
	va_end(ap);
}

static struct timespec started;

/* -v's lines carry the time since numamma started: they are how a user
 * finds where a profile's fixed cost goes. */
__attribute__((constructor)) static void note_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &started);
}

void debug(const char *fmt, ...)
{
	struct timespec now;
	char prefix[32];
	va_list ap;

	if (verbose <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(prefix, sizeof(prefix), "debug: %.1f ms: ",
		 (now.tv_sec - started.tv_sec) * 1e3 + (now.tv_nsec - started.tv_nsec) / 1e6);
	va_start(ap, fmt);
	vreport(prefix, fmt, ap, 0);
	va_end(ap);
}

static void *check_alloc(void *p)
{
	if (!p)
		die("out of memory");
	return p;
}

void *xmalloc(size_t size) { return check_alloc(malloc(size ? size : 1)); }
void *xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *xaligned_alloc(size_t align, size_t size)
{
	return check_alloc(aligned_alloc(align, (size + align - 1) & ~(align - 1)));
}
/* Set at start by heap_in_huge_pages(): whether huge pages pay here. */
static struct host_memory host;
static bool huge_pages;

void advise_huge(void *p, size_t len)
{
	if (huge_pages)
		madvise(p, len, MADV_HUGEPAGE);
}

const char *own_pages_said(void)
{
	static char said[160];

	if (!host.reclaimed)
		return "huge pages where allowed (the host does not take idle memory back)";
	snprintf(said, sizeof(said), "%s (the host takes idle memory back; a 4 KiB page's first write %.1f us)",
		 huge_pages ? "huge pages where allowed" : "4 KiB pages", host.first_write_us);
	return said;
}

/* A large calloc is fresh mmap'd memory, and a hash table's first access
 * to a page is a probe, a read: the kernel maps the shared zero page, and
 * the insert that follows faults again to replace it, flushing the TLB of
 * every cpu running one of numamma's threads (an IPI each in a VM).  That
 * was 10% of numamma's cpu in a C++ std::map run.  Faulting the pages in
 * writable at once costs one fault per page, in one call. */
#define TABLE_POPULATE_MIN (256 << 10)
void *xcalloc_table(size_t n, size_t size)
{
	void *p = xcalloc(n, size);
	uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + n * size) & ~(page - 1);

	/* Best effort: a kernel without MADV_POPULATE_WRITE (< 5.14) faults
	 * lazily, as before.  Huge pages where the system allows them
	 * (transparent_hugepage "madvise", Debian's default): a lookup in a
	 * table of millions of slots misses the TLB at each call, and in a VM
	 * every miss is a two-level walk (a million live blocks freed under
	 * numamma: 268 -> 247 ms, medians of 15). */
	if (n * size >= TABLE_POPULATE_MIN && end > start) {
		advise_huge((void *)start, end - start);
		madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
	return p;
}

/* At least a byte: mmap refuses a length of 0.  0 when n * size overflows. */
static size_t sparse_bytes(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return 0;
	return n && size ? n * size : 1;
}

/* Mapped apart from the heap: numamma's heap keeps a padded top
 * (heap_in_huge_pages()), and calloc clears a block carved from it,
 * faulting in every page at once, where a mapping's pages are zero and
 * cost nothing until touched.  The clock sampler's 1 MiB cache of code
 * pages (a short run fills a few of them) and three smaller tables made
 * `profile -- /bin/true` 3.5-5 ms slower that way. */
void *calloc_sparse(size_t n, size_t size)
{
	size_t bytes = sparse_bytes(n, size);
	void *p;

	if (!bytes)
		return NULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *xcalloc_sparse(size_t n, size_t size)
{
	return check_alloc(calloc_sparse(n, size));
}

void xfree_sparse(void *p, size_t n, size_t size)
{
	if (p)
		munmap(p, sparse_bytes(n, size));
}

/* An array filled from its start, of 1 MiB or more: in whole huge pages,
 * aligned and rounded up to them (only the pages filled are touched), not
 * populated.  A 4 KiB page's first write costs 7.5-15 us in a PVM guest, a
 * huge page's 0.4-1.6 us per 4 KiB (a 40 MiB probe); and a symbol table's
 * sort keys (2.4 MB for LLVM's functions) seldom held an aligned 2 MiB
 * range where malloc put them. */
#define HUGE_ARRAY_MIN (1u << 20)
void *malloc_array(size_t bytes)
{
	size_t rounded;
	void *p;

	if (bytes < HUGE_ARRAY_MIN)
		return malloc(bytes ? bytes : 1);
	if (bytes > SIZE_MAX - HUGE_PAGE_BYTES)
		return NULL;
	rounded = (bytes + HUGE_PAGE_BYTES - 1) & ~(size_t)(HUGE_PAGE_BYTES - 1);
	p = aligned_alloc(HUGE_PAGE_BYTES, rounded);
	if (p)
		advise_huge(p, rounded);
	return p;
}

void *xmalloc_array(size_t n, size_t size)
{
	if (size && n > (SIZE_MAX - HUGE_PAGE_BYTES) / size)
		die("out of memory");
	return check_alloc(malloc_array(n * size));
}

/* numamma's own heap (SQLite's pages and statements, the tracer's
 * records and smaller tables) in huge pages where the system allows
 * them and they pay (hostmem.h, probed here first): each 4 KiB page's
 * first write is a trap to the hypervisor in a PVM guest (see
 * malloc_array()), ~240 of them in the tracer of `profile -- true`.
 * The kernel does not carry the advice to what brk adds later (a new
 * mapping, the flags differ), so the heap grows here once by HEAP_PAD,
 * advised, which malloc then fills (a large block too, while the top has
 * room: glibc's mmap threshold applies only when the heap must grow); it
 * keeps what it frees there (a trimmed top would be zeroed again).  The
 * threshold is set, as setting the pad ends its adaptation: past the pad,
 * blocks of HEAP_MMAP_MIN or more are mappings of their own. */
#define HEAP_PAD (32u << 20)
#define HEAP_MMAP_MIN (1u << 20)
void heap_in_huge_pages(void)
{
	uintptr_t start = ((uintptr_t)sbrk(0) + 4095) & ~(uintptr_t)4095, end;
	void *grow;

	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_MIN);
	mallopt(M_TOP_PAD, HEAP_PAD);
	mallopt(M_TRIM_THRESHOLD, 2 * HEAP_PAD);
	grow = malloc(HEAP_MMAP_MIN / 2);
	end = (uintptr_t)sbrk(0);
	host_memory_probe(&host);
	huge_pages = huge_pages_pay(&host);
	if (grow && end > start)
		advise_huge((void *)start, end - start);
	free(grow);
}

void *xrealloc(void *p, size_t size) { return check_alloc(realloc(p, size ? size : 1)); }
char *xstrdup(const char *s) { return check_alloc(strdup(s)); }

char *xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return check_alloc(s);
}
