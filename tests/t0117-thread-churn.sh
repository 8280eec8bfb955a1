#!/bin/bash
# Threads exit at any moment (returning, pthread_exit, detached, the main
# thread itself) while others allocate: every thread and every allocation
# is recorded, with the right thread.
. "$(dirname "$0")/lib.sh"

build_prog thread-churn
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/thread-churn" >"$TMPD/out"
assert_eq "output" done "$(cat "$TMPD/out")"
assert_eq "threads (count|ended)" "55|55" \
	"$(sql "$db" "SELECT count(*), count(end_ns) FROM threads")"

{
	for r in 1 2 3 4; do echo "$r|$((100 + r))|2000"; done
	for k in $(seq 0 49); do echo "$((5 + k))|$((50000 + k))|1"; done
} >"$TMPD/expected"
sql "$db" "SELECT t.rank, o.size, count(*) FROM objects o
	   JOIN threads t ON t.tid = o.tid AND t.pid = o.pid
	   JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
	   WHERE o.kind = 'heap' AND f.function = 'allocate' AND o.free_ns IS NOT NULL
	   GROUP BY t.rank, o.size ORDER BY t.rank" >"$TMPD/actual"
assert_diff "freed allocations (rank|size|count)" "$TMPD/expected" "$TMPD/actual"
