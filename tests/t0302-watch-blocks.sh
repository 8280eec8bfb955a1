#!/bin/bash
# watch sampler: each worker writes only its own block, so at least 90% of
# each worker's samples are on its own block (its watchpoints only see its
# own accesses; the rest may be its stack or libc's data).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available watch

N=4 P=1024
db=$TMPD/w.db
blocks_profile "$db" watch access-blocks $N $P 3

own="s.address >= arr.base + (s.r - 1) * $((P * PAGE)) AND s.address < arr.base + s.r * $((P * PAGE))"
rows=$(worker_share "$db" $N "$own" $((N * P * PAGE + PAGE)))
assert_share "samples on the worker's own block" "$rows" 10 90 $N

assert_eq "watch samples that are not 8-byte words or lack an access kind" 0 \
	"$(sql "$db" "SELECT count(*) FROM samples WHERE address % 8 != 0 OR access NOT IN ('R', 'W')")"
