#!/bin/bash
# A static smaller than --min-object-size gets a row once a sample hits
# it, as a small heap block does: global_table (4 KiB), read for 0.3 s
# under the clock sampler, is stored with its samples; global_message,
# never read in that loop, has no row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

build_prog globals -O2     # the loop in registers: its loads are the samples
db=$TMPD/p.db
"$NUMAMMA" profile -q -s clock -o "$db" -- "$TMPD/globals" 0.3 >"$TMPD/out" ||
	fail "numamma profile exited $?"
grep -q "^sum ok$" "$TMPD/out" || fail "program output: $(cat "$TMPD/out")"
samples=$(sql "$db" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id
		     WHERE o.kind = 'static' AND o.name = 'global_table' AND o.size = 4096")
((samples >= 50)) || fail "global_table: $samples samples, want 50 or more"
assert_eq "rows of statics no sample hit" "0" \
	"$(sql "$db" "SELECT count(*) FROM objects WHERE kind = 'static' AND name = 'global_message'")"
