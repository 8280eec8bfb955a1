#!/bin/bash
# When the system refuses what numamma needs (seccomp here, as a container
# or a hardened kernel would; a tracer above that follows children): one
# actionable line, exit 125, and no database written nor an existing one
# moved.
. "$(dirname "$0")/lib.sh"

cc -O2 -o "$TMPD/deny" "$PROGS/deny-syscall.c" || fail "cannot build deny-syscall"
db=$TMPD/p.db
echo "an existing file" >"$db"

refused() {   # WHAT PATTERN ARGS...
	local what=$1 pattern=$2 status=0; shift 2
	"$TMPD/deny" "$@" >"$TMPD/out" 2>"$TMPD/err" || status=$?
	assert_eq "$what: exit status" 125 "$status"
	grep -q "$pattern" "$TMPD/err" || { echo "FAIL: $what: stderr was: $(cat "$TMPD/err")" >&2; FAILED=1; }
	assert_eq "$what: existing file untouched" "an existing file" "$(cat "$db")"
	[[ -e $db.old ]] && { echo "FAIL: $what: $db.old was made" >&2; FAILED=1; }
}

refused "perf_event_open denied, sampler asked for" \
	"^numamma: sampler pagefault: .*Permission denied.*perf_event_paranoid" \
	perf_event_open 13 -- "$NUMAMMA" profile -s pagefault -o "$db" -- /bin/true
refused "ptrace denied" "^numamma: cannot trace the program: Operation not permitted" \
	ptrace 1 -- "$NUMAMMA" profile -s none -o "$db" -- /bin/true
grep -q "^numamma: hint: .*CAP_SYS_PTRACE" "$TMPD/err" || fail "no ptrace hint: $(cat "$TMPD/err")"

# With the default sampler, no sampler at all is a warning: objects are
# still recorded, and the program runs.
"$TMPD/deny" perf_event_open 13 -- "$NUMAMMA" profile -q -o "$TMPD/auto.db" -- /bin/echo hi >"$TMPD/out" 2>"$TMPD/err" ||
	fail "auto without any sampler failed: $(cat "$TMPD/err")"
assert_eq "output" "hi" "$(cat "$TMPD/out")"
grep -q "^numamma: warning: sampler: none works here, recording objects only" "$TMPD/err" ||
	fail "no warning: $(cat "$TMPD/err")"
assert_eq "runs.sampler" "none" "$(sql "$TMPD/auto.db" "SELECT sampler FROM runs")"

# numamma under a tracer that follows children (strace -f here, as gdb
# would): its program is that tracer's already; the hint names it and
# says what to change.  Under another numamma it works: the outer lets
# the program go as the inner asks to trace it (t0161), and with
# --no-follow the outer never had it.
if command -v strace >/dev/null; then
	status=0
	strace -f -qq -o /dev/null "$NUMAMMA" profile -q -s none -o "$TMPD/inner.db" -- /bin/echo hi \
		>"$TMPD/out" 2>"$TMPD/err" || status=$?
	assert_eq "numamma under strace -f: exit status" 125 "$status"
	grep -q "^numamma: hint: process [0-9]* is traced by process [0-9]* (strace), which follows its children: run that one so that it does not (numamma --no-follow, strace without -f)$" \
		"$TMPD/err" || fail "no hint naming the tracer above: $(cat "$TMPD/err")"
fi
"$NUMAMMA" profile -q -s none -o "$TMPD/outer.db" -- \
	"$NUMAMMA" profile -q -s none -o "$TMPD/inner.db" -- /bin/echo hi >"$TMPD/out" 2>"$TMPD/err" ||
	fail "numamma under numamma exited $?: $(cat "$TMPD/err")"
assert_eq "numamma under numamma: output" "hi" "$(cat "$TMPD/out")"
assert_eq "numamma under numamma: the inner profile's program" "1" \
	"$(sql "$TMPD/inner.db" "SELECT exe LIKE '%/echo' FROM processes")"
"$NUMAMMA" profile -q -s none --no-follow -o "$TMPD/outer.db" -- \
	"$NUMAMMA" profile -q -s none -o "$TMPD/inner.db" -- /bin/echo hi >"$TMPD/out" 2>"$TMPD/err" ||
	fail "numamma under numamma --no-follow exited $?: $(cat "$TMPD/err")"
assert_eq "numamma under numamma --no-follow: output" "hi" "$(cat "$TMPD/out")"
