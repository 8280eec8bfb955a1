#!/bin/bash
# The agent's doorbell: while numamma sleeps (it polls every 20 ms), a ring
# past a thousand records wakes it, so that a short program's records are
# read beside it rather than after its end; while numamma is busy draining
# (a poll a millisecond), only a ring past half full rings.  A burst of
# 2,000 malloc+free pairs (4,000 records: under half the ring, which rang
# nothing before), then a pause: numamma hears the doorbell, and every call
# is counted.
. "$(dirname "$0")/lib.sh"

build_prog count-storm
"$NUMAMMA" profile -v -s none -o "$TMPD/b.db" -- "$TMPD/count-storm" burst 300 2000 \
	>"$TMPD/out" 2>"$TMPD/err" || fail "numamma exited $?: $(tail -3 "$TMPD/err")"
assert_eq "the program's output" "burst: 2000 rounds, then 300 ms asleep" "$(cat "$TMPD/out")"
bells=$(grep "doorbells heard" "$TMPD/err")
[[ $bells == *"no doorbell"* ]] && skip "numamma gave the agent no doorbell here: $bells"
[[ $bells =~ :\ [1-9][0-9]*\ doorbells\ heard ]] ||
	fail "no doorbell heard for a burst of 4,000 records: $bells"
assert_eq "the burst's calls counted" 1 "$(sql "$TMPD/b.db" "SELECT sum(allocations) >= 2000
	AND sum(frees) >= 2000 FROM callsite_totals")"
assert_eq "calls lost" 0 "$(sql "$TMPD/b.db" "SELECT calls_lost FROM runs")"
