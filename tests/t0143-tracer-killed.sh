#!/bin/bash
# numamma's tracer killed (SIGKILL, the OOM killer) while it profiles a
# launched program: the watchdog (the front process) puts back every trap
# byte and return address, adopts the program as its subreaper, and exits
# as the program does.  The program here is between allocator calls at
# the kill (a thread stopped at one of our traps at that instant cannot
# be saved: see WATCHDOG in the man page); it allocates again afterwards,
# which an int3 left behind would turn into a SIGTRAP.
. "$(dirname "$0")/lib.sh"

prog=(sh -c 'x=1; sleep 1.5; for i in 1 2 3; do x="$x$i"; done; ls / >/dev/null; echo "after $x"; exit 7')
"$NUMAMMA" profile -q -s none -o "$TMPD/p.db" -- "${prog[@]}" \
	>"$TMPD/out" 2>"$TMPD/err" &
front=$!
for ((i = 0; i < 50; i++)); do
	tracer=$(pgrep -P $front -x numamma) && break
	sleep 0.05
done
[[ -n $tracer ]] || fail "no tracer process under numamma's front process"
sleep 0.7
kill -KILL "$tracer"
status=0
wait $front || status=$?
assert_eq "the program's exit status" 7 "$status"
assert_eq "the program's output" "after 1123" "$(cat "$TMPD/out")"
grep -q "^numamma: the tracer died (Killed): put back [1-9][0-9]* of its trap bytes" "$TMPD/err" ||
	fail "no repair said: $(cat "$TMPD/err")"
