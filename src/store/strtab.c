#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strtab.h"

/* Open addressing; cap is a power of two, at most half full. */
struct prof_strings {
	char **slot;
	size_t cap, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static size_t find(const struct prof_strings *t, const char *s)
{
	size_t i = hash(s) & (t->cap - 1);

	while (t->slot[i] && strcmp(t->slot[i], s))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void grow(struct prof_strings *t)
{
	struct prof_strings bigger = { .cap = t->cap ? 2 * t->cap : 256, .n = t->n };

	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			bigger.slot[find(&bigger, t->slot[i])] = t->slot[i];
	free(t->slot);
	*t = bigger;
}

char *strtab_intern(struct prof_strings **tp, const char *s)
{
	struct prof_strings *t;
	size_t i;

	if (!s)
		return NULL;
	if (!*tp)
		*tp = xcalloc(1, sizeof(**tp));
	t = *tp;
	if (2 * (t->n + 1) > t->cap)
		grow(t);
	i = find(t, s);
	if (!t->slot[i]) {
		t->slot[i] = xstrdup(s);
		t->n++;
	}
	return t->slot[i];
}

void strtab_free(struct prof_strings *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	free(t);
}
