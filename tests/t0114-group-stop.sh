#!/bin/bash
# Group stop: a program that stops itself with SIGSTOP or SIGTSTP stays
# stopped until someone sends SIGCONT (a child of its own, or the test),
# then goes on and finishes as natively.
. "$(dirname "$0")/lib.sh"

build_prog stop
db=$TMPD/p.db

for sig in 19 20; do	# SIGSTOP, SIGTSTP
	"$TMPD/stop" $sig child >"$TMPD/native" || fail "native run failed"
	profile_ok "$db" -- "$TMPD/stop" $sig child >"$TMPD/out"
	assert_diff "signal $sig, continued by a child" "$TMPD/native" "$TMPD/out"
done

# state PID: the process's state letter, from /proc/PID/stat.
state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null; }

for sig in 19 20; do
	: >"$TMPD/out"
	profile "$db" -- "$TMPD/stop" $sig self >"$TMPD/out" &
	numamma_pid=$!
	for ((i = 0; i < 100; i++)); do
		pid=$(head -n 1 "$TMPD/out")
		[[ -n $pid && $(state "$pid") == [Tt] ]] && break
		sleep 0.1
	done
	[[ $(state "$pid") == [Tt] ]] || fail "signal $sig: the program did not stop"
	sleep 0.5
	assert_eq "signal $sig: state half a second later" "1 line, stopped" \
		"$(wc -l <"$TMPD/out") line, $([[ $(state "$pid") == [Tt] ]] && echo stopped || echo running)"
	kill -CONT "$pid"
	status=0
	wait $numamma_pid || status=$?
	assert_eq "signal $sig: numamma's status" 0 $status
	assert_eq "signal $sig: output after SIGCONT" "resumed after signal $sig" \
		"$(tail -n +2 "$TMPD/out")"
	assert_eq "signal $sig: the allocation after the stop" 1 \
		"$(sql "$db" "SELECT count(*) FROM objects WHERE kind = 'heap' AND size = 999")"
done
