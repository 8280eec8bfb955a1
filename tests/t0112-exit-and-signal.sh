#!/bin/bash
# numamma exits with the program's exit status, and dies of the signal
# that killed the program (so a shell sees 128 + signal), from the main
# thread or another one; the profile records which.
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
