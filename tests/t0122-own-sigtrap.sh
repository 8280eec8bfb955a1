#!/bin/bash
# SIGTRAPs that are the program's own (its int3s and icebps, raise(SIGTRAP)) reach
# its handler, next to numamma's breakpoints in malloc and free.
. "$(dirname "$0")/lib.sh"

build_prog own-trap
native=$("$TMPD/own-trap")
assert_eq "native" "traps 15" "$native"
profile_ok "$TMPD/p.db" -- "$TMPD/own-trap" >"$TMPD/out"
assert_eq "under numamma" "$native" "$(cat "$TMPD/out")"
assert_eq "its allocations recorded" 5 \
	"$(sql "$TMPD/p.db" "SELECT count(*) FROM objects WHERE kind = 'heap' AND size = 10")"
