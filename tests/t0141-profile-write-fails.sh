#!/bin/bash
# A profile that can no longer be written (here the disk is full) never
# harms the program: numamma says once that the profile is incomplete and
# why, lets the program go untraced, and mirrors its own exit status.
# What was committed stays readable, marked unfinished (runs.end_ns NULL).
. "$(dirname "$0")/lib.sh"

((EUID == 0)) || skip "needs root to mount a small tmpfs"
mkdir "$TMPD/small"
mount -t tmpfs -o size=256k tmpfs "$TMPD/small" 2>/dev/null || skip "cannot mount a tmpfs here"
at_exit 'umount "$TMPD/small"'

prog=(sh -c 'for i in $(seq 40); do ls / >/dev/null; sleep 0.05; done; echo done; exit 5')
status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -s none -o "$TMPD/small/p.db" -- "${prog[@]}" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "the program's exit status" 5 "$status"
assert_eq "the program's output" done "$(cat "$TMPD/out")"
assert_eq "one line says the profile is incomplete and why" \
	"numamma: warning: profile: cannot write '$TMPD/small/p.db': database or disk is full: the profile is incomplete; the program runs on untraced" \
	"$(cat "$TMPD/err")"
assert_eq "the partial profile reads, marked unfinished" "1|" \
	"$(sql "$TMPD/small/p.db" "SELECT count(*), max(end_ns) FROM runs")"
(($(sql "$TMPD/small/p.db" "SELECT count(*) FROM objects") > 0)) || fail "nothing committed was kept"
