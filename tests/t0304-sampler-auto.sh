#!/bin/bash
# --sampler=auto picks the best sampler that works, says which and why on
# one stderr line, and records the choice in the run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"

best=$("$NUMAMMA" profile --list-samplers | awk '$2 == "yes" { print $1; exit }')
[[ -n $best ]] || fail "--list-samplers names no working sampler (none at least)"
build_prog access-blocks -O2
db=$TMPD/a.db
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -s auto -o "$db" -- "$TMPD/access-blocks" 2 4 0.1 \
	>"$TMPD/out" 2>"$TMPD/err" || fail "numamma profile -s auto exited $?"
cat "$TMPD/err"
[[ $best == none ]] || assert_eq "stderr line naming the choice" 1 "$(grep -c "^numamma: sampler: $best (" "$TMPD/err")"
assert_eq "sampler recorded in the run" "$best" "$(sql "$db" "SELECT sampler FROM runs")"
[[ $best == none ]] || assert_eq "a reason recorded" 1 \
	"$(sql "$db" "SELECT count(*) FROM runs WHERE length(sampler_reason) > 0")"
# -q: the choice is in the run, not on stderr.
"$NUMAMMA" profile -q -s auto -o "$TMPD/q.db" -- /bin/true 2>"$TMPD/qerr" || fail "profile -q failed"
assert_eq "-q says nothing" "" "$(cat "$TMPD/qerr")"
