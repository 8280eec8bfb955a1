#!/bin/bash
# watch sampler: every worker only reads one shared table (filled by
# main), so at least 90% of each worker's samples are reads of the table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available watch

N=4 P=1024
db=$TMPD/w.db
access_profile "$db" watch access-shared $N $P 3
words=$((P * PAGE / 8))
assert_eq "program output" "sum $((N * words * (words - 1) / 2))" "$(cat "$TMPD/out")"

# The table is the heap object of P pages (no page-boundary offset: the
# condition is on the object's own range).
rows=$(worker_share "$db" $N "s.object_id = arr.id AND s.access = 'R'" $((P * PAGE)))
assert_share "reads of the shared table" "$rows" 10 90 $N
