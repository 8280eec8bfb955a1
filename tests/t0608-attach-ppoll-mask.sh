#!/bin/bash
# Attach and detach, 6 times, to a program whose main thread waits in
# ppoll() with a temporary signal mask: the injected system calls of the
# agent's set-up leave the thread's own mask as it was (numamma blocks a
# thread's signals while it injects, except in such a call, where the
# kernel would then keep the temporary mask for good).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

build_prog ppoll-mask
"$TMPD/ppoll-mask" 8 "$TMPD/ready" >"$TMPD/out" 2>&1 &
WPID=$!
wait_for "ppoll-mask to start" test -e "$TMPD/ready"
for i in $(seq 1 6); do
	attach "$TMPD/p$i.db"
	sleep 0.2
	kill -INT "$NPID"
	detached_ok
done
status=0
wait "$WPID" || status=$?
assert_eq "ppoll-mask's output" "waits many mask errors 0" "$(cat "$TMPD/out")"
assert_eq "ppoll-mask's exit status" 0 "$status"
