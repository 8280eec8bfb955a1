#!/bin/bash
# numamma report --format=collapsed: folded stacks, "frame;frame;... N",
# outermost frame first and the allocator last, as flamegraph.pl and
# speedscope read them; weighted by bytes, or by samples with
# --weight=samples (the array then weighs every sample it got).
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
assert_eq "total bytes" "$(sql "$db" "SELECT sum(size) FROM objects WHERE callsite_id IS NOT NULL")" \
	"$(awk '{ s += $NF } END { print s }' "$TMPD/bytes")"

"$NUMAMMA" report --format=collapsed --weight=samples "$db" >"$TMPD/samples" ||
	fail "report --format=collapsed --weight=samples exited $?"
assert_eq "samples of the array" \
	"$(sql "$db" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id WHERE o.size = $size")" \
	"$(grep -E "(^|;)main;malloc [0-9]+$" "$TMPD/samples" | awk '{ print $NF }')"
