#!/bin/bash
# The tracer itself killed with SIGKILL while attached to a program that
# allocates from 4 threads all the time (5 times): with the agent, the
# program finishes correctly.  Its allocator hooks stay and pass calls
# through once numamma's heartbeat stops; the watchdog puts back the
# loader's and exit's breakpoints.  (With traps the program usually dies:
# see ATTACH MODE in man/numamma.1.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && skip "the trap path does not survive its tracer's SIGKILL"
build_prog attach-worker
start_worker -t 4
for i in $(seq 1 5); do
	attach "$TMPD/p$i.db"
	tracer=$(tracer_of "$WPID")
	if [[ $tracer == "$FRONT" ]]; then
		kill -INT "$NPID"; wait "$NPID"; touch "$TMPD/stop"; wait "$WPID"
		skip "the tracer is numamma's first process: no watchdog (see include/watchdog.h)"
	fi
	sleep 0.2
	send_usr1 "$WPID"
	kill -KILL "$tracer"
	{ wait "$NPID"; } 2>/dev/null
	wait_for "every thread of $WPID to be untraced" every_thread_untraced "$WPID"
	wait_for "every thread of $WPID to run" no_thread_stopped "$WPID"
	sleep 0.2
	send_usr1 "$WPID"
	kill -0 "$WPID" || fail "the program died at cycle $i"
done
stop_worker 4
