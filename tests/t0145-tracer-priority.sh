#!/bin/bash
# While the agent's rings are busy numamma's tracer drains them at a
# higher priority (nice 10 lower, where it may: root, CAP_SYS_NICE), so
# that allocating threads outnumbering the cpus do not leave it behind;
# the program and its children keep the nice value they have natively.
. "$(dirname "$0")/lib.sh"

build_prog priority
nice -n 3 "$TMPD/priority" 200000 | grep -v '^parent' >"$TMPD/native"
nice -n 3 "$NUMAMMA" profile -q -s none --intercept=agent -o "$TMPD/p.db" -- "$TMPD/priority" 200000 \
	>"$TMPD/out" 2>"$TMPD/err" || fail "profile exited $?: $(cat "$TMPD/err")"
grep -v '^parent' "$TMPD/out" >"$TMPD/program"
assert_diff "the program's nice value and its child's" "$TMPD/native" "$TMPD/program"

# GNU nice runs its command even where it cannot lower the value: ask.
if [[ $(nice -n 3 nice -n -10 nice 2>/dev/null) == -7 ]]; then boosted=-7; else boosted=3; fi
assert_eq "the tracer's nice value after a burst of calls" "$boosted" \
	"$(sed -n 's/^parent //p' "$TMPD/out")"
