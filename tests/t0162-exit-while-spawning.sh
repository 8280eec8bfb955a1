#!/bin/bash
# The program exits while its threads make threads (Go's runtime at its
# end, any pthread_create under way): a thread whose creator was killed
# between its clone and the creation's event is one numamma never heard
# of, and it stops once more, at its exit.  Held there, it kept its
# process from being reaped and numamma waited for ever (14 runs in 15).
# The program ends, with its output and status, under profile and run,
# run after run.
. "$(dirname "$0")/lib.sh"

build_prog exit-while-spawning
for round in 1 2 3 4 5 6; do
	status=0
	profile "$TMPD/p.db" -- "$TMPD/exit-while-spawning" >"$TMPD/out" || status=$?
	assert_eq "profile, round $round: exit status" 0 "$status"
	assert_eq "profile, round $round: output" exiting "$(cat "$TMPD/out")"
done
for round in 1 2 3; do
	status=0
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -q --interleave=all \
		-- "$TMPD/exit-while-spawning" >"$TMPD/out" || status=$?
	assert_eq "run, round $round: exit status" 0 "$status"
	assert_eq "run, round $round: output" exiting "$(cat "$TMPD/out")"
done
