#!/bin/bash
# pagefault sampler: the main thread initialises the whole array before
# the workers start, so it first-touches every page: all the array's
# samples are main's (rank 0), one page or more each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=64
db=$TMPD/p.db
blocks_profile "$db" pagefault access-serial-init $N $P 0.3

assert_eq "array pages first touched (pages|by main|by workers)" "$((N * P))|$((N * P))|0" \
	"$(sql "$db" "WITH $(array_cte $((N * P * PAGE + PAGE)))
		      SELECT count(DISTINCT x.address / $PAGE), count(DISTINCT CASE WHEN t.rank = 0
			     THEN x.address / $PAGE END), sum(t.rank != 0)
		      FROM samples x JOIN arr ON x.pid = arr.pid
		      JOIN threads t ON t.pid = x.pid AND t.tid = x.tid
		      WHERE x.address >= arr.base AND x.address < arr.base + $((N * P * PAGE))")"
