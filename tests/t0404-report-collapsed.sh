#!/bin/bash
# numamma report --format=collapsed: folded stacks, "frame;frame;... N",
# outermost frame first and the allocator last, as flamegraph.pl and
# speedscope read them; weighted by bytes (every call's, those without a
# row too), or by samples with --weight=samples (the array then weighs
# every sample it got).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=256
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N $P 0.2
size=$((N * P * PAGE + PAGE))

"$NUMAMMA" report --format=collapsed "$db" >"$TMPD/bytes" || fail "report --format=collapsed exited $?"
[[ -s $TMPD/bytes ]] || fail "no stack"
grep -Evn '^[^ ;]+(;[^ ;]+)* [0-9]+$' "$TMPD/bytes" >&2 && fail "lines not in the folded format"
grep -Eq "(^|;)main;malloc $size$" "$TMPD/bytes" || fail "no line for the array: $(cat "$TMPD/bytes")"
assert_eq "total bytes" "$(sql "$db" "SELECT sum(bytes) FROM callsite_totals WHERE callsite_id IS NOT NULL")" \
	"$(awk '{ s += $NF } END { print s }' "$TMPD/bytes")"
# At the default --min-object-size (1 MiB), the small blocks have no row
# and are weighed all the same.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none -o "$TMPD/rows.db" -- \
	"$TMPD/access-blocks" $N $P 0.2 >/dev/null || fail "profile (default rows) exited $?"
(($(sql "$TMPD/rows.db" "SELECT count(*) FROM callsite_totals WHERE callsite_id NOT IN
			   (SELECT callsite_id FROM objects WHERE callsite_id IS NOT NULL)") > 0)) ||
	skip "access-blocks made no block under 1 MiB"
"$NUMAMMA" report --format=collapsed "$TMPD/rows.db" >"$TMPD/rows" || fail "report --format=collapsed exited $?"
assert_eq "total bytes, rows from 1 MiB" \
	"$(sql "$TMPD/rows.db" "SELECT sum(bytes) FROM callsite_totals WHERE callsite_id IS NOT NULL")" \
	"$(awk '{ s += $NF } END { print s }' "$TMPD/rows")"

"$NUMAMMA" report --format=collapsed --weight=samples "$db" >"$TMPD/samples" ||
	fail "report --format=collapsed --weight=samples exited $?"
assert_eq "samples of the array" \
	"$(sql "$db" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id WHERE o.size = $size")" \
	"$(grep -E "(^|;)main;malloc [0-9]+$" "$TMPD/samples" | awk '{ print $NF }')"
