#!/bin/bash
# A program under an address-space limit (ulimit -v, a batch system's
# memory limit) that fits in it alone fits under numamma: the agent's
# region would take 71 MiB of the limit, so --intercept=auto catches
# that process's calls with breakpoints instead, says so once, and still
# records them.  --intercept=agent, asked for, maps the region and says
# what it takes.  (The mode is the test's: NUMAMMA_INTERCEPT is not used.)
. "$(dirname "$0")/lib.sh"

build_prog address-limit
limited="ulimit -v 120000 && exec '$TMPD/address-limit' 60"
status=0
sh -c "$limited" >"$TMPD/native" || status=$?
assert_eq "alone: exit status" 0 "$status"
assert_eq "alone: output" "allocated 60 MiB" "$(cat "$TMPD/native")"

status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -o "$TMPD/p.db" -- sh -c "$limited" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "profile: exit status" 0 "$status"
assert_eq "profile: output" "allocated 60 MiB" "$(cat "$TMPD/out")"
grep -q "address-space limit (ulimit -v, 117 MiB): its allocator calls are caught with breakpoints" \
	"$TMPD/err" || fail "no warning that the limited process is intercepted with breakpoints: $(cat "$TMPD/err")"
assert_eq "warnings" 1 "$(grep -c "address-space limit" "$TMPD/err")"
# Its calls recorded: the big block's row, and each of the 100 small calls.
pid=$(sql "$TMPD/p.db" "SELECT pid FROM objects WHERE size = $((60 << 20))")
[[ -n $pid ]] || fail "no row for the 60 MiB block"
assert_eq "main's small calls counted: allocations|frees|bytes" "100|100|6400" \
	"$(sql "$TMPD/p.db" "SELECT t.allocations, t.frees, t.bytes FROM callsite_totals t
		JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
		WHERE t.pid = $pid AND f.function = 'main' AND t.bytes = 6400")"

status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -q --interleave=all -- sh -c "$limited" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "run: exit status" 0 "$status"
assert_eq "run: output" "allocated 60 MiB" "$(cat "$TMPD/out")"

timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q --intercept=agent -o "$TMPD/a.db" -- \
	sh -c "$limited" >"$TMPD/out" 2>"$TMPD/err" || true
grep -q "address-space limit (ulimit -v, 117 MiB): the agent's region takes 71 MiB of it" "$TMPD/err" ||
	fail "--intercept=agent: no warning of what the region takes: $(cat "$TMPD/err")"
