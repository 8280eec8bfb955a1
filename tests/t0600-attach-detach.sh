#!/bin/bash
# numamma profile -p attaches to a running self-checking program and
# detaches from it 20 times in a row, stopping by turns on SIGINT,
# SIGTERM, SIGHUP and --duration, while SIGUSR1s are sent to it.  The
# program sees nothing: it counts every signal, every check of its data
# passes, it exits 0; no thread is left traced or stopped; every profile
# lists its threads, stacks and heap objects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

build_prog attach-worker
start_worker -t 4
for i in $(seq 1 20); do
	db=$TMPD/p$i.db
	echo "cycle $i"
	case $((i % 4)) in
	0) attach "$db" --duration 0.5 ;;
	*) attach "$db" ;;
	esac
	send_usr1 "$WPID"
	send_usr1 "$WPID"
	case $((i % 4)) in
	1) kill -INT "$NPID" ;;
	2) kill -TERM "$NPID" ;;
	3) kill -HUP "$NPID" ;;
	esac
	detached_ok
	send_usr1 "$WPID"
	check_profile "$db" 4
	((FAILED)) && break
done
stop_worker 4
