#!/bin/bash
# A program that sandboxes itself with a seccomp filter killing it at
# system calls it never makes (gettid, clock_gettime: glibc reads the
# clock from the vDSO), then allocates from a new thread, a fork child and
# an exec'd child, runs under numamma as alone: numamma's agent makes
# none of those calls, and every part's 2 MiB block is recorded under its
# own process and thread.
. "$(dirname "$0")/lib.sh"

build_prog sandboxed
deny=(gettid clock_gettime)
"$TMPD/sandboxed" "${deny[@]}" >"$TMPD/native" 2>&1 || fail "natively: exit $?: $(cat "$TMPD/native")"
timeout "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q "${INTERCEPT_OPT[@]}" -o "$TMPD/p.db" \
	-- "$TMPD/sandboxed" "${deny[@]}" >"$TMPD/out" 2>"$TMPD/err" ||
	fail "numamma profile exited $?: $(tail -3 "$TMPD/err")"
assert_diff "the sandboxed program's output" "$TMPD/native" "$TMPD/out"
assert_eq "numamma's messages" "" "$(cat "$TMPD/err")"

main=$(sql "$TMPD/p.db" "SELECT min(pid) FROM processes")
# The thread's block: under a thread of the main process, not the main one.
assert_eq "the thread's block, by a second thread of the main process" 1 \
	"$(sql "$TMPD/p.db" "SELECT count(*) FROM objects o JOIN threads t ON t.tid = o.tid
			     AND t.pid = o.pid WHERE o.kind = 'heap' AND o.size = 2097152
			     AND o.pid = $main AND o.tid != $main")"
# The children's: each its own process's, by its main thread.
assert_eq "the children's blocks, each by its own process" 2 \
	"$(sql "$TMPD/p.db" "SELECT count(*) FROM objects o JOIN processes p ON p.pid = o.pid
			     WHERE o.kind = 'heap' AND o.size = 2097152 AND p.ppid = $main
			     AND o.tid = o.pid")"
