#!/bin/bash
# Attach and detach, 10 times, while the program takes a signal every
# 100 us whose handler makes a system call: the signals land during
# numamma's injected system calls (the agent's set-up), where a
# handler's own syscalls were once taken for the injected one's stops
# (an injected mmap "returned" the handler's rt_sigreturn, 9, without
# running).  Every attach gets the agent set up (or the trap path, under
# NUMAMMA_INTERCEPT=trap), every profile is whole, and the program sees
# nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

want=agent
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && want=trap
build_prog attach-worker
start_worker -t 4 -a 100
for i in $(seq 1 10); do
	db=$TMPD/p$i.db
	echo "cycle $i"
	attach "$db"
	kill -INT "$NPID"
	detached_ok
	check_profile "$db" 4
	assert_eq "cycle $i: intercepted by" "$want" "$(sql "$db" "SELECT intercept FROM runs")"
	((FAILED)) && break
done
stop_worker 4
grep -q "alarms" "$TMPD/worker.err" && tail -1 "$TMPD/worker.err"
