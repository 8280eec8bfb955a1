/* The placement table of `numamma run -o`: where each placed object's
 * pages landed.  Created only in the profiles of run. */
#ifndef NUMAMMA_DB_PLACEMENT_H
#define NUMAMMA_DB_PLACEMENT_H

#include <stdint.h>
#include <sys/types.h>

struct nm_db;

/* Creates the table (run's profiles only). */
void db_add_placement_table(struct nm_db *db);

struct db_placement {
	int64_t object_id;
	pid_t pid;
	uint64_t addr, size;
	const char *rule;
	uint64_t pages, present, on_intended, absent;
	uint64_t skipped;          /* spanned, but shared with a neighbour */
	int failed_ranges;
	const char *nodes;         /* "0:12 1:3": pages present per node */
};

/* 0, or -1 when the row could not be written. */
int db_add_placement(struct nm_db *db, const struct db_placement *p);

#endif
