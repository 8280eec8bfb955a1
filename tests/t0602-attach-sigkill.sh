#!/bin/bash
# numamma killed with SIGKILL while attached (5 times): the program goes
# on untouched.  The process the user started is a watchdog; its tracer
# child is told of its death and detaches cleanly, completing the profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

build_prog attach-worker
start_worker -t 4 -c
for i in $(seq 1 5); do
	echo "cycle $i"
	attach "$TMPD/p$i.db"
	tracer=$(tracer_of "$WPID")
	if [[ $tracer == "$FRONT" ]]; then
		kill -INT "$NPID"; wait "$NPID"; touch "$TMPD/stop"; wait "$WPID"
		skip "the tracer is numamma's first process: no watchdog (see include/watchdog.h)"
	fi
	send_usr1 "$WPID"
	kill -KILL "$FRONT"
	{ wait "$NPID"; } 2>/dev/null
	wait_for "the tracer $tracer to finish" eval "! kill -0 $tracer 2>/dev/null"
	wait_for "every thread of $WPID to be untraced" every_thread_untraced "$WPID"
	wait_for "every thread of $WPID to run" no_thread_stopped "$WPID"
	send_usr1 "$WPID"
	check_profile "$TMPD/p$i.db" 4
	((FAILED)) && break
done
stop_worker 4
