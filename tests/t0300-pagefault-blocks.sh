#!/bin/bash
# pagefault sampler: each worker first-touches its own block of one array,
# so every page of block i is sampled, by worker i+1 only (as many pages as
# the kernel counted faults for the worker's first round: one each here,
# fewer where it maps several pages in one fault), given to the
# array object (4 MiB blocks: their first samples come before the next
# tick; the agent's record of the array must be read first), with its
# node, and within the array's lifetime.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=1024
db=$TMPD/p.db
export ACCESS_FAULTS=$TMPD/faults
blocks_profile "$db" pagefault access-blocks $N $P 0.3

sed 's/$/|0/' "$TMPD/faults" >"$TMPD/expected"
block_samples "$db" $N $P >"$TMPD/actual"
assert_diff "first touches per block (block|pages|not by its worker)" "$TMPD/expected" "$TMPD/actual"

assert_eq "array samples not given to the array, outside its life, or without nodes" 0 \
	"$(sql "$db" "WITH $(array_cte $((N * P * PAGE + PAGE)))
		      SELECT count(*) FROM samples x JOIN arr ON x.pid = arr.pid
		      WHERE x.address >= arr.base AND x.address < arr.base + $((N * P * PAGE))
		        AND (x.object_id IS NOT arr.id OR x.time_ns < arr.alloc_ns
			     OR x.time_ns >= arr.free_ns OR x.page_node IS NULL OR x.node IS NULL
			     OR x.access != '?' OR x.weight != 1)")"
assert_eq "records lost" 0 "$(sql "$db" "SELECT total(value) FROM sampler_stats WHERE name = 'lost'" | cut -d. -f1)"
assert_eq "sampler recorded in the run" "pagefault" "$(sql "$db" "SELECT sampler FROM runs")"
