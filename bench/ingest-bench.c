/* How fast the profile's writer stores samples: N samples, as the sampler
 * hands them over (one db_add_sample each, a commit every 100,000 as the
 * session's flush does), into a fresh profile.  Prints samples per second,
 * then how long the end of the run takes over them (db_aggregate: the
 * indexes and the aggregate tables).
 *
 *   bench/ingest-bench [N]    (2000000)
 *
 * Built against libnumamma.a by `make bench/ingest-bench`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "model.h"

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	char path[] = "/tmp/numamma-ingest-XXXXXX";
	int fd = mkstemp(path);
	struct nm_db *db;
	double start, took;

	if (fd < 0)
		return 1;
	close(fd);
	unlink(path);
	db = db_create(path, true);
	if (!db)
		return 1;
	start = seconds();
	for (long i = 0; i < n; i++) {
		struct nm_sample s = {
			.time_ns = 1000 * (uint64_t)i, .pid = 100, .tid = 101 + i % 4, .cpu = i % 2,
			.node = 0, .addr = 0x7f0000000000 + 64 * (uint64_t)(i % 100000),
			.ip = 0x401000 + i % 64, .access = i % 3 ? 'R' : 'W', .weight = 1,
			.hops = -1, .tlb_miss = -1, .object_id = 1 + i % 16,
			.object_addr = 0x7f0000000000, .page_node = 0,
			.resolution = "forward", .forward_steps = 2,
		};

		db_add_sample(db, &s);
		if (i % 100000 == 99999)
			db_flush(db);
	}
	db_flush(db);
	took = seconds() - start;
	printf("ingest: %ld samples in %.2f s: %.0f samples/s\n", n, took, n / took);
	for (int id = 1; id <= 16; id++) {
		struct nm_object o = {
			.id = id, .pid = 100, .tid = 101, .kind = OBJ_HEAP, .size = 6400000,
			.addr = 0x7f0000000000, .alloc_ns = 1,
		};

		db_add_object(db, &o);
	}
	start = seconds();
	db_aggregate(db);
	took = seconds() - start;
	printf("end of run: indexes and aggregates in %.2f s: %.0f samples/s\n", took, n / took);
	db_close(db);
	unlink(path);
	return 0;
}
