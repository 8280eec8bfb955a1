#!/bin/bash
# numamma exits with the program's exit status, and dies of the signal
# that killed the program (so a shell sees 128 + signal), from the main
# thread or another one; the profile records which.  The program's cpu
# time reaches numamma's parent as the program's own would (time(1)).
. "$(dirname "$0")/lib.sh"

build_prog die

# Each case: die's arguments, the status a shell sees, the run's
# "exit_status|term_signal".
while IFS=';' read -r args status row; do
	db=$TMPD/p.db
	rm -f "$db"
	got=0
	profile "$db" -- "$TMPD/die" $args 2>/dev/null || got=$?
	assert_eq "die $args: exit status of numamma" "$status" "$got"
	assert_eq "die $args: runs.exit_status|term_signal" "$row" \
		"$(sql "$db" "SELECT exit_status, term_signal FROM runs")"
done <<'END'
exit 42;42;42|
exit 0;0;0|
signal 6;134;|6
signal 9;137;|9
signal 15;143;|15
signal 6 thread;134;|6
signal 9 thread;137;|9
END

# A shell loop of about 0.3 s of cpu: numamma's parent is charged for it
# once numamma ends (every process between was reaped before its parent
# ended).  A watchdog that exited before reaping the tracer showed 0.00.
TIMEFORMAT=%U
user=$( { time profile "$TMPD/p.db" -- sh -c \
	'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done' >/dev/null 2>&1; } 2>&1 )
awk -v u="$user" 'BEGIN { exit !(u >= 0.1) }' ||
	assert_eq "user cpu seconds of numamma's tree at least 0.1" ">= 0.1" "$user"
