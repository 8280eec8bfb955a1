#!/bin/bash
# Mappings follow --min-object-size as statics and small blocks do: one
# smaller gets a row only once a sample hits it.  A program that reads a
# 64 KiB file mapping for 0.3 s under the clock sampler has a row for it,
# with its samples; no small mapping has a row without samples (its
# modules' segments, ld.so.cache), while libc's code (more than 1 MiB)
# has one; --all-objects gives every mapping a row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

cc -O2 -o "$TMPD/map-file" "$PROGS/map-file.c" || fail "cannot compile tests/progs/map-file.c"
db=$TMPD/p.db
"$NUMAMMA" profile -q -s clock -o "$db" -- "$TMPD/map-file" "$TMPD/data" 0.3 >"$TMPD/out" ||
	fail "numamma profile exited $?"
grep -q "^sum ok$" "$TMPD/out" || fail "program output: $(cat "$TMPD/out")"
addr=$(awk '/^mapped / { print $2 }' "$TMPD/out")
samples=$(sql "$db" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id
		     WHERE o.kind = 'mapping' AND o.address = $addr AND o.size = 65536")
((samples >= 50)) || fail "the file mapping: $samples samples, want 50 or more"
assert_eq "rows of small mappings no sample hit" "0" \
	"$(sql "$db" "SELECT count(*) FROM objects o WHERE kind = 'mapping' AND size < 1048576
		      AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.object_id = o.id)")"
assert_eq "a row for libc's code" "1" \
	"$(sql "$db" "SELECT count(*) > 0 FROM objects WHERE kind = 'mapping' AND size >= 1048576
		      AND name LIKE '%/libc.so%'")"

profile_ok "$TMPD/all.db" --all-objects -s none -- "$TMPD/map-file" "$TMPD/data" 0 >/dev/null
assert_eq "--all-objects: rows for the vdso and ld.so.cache" "1|1" \
	"$(sql "$TMPD/all.db" "SELECT count(*) > 0 FROM objects WHERE kind = 'mapping' AND name = '[vdso]';
			      SELECT count(*) > 0 FROM objects WHERE kind = 'mapping'
			      AND name LIKE '%ld.so.cache'" | paste -sd'|')"
