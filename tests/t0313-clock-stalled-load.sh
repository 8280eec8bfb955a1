#!/bin/bash
# clock sampler: a sample is the access the thread stalled on, not the
# next one.  A thread loads from random places of a 64 MiB table (each a
# cache miss, its next place from the value loaded: the load changes its
# own index register) and at once adds the value into a 512-byte array
# that always hits: most samples belong to the table (found at the
# load's next run), few to the array (at the sampled ip).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

access_profile "$TMPD/c.db" clock access-chase 64 1
assert_eq "program output" "chased yes" "$(cat "$TMPD/out")"
read -r total on_table on_small <<<"$(sql "$TMPD/c.db" "SELECT count(*),
	sum(o.kind = 'heap' AND o.size = $((64 << 20))), sum(o.kind = 'static' AND o.name = 'small')
	FROM samples s LEFT JOIN objects o ON o.id = s.object_id
	JOIN modules m ON m.pid = s.pid AND m.path LIKE '%/access-chase'
	WHERE s.ip BETWEEN m.start AND m.end" | tr '|' ' ')"
echo "samples in the program's code: $total, on the table $on_table, on the array $on_small"
((total >= 500)) || fail "only $total samples in the program's code"
((on_table * 10 >= total * 8)) || fail "$on_table of $total samples on the table, want >= 80%"
((on_small * 10 <= total)) || fail "$on_small of $total samples on the small array, want <= 10%"
