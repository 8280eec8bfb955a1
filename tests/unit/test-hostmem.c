/* The choice of huge pages for numamma's own tables (hostmem.h): a
 * table of hosts, and the probe's readings within reason here. */
#include "hostmem.h"
#include "unit.h"

static void test_choice(void)
{
	static const struct {
		struct host_memory host;
		bool huge;
	} cases[] = {
		{ { false, 0 }, true },         /* bare metal, or no balloon */
		{ { false, 20.0 }, true },
		{ { true, 1.6 }, false },       /* a KVM guest whose memory is reported */
		{ { true, SMALL_FAULT_CHEAP_US - 0.01 }, false },
		{ { true, SMALL_FAULT_CHEAP_US }, true },
		{ { true, 9.0 }, true },        /* a PVM guest: each fault traps */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(huge_pages_pay(&cases[i].host), cases[i].huge);
}

/* A first write takes some time (a clock that did not move would read
 * 0), and far less than a second. */
static void test_probe(void)
{
	struct host_memory h;

	host_memory_probe(&h);
	if (h.reclaimed)
		CHECK(h.first_write_us > 0 && h.first_write_us < 1e6);
	else
		CHECK(h.first_write_us == 0);
}

int main(void)
{
	test_choice();
	test_probe();
	return unit_done();
}
