#!/bin/bash
# An allocation from a frame whose unwind rule reads rbp while rbp holds
# data (-8, -16, 0, ...): the stack's walk stops there, the program runs
# as alone and every call is counted.  Under the trap path (run again
# with NUMAMMA_INTERCEPT=trap) the remote unwinder read the saved rbp "at"
# 0xfffffffffffffff8 and the tracer died of it (a static program's threads,
# whose sums lived in rbp, met it within 300,000 calls).
. "$(dirname "$0")/lib.sh"

build_prog garbage-rbp
"$TMPD/garbage-rbp" >"$TMPD/native"
profile_ok "$TMPD/p.db" -- "$TMPD/garbage-rbp" >"$TMPD/out"
assert_diff "program output" "$TMPD/native" "$TMPD/out"
sites="SELECT f.callsite_id FROM frames f WHERE f.depth = 0 AND f.function = 'malloc_with_rbp'"
assert_eq "calls counted" "300" \
	"$(sql "$TMPD/p.db" "SELECT sum(allocations) FROM callsite_totals WHERE callsite_id IN ($sites)")"
assert_eq "objects recorded" "300" \
	"$(sql "$TMPD/p.db" "SELECT count(*) FROM objects WHERE callsite_id IN ($sites)")"
