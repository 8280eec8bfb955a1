/* The min-heap that merges the agent's rings: entries come out by key,
 * each once, whatever the order they went in (ties, one entry, keys
 * replaced at the top as a ring's next record is read), as a sort of the
 * same keys does. */
#include <stdbool.h>
#include <stdlib.h>

#include "minheap.h"
#include "unit.h"

#define N 300

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* n entries of keys masked by mask, pushed, then popped: ascending, each
 * id once. */
static void check_pushed(uint32_t n, uint64_t mask)
{
	struct minheap_entry v[N];
	struct minheap h = { v, 0 };
	bool seen[N] = { false };
	uint64_t x = 0x9e3779b97f4a7c15ULL, last = 0;

	for (uint32_t i = 0; i < n; i++)
		minheap_push(&h, next_rand(&x) & mask, i);
	CHECK_INT(h.n, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct minheap_entry *top = minheap_top(&h);

		CHECK(top->key >= last);
		CHECK(top->id < n && !seen[top->id]);
		if (top->id < n)
			seen[top->id] = true;
		last = top->key;
		minheap_pop(&h);
	}
	CHECK_INT(h.n, 0);
}

/* The drain's use: k streams of ascending keys, the top's stream
 * advanced and its key replaced until it runs dry: the merged keys are
 * ascending, every one of every stream read. */
static void check_merge(uint32_t k, uint32_t per_stream)
{
	struct minheap_entry v[N];
	struct minheap h = { v, 0 };
	uint64_t next[N], x = 12345, last = 0;
	uint32_t left[N], read = 0;

	for (uint32_t s = 0; s < k; s++) {
		next[s] = next_rand(&x) % 1000;
		left[s] = per_stream;
		minheap_push(&h, next[s], s);
	}
	while (h.n) {
		const struct minheap_entry *top = minheap_top(&h);
		uint32_t s = top->id;

		CHECK(top->key == next[s]);
		CHECK(top->key >= last);
		last = top->key;
		read++;
		if (--left[s]) {
			next[s] += next_rand(&x) % 50;
			minheap_replace_top(&h, next[s]);
		} else {
			minheap_pop(&h);
		}
	}
	CHECK_INT(read, k * per_stream);
}

int main(void)
{
	check_pushed(1, ~0ULL);
	check_pushed(2, ~0ULL);
	check_pushed(N, ~0ULL);
	check_pushed(N, 7);             /* many ties */
	check_pushed(N, 0);             /* every key the same */
	check_merge(1, 10);
	check_merge(3, 100);
	check_merge(128, 40);
	return unit_failures ? 1 : 0;
}
