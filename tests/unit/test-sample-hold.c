/* Samples that matched no object wait for the modules mapped when they
 * were taken (include/sample_hold.h): which wait, which a read of the
 * maps lets go, a fork's and an exec's, and a full hold. */
#include "sample_hold.h"
#include "unit.h"

static struct nm_sample sample(pid_t pid, uint64_t t, uint64_t addr, int64_t object)
{
	return (struct nm_sample){ .pid = pid, .tid = pid, .time_ns = t, .addr = addr,
				   .object_id = object };
}

struct released {
	uint64_t t[16];
	int n;
};

static void note(void *ctx, struct nm_sample *x)
{
	struct released *r = ctx;

	r->t[r->n++] = x->time_ns;
}

static void test_wanted(void)
{
	struct sample_hold h;
	struct nm_sample x;

	sample_hold_init(&h, 0);
	x = sample(10, 100, 0x1000, 0);
	CHECK(sample_hold_wanted(&h, &x));         /* no read of pid 10 yet */
	x.object_id = 7;
	CHECK(!sample_hold_wanted(&h, &x));        /* attributed */
	x = sample(10, 100, 0, 0);
	CHECK(!sample_hold_wanted(&h, &x));        /* no address to match */
	sample_hold_known(&h, 10, 100);
	x = sample(10, 100, 0x1000, 0);
	CHECK(!sample_hold_wanted(&h, &x));        /* its modules are known */
	x.time_ns = 101;
	CHECK(sample_hold_wanted(&h, &x));
	x.pid = 11;
	x.time_ns = 1;
	CHECK(sample_hold_wanted(&h, &x));         /* another process */
	sample_hold_free(&h);
}

static void test_release(void)
{
	struct sample_hold h;
	struct released r = { { 0 }, 0 };
	struct nm_sample x;

	sample_hold_init(&h, 0);
	for (uint64_t t = 1; t <= 4; t++) {
		x = sample(t % 2 ? 10 : 20, t * 10, 0x1000, 0);
		CHECK(sample_hold_add(&h, &x));
	}
	/* pid 10 known up to 20: its sample at 10 goes, the one at 30 waits. */
	sample_hold_known(&h, 10, 20);
	sample_hold_release(&h, 10, 20, note, &r);
	CHECK_INT(r.n, 1);
	CHECK(r.t[0] == 10);
	CHECK_INT((int)h.n, 3);
	/* Any pid, up to any time (the end): oldest first. */
	sample_hold_release(&h, 0, UINT64_MAX, note, &r);
	CHECK_INT(r.n, 4);
	CHECK(r.t[1] == 20 && r.t[2] == 30 && r.t[3] == 40);
	CHECK_INT((int)h.n, 0);
	sample_hold_free(&h);
}

static void test_fork_and_full(void)
{
	struct sample_hold h;
	struct nm_sample x;

	sample_hold_init(&h, 2);
	sample_hold_known(&h, 10, 500);
	sample_hold_fork(&h, 10, 11);
	x = sample(11, 400, 0x1000, 0);
	CHECK(!sample_hold_wanted(&h, &x));        /* the parent's modules */
	x.time_ns = 600;
	CHECK(sample_hold_wanted(&h, &x));
	CHECK(sample_hold_add(&h, &x));
	CHECK(sample_hold_add(&h, &x));
	CHECK(!sample_hold_add(&h, &x));           /* full: the caller releases */
	CHECK_INT((int)h.n, 2);
	sample_hold_free(&h);
}

int main(void)
{
	test_wanted();
	test_release();
	test_fork_and_full();
	return unit_done();
}
