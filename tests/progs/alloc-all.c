/* Calls every allocator numamma tracks, from main, and prints what each
 * call returned as "name|size|address|fate" lines (address in decimal, fate
 * "freed" or "live" at exit), the rows numamma must record.  A file mapping
 * is made too: it is not an object, so it is not printed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static void expect(const char *name, size_t size, void *p, const char *fate)
{
	printf("%s|%zu|%lu|%s\n", name, size, (unsigned long)p, fate);
}

static void *volatile no_block;

static void realloc_cases(void)
{
	void *p, *q;

	p = malloc(100);
	expect("malloc", 100, p, "freed");
	q = realloc(p, 100000);			/* grow: moves */
	expect("realloc", 100000, q, "freed");
	p = realloc(q, 50);			/* shrink */
	expect("realloc", 50, p, "freed");
	free(p);

	/* realloc(NULL, n) is malloc: through a volatile, or gcc itself
	 * turns the call into malloc(n) even at -O0. */
	p = realloc(no_block, 333);
	expect("realloc", 333, p, "freed");
	if (realloc(p, 0) != NULL)		/* realloc(p, 0) is free */
		puts("realloc(p, 0) did not free");

	p = malloc(10);
	expect("malloc", 10, p, "freed");
	q = reallocarray(p, 10, 100);
	expect("reallocarray", 1000, q, "freed");
	free(q);
}

static void aligned_cases(void)
{
	void *p;

	if (posix_memalign(&p, 128, 1500) != 0)
		p = NULL;
	expect("posix_memalign", 1500, p, "freed");
	free(p);
	p = aligned_alloc(64, 640);
	expect("aligned_alloc", 640, p, "freed");
	free(p);
	p = memalign(256, 1000);
	expect("memalign", 1000, p, "freed");
	free(p);
	p = valloc(3000);
	expect("valloc", 3000, p, "freed");
	free(p);
	p = pvalloc(2 * PAGE);		/* a page multiple: no rounding to argue about */
	expect("pvalloc", 2 * PAGE, p, "freed");
	free(p);
}

static void mmap_cases(void)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	char *a, *b, *c;
	int fd;

	a = mmap(NULL, 4 * PAGE, prot, flags, -1, 0);
	expect("mmap", 4 * PAGE, a, "freed");
	a[0] = 1;
	munmap(a, 4 * PAGE);

	b = mmap(NULL, 2 * PAGE, prot, flags, -1, 0);
	expect("mmap", 2 * PAGE, b, "freed");
	c = mremap(b, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	expect("mremap", 64 * PAGE, c, "freed");
	munmap(c, 64 * PAGE);

	a = mmap(NULL, 3 * PAGE, prot, flags, -1, 0);
	expect("mmap", 3 * PAGE, a, "live");

	fd = open("/proc/self/exe", O_RDONLY);
	c = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (c == MAP_FAILED || c[0] != 0x7f)
		puts("file mapping failed");
	munmap(c, PAGE);
	close(fd);
}

int main(void)
{
	void *p;

	p = malloc(1234);
	expect("malloc", 1234, p, "freed");
	free(p);
	p = calloc(7, 9);
	expect("calloc", 63, p, "freed");
	free(p);
	free(NULL);
	realloc_cases();
	aligned_cases();
	mmap_cases();
	p = malloc(4242);
	expect("malloc", 4242, p, "live");
	return 0;
}
