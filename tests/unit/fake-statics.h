/* A module's statics as elfsyms gives them (struct nm_static_table),
 * for the object tracker's and the recorder's tests: two small ones and
 * a 4 KiB one, at file addresses 0x100..0x1400. */
#ifndef NUMAMMA_TEST_FAKE_STATICS_H
#define NUMAMMA_TEST_FAKE_STATICS_H

#include "model.h"

static const struct nm_static fake_statics[] = {
	{ 0x100, 0x40, "small_a" }, { 0x200, 0x10, "small_b" }, { 0x400, 0x1000, "large" },
};

static void fake_foreach(const void *owner, uint64_t min_size, nm_static_fn fn, void *arg,
			 uint64_t *lo, uint64_t *hi)
{
	for (size_t i = 0; i < 3; i++)
		if (fake_statics[i].size >= min_size)
			fn(arg, &fake_statics[i]);
	*lo = 0x100;
	*hi = 0x1400;
}

static bool fake_find(const void *owner, uint64_t vaddr, struct nm_static *out)
{
	for (size_t i = 0; i < 3; i++)
		if (vaddr - fake_statics[i].vaddr < fake_statics[i].size) {
			*out = fake_statics[i];
			return true;
		}
	return false;
}

static const struct nm_static_table fake_table = { NULL, fake_foreach, fake_find };

#endif
