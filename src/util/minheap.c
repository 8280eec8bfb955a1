/* See include/minheap.h. */
#include "minheap.h"

static void sift_up(struct minheap *h, uint32_t i)
{
	struct minheap_entry e = h->v[i];

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (h->v[parent].key <= e.key)
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = e;
}

static void sift_down(struct minheap *h, uint32_t i)
{
	struct minheap_entry e = h->v[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->v[child + 1].key < h->v[child].key)
			child++;
		if (e.key <= h->v[child].key)
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	h->v[i] = e;
}

void minheap_push(struct minheap *h, uint64_t key, uint32_t id)
{
	h->v[h->n] = (struct minheap_entry){ key, id };
	sift_up(h, h->n++);
}

void minheap_replace_top(struct minheap *h, uint64_t key)
{
	h->v[0].key = key;
	sift_down(h, 0);
}

void minheap_pop(struct minheap *h)
{
	h->v[0] = h->v[--h->n];
	if (h->n)
		sift_down(h, 0);
}
