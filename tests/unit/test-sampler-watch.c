/* The watch sampler on a real thread: its loads show up as reads and its
 * stores as writes (one sample each: the W/RW pair is merged), all on the
 * words of the object it works on, and the per-slot cap bounds the number
 * of hits per rotation however hot the words are. */
#include "sampler-harness.h"
#include "unit.h"

#define WORDS 64             /* 32 read, 32 written: hot, every word hit */
#define RUN_NS 400000000ULL

static void load_and_store(struct harness *h)
{
	volatile uint64_t *w = h->arg;
	uint64_t sum = 0, end = harness_now() + RUN_NS;
	int i;

	while (harness_now() < end) {
		for (i = 0; i < WORDS / 2; i++)
			sum += w[i];
		for (i = WORDS / 2; i < WORDS; i++)
			w[i] = sum;
	}
}

int main(void)
{
	struct harness h = { 0 };
	uint64_t lo, mid, hi;
	int64_t id, total, reads, writes, rotations;
	int ret = harness_open(&h, "watch");

	if (ret == 77)
		UNIT_SKIP("watch sampler unavailable here");
	CHECK_INT(ret, 0);
	if (ret)
		return unit_done();   /* nothing to run it on */
	h.arg = aligned_alloc(64, WORDS * 8);
	lo = (uint64_t)h.arg;
	mid = lo + WORDS * 4;
	hi = lo + WORDS * 8;
	id = harness_add_object(&h, OBJ_HEAP, h.arg, WORDS * 8);
	CHECK_INT(harness_run(&h, load_and_store), 0);

	total = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d", (int)h.tid);
	reads = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'R'"
			      " AND address >= %llu AND address < %llu AND address %% 8 = 0",
			      (int)h.tid, (unsigned long long)lo, (unsigned long long)mid);
	writes = harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'W'"
			       " AND address >= %llu AND address < %llu AND address %% 8 = 0",
			       (int)h.tid, (unsigned long long)mid, (unsigned long long)hi);
	printf("reads on stored words: %lld, writes on loaded words: %lld, elsewhere: %lld\n",
	       (long long)harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'R'"
					" AND address >= %llu AND address < %llu", (int)h.tid,
					(unsigned long long)mid, (unsigned long long)hi),
	       (long long)harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND access = 'W'"
					" AND address >= %llu AND address < %llu", (int)h.tid,
					(unsigned long long)lo, (unsigned long long)mid),
	       (long long)harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND"
					" (address < %llu OR address >= %llu)", (int)h.tid,
					(unsigned long long)lo, (unsigned long long)hi));
	/* At most 4 slots x 8 hits per 5 ms rotation (plus the last one). */
	rotations = (int64_t)((h.t_end - h.t_start) / 5000000) + 2;
	printf("watch: %lld samples (%lld reads, %lld writes) in %lld rotations\n",
	       (long long)total, (long long)reads, (long long)writes, (long long)rotations);
	CHECK(reads > 20);
	CHECK(writes > 20);
	/* Nothing else: no read on the stored words (pairs merged), no
	 * write on the loaded ones, no other address. */
	CHECK(reads + writes >= total * 98 / 100);
	CHECK(total <= rotations * 4 * 8);
	CHECK_INT(harness_query(&h, "SELECT count(*) FROM samples WHERE tid = %d AND"
				" (object_id IS NOT %lld OR time_ns NOT BETWEEN %llu AND %llu OR ip IS NULL)",
				(int)h.tid, (long long)id, (unsigned long long)h.t_start,
				(unsigned long long)h.t_end), 0);
	harness_close(&h);
	free(h.arg);
	return unit_done();
}
