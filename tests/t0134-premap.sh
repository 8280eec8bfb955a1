#!/bin/bash
# numamma maps the agent's pages in the program ahead of the agent: a
# ring's first lap is 256 pages, each a page fault in the program the
# first time it writes there (9-11 us in a VM).  2,000 malloc+free pairs,
# a pause in which numamma reads them, then 6,000 more: those fault
# nowhere in the ring (190 faults before), and every call is counted.
. "$(dirname "$0")/lib.sh"

build_prog count-storm
"$NUMAMMA" profile -s none -o "$TMPD/p.db" -- "$TMPD/count-storm" faults 6000 \
	>"$TMPD/out" 2>"$TMPD/err" || fail "numamma exited $?: $(tail -3 "$TMPD/err")"
faults=$(sed -n 's/^faults: \([0-9]*\) in 6000 rounds$/\1/p' "$TMPD/out")
[[ $faults ]] || fail "the program's output: $(cat "$TMPD/out")"
((faults <= 32)) || fail "$faults page faults in 12,000 calls after numamma read the first 4,000"
assert_eq "the calls counted" 1 "$(sql "$TMPD/p.db" "SELECT sum(allocations) >= 8000
	AND sum(frees) >= 8000 FROM callsite_totals")"
assert_eq "calls lost" 0 "$(sql "$TMPD/p.db" "SELECT calls_lost FROM runs")"
