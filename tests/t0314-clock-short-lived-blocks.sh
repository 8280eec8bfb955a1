#!/bin/bash
# clock sampler: samples are matched in time order with the allocator
# calls.  Two threads each write and sum blocks that live a few
# microseconds, with 8 malloc/free pairs of 16 bytes after each (a storm
# numamma's drain falls behind): the workers' samples in the program's own
# code are of the blocks they touch, which were freed, and followed by
# thousands of frees, by the time numamma read those samples.  Matched at
# their reading, against blocks kept for samples still to come, about
# half found their block (the rest the heap's mapping).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

access_profile "$TMPD/s.db" clock access-short-lived 2 300000 8
assert_eq "program output" "$("$TMPD/access-short-lived" 2 300000 8)" "$(cat "$TMPD/out")"
in_program="t.rank > 0 AND EXISTS (SELECT 1 FROM modules m WHERE m.pid = s.pid
	AND m.path LIKE '%/access-short-lived' AND s.ip BETWEEN m.start AND m.end)"
read -r total on_block on_mapping <<<"$(sample_shares "$TMPD/s.db" "$in_program" \
	"o.kind = 'heap'" "o.kind = 'mapping'")"
echo "$total samples of the workers' loops: $on_block on a block, $on_mapping on a mapping"
((total >= 100)) || fail "only $total samples of the workers' loops"
((on_block * 10 >= total * 9)) || fail "$on_block of $total samples on a block, want >= 90%"
