#!/bin/bash
# A program that catches its own segfaults with a SIGSEGV handler and
# siglongjmps out behaves as natively: the faults reach its handler with
# the right address, and it finishes normally.
. "$(dirname "$0")/lib.sh"

build_prog segv-handler
"$TMPD/segv-handler" >"$TMPD/native" || fail "native run failed"
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/segv-handler" >"$TMPD/out"
assert_diff "output under numamma" "$TMPD/native" "$TMPD/out"
assert_eq "run exit status|signal" "0|" \
	"$(sql "$db" "SELECT exit_status, term_signal FROM runs")"
assert_eq "allocations between the faults" "100 101 102 " \
	"$(sql "$db" "SELECT o.size FROM objects o
		      JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
		      WHERE f.function = 'main' AND o.kind = 'heap' AND o.size < 1000
		      ORDER BY o.size" | tr '\n' ' ')"
