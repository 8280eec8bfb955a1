#!/bin/bash
# When the system refuses what numamma needs (seccomp here, as a container
# or a hardened kernel would): one actionable line, exit 125, and no
# database written nor an existing one moved.
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
