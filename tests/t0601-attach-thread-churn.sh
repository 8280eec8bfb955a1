#!/bin/bash
# Attaching and detaching while threads are created and destroyed all the
# time: the short-lived threads born during the attach or the detach are
# traced or released like the others; none is left traced, stopped or
# killed, and the program's checks all pass.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

build_prog attach-worker
start_worker -t 3 -c
for i in $(seq 1 10); do
	echo "cycle $i"
	attach "$TMPD/p$i.db"
	send_usr1 "$WPID"
	sleep 0.$((i % 3))
	kill -INT "$NPID"
	detached_ok
	check_profile "$TMPD/p$i.db" 3
	((FAILED)) && break
done
assert_eq "short-lived threads seen by the last profile" 1 \
	"$(sql "$TMPD/p10.db" "SELECT count(*) > 4 FROM threads")"
stop_worker 3
