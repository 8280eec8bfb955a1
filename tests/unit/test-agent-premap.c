/* numamma maps the pages of the agent's region in the program ahead of
 * the agent (src/intercept/agent_premap.c): which ranges, as rings are
 * read and tables grow, and that a mapped page is then written without a
 * fault. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent_premap.h"
#include "unit.h"

#define PAGE 4096u
#define LAP ((uint64_t)AGENT_RING_SLOTS * sizeof(struct agent_rec))

static struct agent_ctl ctl;    /* the plan reads only its words */

static int plan(struct agent_premap *st, const uint64_t *read, struct premap_range *r)
{
	int n = (int)agent_premap_plan(st, &ctl, read, r);

	for (int i = 0; i < n; i++) {
		CHECK(r[i].from < r[i].to);
		CHECK(r[i].from % PAGE == 0);
		CHECK(r[i].to <= AGENT_DATA_SIZE);
	}
	return n;
}

/* The range that starts in [lo, hi), or NULL. */
static const struct premap_range *range_in(const struct premap_range *r, int n, uint64_t lo,
					   uint64_t hi)
{
	for (int i = 0; i < n; i++)
		if (r[i].from >= lo && r[i].from < hi)
			return &r[i];
	return NULL;
}

static void test_quiet_process(void)
{
	struct agent_premap st = { 0 };
	struct premap_range r[PREMAP_RANGES];
	uint64_t read[AGENT_RINGS] = { 0 };

	read[1] = PREMAP_AFTER - 1;     /* a few calls: nothing mapped for them */
	CHECK_INT(plan(&st, read, r), 0);
}

static void test_first_ring(void)
{
	struct agent_premap st = { 0 };
	struct premap_range r[PREMAP_RANGES];
	uint64_t read[AGENT_RINGS] = { 0 };
	const struct premap_range *x;
	uint64_t ring1 = AGENT_OFF_RING + LAP, cache1;
	int n;

	memset(&ctl, 0, sizeof(ctl));
	read[1] = 600;
	n = plan(&st, read, r);
	/* The rest of ring 1's first lap, from the page numamma read in. */
	x = range_in(r, n, ring1, ring1 + LAP);
	CHECK(x && x->from == ring1 + 600 * sizeof(struct agent_rec) / PAGE * PAGE &&
	      x->to == ring1 + LAP);
	CHECK(!range_in(r, n, AGENT_OFF_RING, ring1));  /* ring 0: no reads */
	/* Its stack cache and known walks up to their next size. */
	cache1 = AGENT_OFF_STACKCACHE + AGENT_STACKCACHE_RING;
	x = range_in(r, n, cache1, cache1 + PAGE);
	CHECK(x && x->to == cache1 + 2 * AGENT_STACKCACHE_MIN * sizeof(struct agent_stackcache));
	x = range_in(r, n, cache1 + AGENT_STACKCACHE * sizeof(struct agent_stackcache),
		     cache1 + AGENT_STACKCACHE_RING);
	CHECK(x && x->to == cache1 + AGENT_STACKCACHE * sizeof(struct agent_stackcache) +
			    2 * AGENT_KNOWN_WALKS_MIN * sizeof(struct agent_known_walk));
	/* The ip cache and the set: the regions of their first two sizes. */
	x = range_in(r, n, AGENT_OFF_IPCACHE, AGENT_OFF_IPCACHE + PAGE);
	CHECK(x && x->to == AGENT_OFF_IPCACHE + 3 * AGENT_IPCACHE_MIN * sizeof(struct agent_ipcache));
	x = range_in(r, n, AGENT_OFF_STACKSET, AGENT_OFF_STACKSET + PAGE);
	CHECK(x && x->to == AGENT_OFF_STACKSET + 3 * AGENT_STACKSET_MIN * sizeof(uint64_t));
	x = range_in(r, n, AGENT_OFF_RULELOG, AGENT_OFF_RULELOG + PAGE);
	CHECK(x && x->to > AGENT_OFF_RULELOG);
	CHECK_INT(n, 6);

	/* Read further, nothing grown: nothing more. */
	read[1] = 5000;
	CHECK_INT(plan(&st, read, r), 0);
}

static void test_growth(void)
{
	struct agent_premap st = { 0 };
	struct premap_range r[PREMAP_RANGES];
	uint64_t read[AGENT_RINGS] = { 0 }, ip_before;
	int n;

	memset(&ctl, 0, sizeof(ctl));
	read[1] = PREMAP_AFTER;
	plan(&st, read, r);
	ip_before = AGENT_OFF_IPCACHE + 3 * AGENT_IPCACHE_MIN * sizeof(struct agent_ipcache);

	/* The ip cache doubled: the region of the size after next, from where
	 * the last one ended (its page). */
	ctl.growth.steps[AGENT_T_IPCACHE] = 1;
	n = plan(&st, read, r);
	CHECK_INT(n, 1);
	CHECK(r[0].from == ip_before / PAGE * PAGE);
	CHECK(r[0].to == AGENT_OFF_IPCACHE + (8 - 1) * AGENT_IPCACHE_MIN * sizeof(struct agent_ipcache));

	/* At its largest size, no region past its space. */
	ctl.growth.steps[AGENT_T_IPCACHE] = __builtin_ctz(AGENT_IPCACHE / AGENT_IPCACHE_MIN);
	n = plan(&st, read, r);
	CHECK_INT(n, 1);
	CHECK(r[0].to == AGENT_OFF_IPCACHE + AGENT_IPCACHE_SPACE * sizeof(struct agent_ipcache));

	/* Rules logged: mapped ahead of the last one. */
	ctl.rulelog_n = 5000;
	n = plan(&st, read, r);
	CHECK_INT(n, 1);
	CHECK(r[0].from >= AGENT_OFF_RULELOG &&
	      r[0].to >= AGENT_OFF_RULELOG + 5000 * sizeof(struct agent_rulelog));
	ctl.rulelog_n = AGENT_RULELOG + 100;    /* full: its space, no more */
	n = plan(&st, read, r);
	CHECK_INT(n, 1);
	CHECK(r[0].to == AGENT_OFF_RULELOG + AGENT_RULELOG * sizeof(struct agent_rulelog));

	/* A ring past its first lap, taken by a thread after: no ring pages
	 * (the program wrote them all), its caches yes. */
	read[2] = AGENT_RING_SLOTS + 10;
	n = plan(&st, read, r);
	CHECK_INT(n, 2);
	CHECK(!range_in(r, n, AGENT_OFF_RING, AGENT_OFF_STACKSET));
}

static long minor_faults(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_minflt;
}

static int present(const void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)p / PAGE * 8)) != 8)
		entry = 0;
	if (fd >= 0)
		close(fd);
	return (int)(entry >> 63);
}

/* A byte written where the sanitizers do not look: their shadow's own
 * first touches would count as faults. */
static void poke(uint8_t *p)
{
	__asm__ volatile("movb $1, (%0)" : : "r"(p) : "memory");
}

/* The kernel's side: pages read through process_vm_readv are mapped in
 * the reader's target, and written without a fault. */
static void test_mapping(void)
{
	int fd = memfd_create("premap-test", 0);
	uint8_t *region;
	struct premap_range r = { 2 * PAGE, 10 * PAGE + 1 };
	long before, ahead, not_ahead;
	int mapped = 0;

	CHECK(fd >= 0 && !ftruncate(fd, 32 * PAGE));
	region = mmap(NULL, 32 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(region != MAP_FAILED);
	CHECK(agent_premap_map(getpid(), (uint64_t)(uintptr_t)region, &r, 1));
	for (int i = 0; i < 32; i++)
		mapped += present(region + i * PAGE) << i;
	CHECK_INT(mapped, 0x7fc);       /* pages 2..10 */
	/* Written: no fault for the pages mapped ahead, one each for those
	 * not. */
	before = minor_faults();
	for (int i = 2; i <= 10; i++)
		poke(region + i * PAGE + 64);
	ahead = minor_faults() - before;
	before = minor_faults();
	for (int i = 12; i <= 20; i++)
		poke(region + i * PAGE + 64);
	not_ahead = minor_faults() - before;
	CHECK_INT(ahead, 0);
	CHECK(not_ahead >= 9);
	/* A process that is gone: refused, and said so. */
	CHECK(!agent_premap_map(0x7ffffffe, (uint64_t)(uintptr_t)region, &r, 1));
	munmap(region, 32 * PAGE);
	close(fd);
}

int main(void)
{
	test_quiet_process();
	test_first_ring();
	test_growth();
	test_mapping();
	return unit_done();
}
