#!/bin/bash
# A statically linked program: no dynamic loader, malloc inside the
# executable itself.  The allocations are found all the same.
. "$(dirname "$0")/lib.sh"

[[ -f $(cc -print-file-name=libc.a) ]] ||
	skip "cannot link statically: libc.a missing (apt-get install libc6-dev)"
build_prog alloc-threads -static
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/alloc-threads" >"$TMPD/out"
assert_eq "program output" "done 400" "$(cat "$TMPD/out")"
check_alloc_threads "$db"
