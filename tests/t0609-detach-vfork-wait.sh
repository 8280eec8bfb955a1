#!/bin/bash
# Detaching while the program's thread waits in vfork (its child asleep
# before _exit): that thread cannot stop until its child exits, so it is
# stopped and detached after the child is let go.  Waiting for it first,
# the child held stopped, took 2 s, left it traced, and numamma waited
# for a program it would never resume.  Each detach is quick and quiet,
# and the program ends as alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

build_prog vfork-wait
for i in 1 2 3; do
	rm -f "$TMPD/ready"
	"$TMPD/vfork-wait" 15 "$TMPD/ready" >"$TMPD/out" &
	WPID=$!
	wait_for "vfork-wait to start" test -e "$TMPD/ready"
	start=$(date +%s%N)
	status=0
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
		-o "$TMPD/p.db" --duration 0.5 -p "$WPID" 2>"$TMPD/err" || status=$?
	took=$((($(date +%s%N) - start) / 1000000))
	assert_eq "round $i: numamma's exit status" 0 "$status"
	assert_eq "round $i: numamma says nothing" "" "$(cat "$TMPD/err")"
	((took < 1800)) || assert_eq "round $i: attached for 0.5 s, then detached within 1.8 s" \
		"< 1800 ms" "$took ms"
	wait_for "every thread of $WPID to be untraced" every_thread_untraced "$WPID"
	status=0
	wait "$WPID" || status=$?
	assert_eq "round $i: the program's exit status" 0 "$status"
	assert_eq "round $i: the program's output" "vforks 15" "$(cat "$TMPD/out")"
	if ((FAILED)); then break; fi
done
