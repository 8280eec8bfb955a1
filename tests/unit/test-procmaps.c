/* procmaps: parsing literal maps text, lookups, and the real /proc/self/maps. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procmaps.h"
#include "unit.h"

/* Out of order on purpose, with a path holding spaces, a deleted file,
 * pseudo-paths and an anonymous mapping. */
static const char sample[] =
	"7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]\n"
	"55d0a000-55d0c000 r--p 00000000 fe:01 1234                       /usr/bin/my prog\n"
	"55d0c000-55d0f000 r-xp 00002000 fe:01 1234                       /usr/bin/my prog\n"
	"55d10000-55d31000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f000000-7f001000 rw-p 00000000 00:00 0 \n"
	"7f001000-7f002000 r-xp 00001000 08:02 99                         /tmp/lib.so (deleted)\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void test_sample(void)
{
	struct map_list l;

	CHECK_INT(procmaps_parse(sample, &l), 0);
	CHECK_INT(l.n, 7);
	if (l.n != 7)
		return;
	for (size_t i = 1; i < l.n; i++)
		CHECK(l.v[i - 1].start < l.v[i].start);

	CHECK_INT(l.v[0].start, 0x55d0a000);
	CHECK_INT(l.v[0].end, 0x55d0c000);
	CHECK_STR(l.v[0].path, "/usr/bin/my prog");
	CHECK_STR(l.v[1].perms, "r-xp");
	CHECK_INT(l.v[1].offset, 0x2000);
	CHECK_INT(l.v[1].dev_major, 0xfe);
	CHECK_INT(l.v[1].dev_minor, 1);
	CHECK_INT(l.v[1].inode, 1234);
	CHECK_STR(l.v[2].path, "[heap]");
	CHECK_STR(l.v[3].path, "");
	CHECK(!l.v[3].deleted);
	CHECK_STR(l.v[4].path, "/tmp/lib.so");
	CHECK(l.v[4].deleted);
	CHECK_INT(l.v[4].dev_minor, 2);
	CHECK_STR(l.v[5].path, "[stack]");
	CHECK_INT(l.v[6].start, 0xffffffffff600000ULL);

	CHECK(procmaps_find(&l, 0x55d0c000) == &l.v[1]);
	CHECK(procmaps_find(&l, 0x55d0effff) == NULL);
	CHECK(procmaps_find(&l, 0x55d0efff) == &l.v[1]);
	CHECK(procmaps_find(&l, 0x55d0a000) == &l.v[0]);
	CHECK(procmaps_find(&l, 0x55d09fff) == NULL);
	CHECK(procmaps_find(&l, 0x55d0f000) == NULL);   /* gap before the heap */
	CHECK(procmaps_find(&l, 0x7ffd2fff) == &l.v[5]);
	CHECK(procmaps_find(&l, 0x7ffd3000) == NULL);
	CHECK(procmaps_find(&l, 0xffffffffff600123ULL) == &l.v[6]);

	struct map_list copy;
	procmaps_copy(&copy, &l);
	procmaps_free(&l);
	CHECK_INT(copy.n, 7);
	CHECK_STR(copy.v[0].path, "/usr/bin/my prog");
	CHECK(procmaps_find(&copy, 0x7f001800) == &copy.v[4]);
	procmaps_free(&copy);
	CHECK_INT(copy.n, 0);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"55d0a000 r--p 00000000 fe:01 1234 /bin/x\n",          /* no end */
		"55d0a000-55d0c000 r--p 00000000 fe:01\n",              /* no inode */
		"55d0c000-55d0a000 r--p 00000000 fe:01 1234 /bin/x\n",  /* end < start */
		"55d0a000-55d0c000 r--pxx 00000000 fe:01 1234 /bin/x\n",/* perms */
		"55d0a000-55d0c000 r--p 00000000 fe:01 1234x /bin/x\n", /* inode */
		"garbage\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct map_list l;
		char *text;

		/* A good line on each side: both must survive. */
		if (asprintf(&text, "1000-2000 r--p 00000000 00:00 0 [a]\n%s"
			     "3000-4000 r--p 00000000 00:00 0 [b]", bad[i]) < 0)
			abort();
		CHECK_INT(procmaps_parse(text, &l), -1);
		CHECK_INT(l.n, 2);
		if (l.n == 2) {
			CHECK_STR(l.v[0].path, "[a]");
			CHECK_STR(l.v[1].path, "[b]");  /* no trailing newline */
		}
		procmaps_free(&l);
		free(text);
	}

	struct map_list empty;
	CHECK_INT(procmaps_parse("", &empty), 0);
	CHECK_INT(empty.n, 0);
	procmaps_free(&empty);
}

static int self_marker;

static void test_self(void)
{
	struct map_list l;
	const struct map_entry *e;

	CHECK_INT(procmaps_read(getpid(), &l), 0);
	CHECK(l.n > 5);
	e = procmaps_find(&l, (uint64_t)(uintptr_t)&test_self);
	CHECK(e != NULL);
	if (e) {
		CHECK(e->perms[2] == 'x');
		CHECK(strstr(e->path, "test-procmaps") != NULL);
	}
	e = procmaps_find(&l, (uint64_t)(uintptr_t)&self_marker);
	CHECK(e && e->perms[1] == 'w');
	e = procmaps_find(&l, (uint64_t)(uintptr_t)&e);
	CHECK(e && !strcmp(e->path, "[stack]"));
	procmaps_free(&l);

	CHECK_INT(procmaps_read(-2, &l), -1);
}

/* procmaps_lookup() finds what a whole read finds, for a thread's stack,
 * the heap, code and a mapping of 1,000 pages past the others, and the
 * end of the mapping below each; nothing
 * for an address no mapping holds or a process that is not there. */
static void test_lookup(void)
{
	char *big = malloc(1000 * 4096);
	uint64_t addrs[] = { (uint64_t)(uintptr_t)&big, (uint64_t)(uintptr_t)big + 999 * 4096,
			     (uint64_t)(uintptr_t)test_lookup, (uint64_t)(uintptr_t)sample };
	struct map_list l;
	struct map_entry m;
	uint64_t below;

	CHECK_INT(procmaps_read(getpid(), &l), 0);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		const struct map_entry *e = procmaps_find(&l, addrs[i]);

		CHECK(e != NULL);
		CHECK_INT(procmaps_lookup(getpid(), addrs[i], &m, &below), 0);
		CHECK(e && m.start == e->start && m.end == e->end && !strcmp(m.path, e->path) &&
		      !strcmp(m.perms, e->perms));
		CHECK(e && below == (e > l.v ? e[-1].end : 0));
		free(m.path);
	}
	CHECK_INT(procmaps_lookup(getpid(), 4096, &m, NULL), -1);
	CHECK_INT(procmaps_lookup(getpid(), UINT64_MAX - 4096, &m, NULL), -1);
	CHECK_INT(procmaps_lookup(-2, (uint64_t)(uintptr_t)&big, &m, NULL), -1);
	procmaps_free(&l);
	free(big);
}

int main(void)
{
	test_sample();
	test_malformed();
	test_self();
	test_lookup();
	return unit_done();
}
