#!/bin/bash
# The program is done when its first process is, as for a shell: numamma
# then returns its status at once, and lets a child it left running go,
# untouched (breakpoints and return addresses put back), to finish alone.
. "$(dirname "$0")/lib.sh"

build_prog bg-child
start=$(date +%s%N)
status=0
timeout -k 5 30 "$NUMAMMA" profile -q -s none -o "$TMPD/p.db" -- "$TMPD/bg-child" "$TMPD/child" \
	>"$TMPD/out" || status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq "exit status" 3 "$status"
assert_eq "output" "parent done" "$(cat "$TMPD/out")"
((elapsed < 900)) || fail "numamma waited for the child: ${elapsed} ms"
for _ in $(seq 40); do [[ -s $TMPD/child ]] && break; sleep 0.1; done
assert_eq "the child, let go mid-loop" "child ok" "$(cat "$TMPD/child" 2>/dev/null)"
(( $(sql "$TMPD/p.db" "SELECT count(DISTINCT pid) FROM processes") == 2 )) ||
	fail "the child process is not in the profile"
