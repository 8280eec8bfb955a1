#!/bin/bash
# 8 threads × 50 allocations of known sizes from known call sites: every
# allocation is recorded with its size, allocator, thread rank and depth-0
# function, and is freed.
. "$(dirname "$0")/lib.sh"

build_prog alloc-threads
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/alloc-threads" >"$TMPD/out"
assert_eq "program output" "done 400" "$(cat "$TMPD/out")"

check_alloc_threads "$db"
