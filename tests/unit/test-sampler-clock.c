/* The clock sampler on a real thread: its samples land on the words it
 * loads (as reads) and on those it stores (as writes), found from the
 * sampled registers, at about the requested rate; what it could not
 * place is counted, and what it stored says how it was found. */
#include <sched.h>

#include "sampler-harness.h"
#include "unit.h"

#define WORDS (1 << 16)          /* 512 KiB: half loaded, half stored */
/* The worker runs until it had this much cpu (the sampler's clock), or
 * for MAX_WALL_NS on a machine too busy to give it that. */
#define CPU_NS 300000000ULL
#define MAX_WALL_NS 3000000000ULL
#define PASSES 8                 /* about half a millisecond */

static uint64_t worker_cpu_ns;

static uint64_t worker_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Not instrumented under a sanitizer: the samples must land on the
 * loop's own loads and stores, not on shadow-memory checks. */
__attribute__((no_sanitize("address", "undefined")))
static void load_and_store(struct harness *h)
{
	volatile uint64_t *src = h->arg, *dst = src + WORDS / 2;
	uint64_t sum = 0, end = harness_now() + MAX_WALL_NS;
	int i, pass;

	/* The clocks are read every PASSES passes only: a read of the
	 * thread's cpu time is a system call, and samples landing after it
	 * are on the stack, not the array (under the sanitizers, on a
	 * loaded machine, a tenth of them once). */
	/* Passes of loads and passes of stores in turn: in a loop of both,
	 * where a timer interrupt lands is the cpu's, and an AMD EPYC host
	 * put none of 292 before the load once (found as a write each, by
	 * the store that follows). */
	while (worker_cpu_now() < CPU_NS && harness_now() < end)
		for (pass = 0; pass < PASSES; pass++)
			for (i = 0; i < WORDS / 2; i++) {
				if (pass % 2)
					sum += src[i];
				else
					dst[i] = sum + (uint64_t)i;
			}
	worker_cpu_ns = worker_cpu_now();
}

int main(void)
{
	struct harness h = { 0 };
	uint64_t lo, mid, hi;
	int64_t total, reads, writes, counted, placed;
	cpu_set_t before, after;
	int ret;

	/* The self-test may pin the thread to its cpu for a moment (a
	 * per-cpu event): its affinity must come back. */
	CHECK_INT(sched_getaffinity(0, sizeof(before), &before), 0);
	ret = harness_open(&h, "clock");
	CHECK_INT(sched_getaffinity(0, sizeof(after), &after), 0);
	CHECK(CPU_EQUAL(&before, &after));
	if (ret == 77)
		UNIT_SKIP("clock sampler unavailable here");
	CHECK_INT(ret, 0);
	if (ret)
		return unit_done();   /* nothing to run it on */
	h.arg = aligned_alloc(4096, WORDS * 8);
	lo = (uint64_t)h.arg;
	mid = lo + WORDS * 4;
	hi = lo + WORDS * 8;
	harness_add_object(&h, OBJ_HEAP, h.arg, WORDS * 8);
	CHECK_INT(harness_run(&h, load_and_store), 0);

	total = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d", (int)h.tid);
	reads = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'R'"
			      " AND address >= %llu AND address < %llu", (int)h.tid,
			      (unsigned long long)lo, (unsigned long long)mid);
	writes = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'W'"
			       " AND address >= %llu AND address < %llu", (int)h.tid,
			       (unsigned long long)mid, (unsigned long long)hi);
	counted = harness_query(&h, "SELECT value FROM sampler_stats WHERE tid = %d AND name = 'samples'",
				(int)h.tid);
	placed = harness_query(&h, "SELECT sum(value) FROM sampler_stats WHERE tid = %d"
			       " AND name IN ('at_ip', 'backward', 'repeat', 'forward')", (int)h.tid);
	printf("clock: %lld samples read, %lld stored (%lld reads, %lld writes on the array)\n",
	       (long long)counted, (long long)total, (long long)reads, (long long)writes);
	/* 1 kHz of the worker's cpu time (about 300 ms of it), give or take
	 * the first and the last. */
	printf("worker cpu: %llu ms\n", (unsigned long long)(worker_cpu_ns / 1000000));
	CHECK(counted >= (int64_t)(worker_cpu_ns / 1000000 * 6 / 10) &&
	      counted <= (int64_t)(worker_cpu_ns / 1000000 * 11 / 10) + 5);
	CHECK(counted >= 100);
	CHECK_INT(placed, total);
	CHECK(total >= counted * 9 / 10);
	/* Both kinds found, each on its own half of the array, never on the
	 * other's. */
	CHECK(reads > 0);
	CHECK(writes > 0);
	CHECK(reads + writes >= total * 9 / 10);
	CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND"
				" ((access = 'R' AND address >= %llu AND address < %llu) OR"
				" (access = 'W' AND address >= %llu AND address < %llu))", (int)h.tid,
				(unsigned long long)mid, (unsigned long long)hi,
				(unsigned long long)lo, (unsigned long long)mid), 0);
	CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND"
				" (resolution NOT IN ('at_ip', 'backward', 'repeat', 'forward') OR ip IS NULL"
				" OR time_ns NOT BETWEEN %llu AND %llu)", (int)h.tid,
				(unsigned long long)h.t_start, (unsigned long long)h.t_end), 0);
	CHECK_INT(harness_query(&h, "SELECT value FROM sampler_stats WHERE tid = %d AND name = 'lost'",
				(int)h.tid), 0);
	harness_close(&h);
	free(h.arg);
	return unit_done();
}
