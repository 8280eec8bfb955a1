#!/bin/bash
# Attaching to a process whose main thread called pthread_exit (a zombie
# while the other threads run): not refused as a zombie, its live threads
# are traced through their own /proc entries, and it finishes untouched.
. "$(dirname "$0")/lib.sh"

build_prog main-exit
"$TMPD/main-exit" >"$TMPD/out" &
pid=$!
sleep 0.5
timeout -k 5 30 "$NUMAMMA" profile -q -s none --all-objects -d 1 -o "$TMPD/p.db" -p "$pid" 2>"$TMPD/err" ||
	fail "attach failed: $(cat "$TMPD/err")"
wait "$pid"
assert_eq "program status" 0 "$?"
assert_eq "program output" "worker done" "$(cat "$TMPD/out")"
n=$(sql "$TMPD/p.db" "SELECT count(*) FROM objects WHERE kind = 'heap' AND name = 'malloc'")
((n >= 5)) || fail "only $n heap objects recorded in 1 s of a malloc every 50 ms"
assert_eq "the worker thread recorded" 1 "$(sql "$TMPD/p.db" "SELECT count(*) FROM threads WHERE tid != pid")"
