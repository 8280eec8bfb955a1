#!/bin/bash
# Programs that never resolve malloc lazily: linked with -z now (the GOT is
# filled before main) and compiled with -fno-plt (calls through the GOT, no
# PLT stub).  Their allocations are found all the same.
. "$(dirname "$0")/lib.sh"

for flags in -Wl,-z,now -fno-plt; do
	build_prog alloc-threads $flags
	db=$TMPD/p$flags.db
	profile_ok "$db" -- "$TMPD/alloc-threads" >"$TMPD/out"
	assert_eq "$flags: program output" "done 400" "$(cat "$TMPD/out")"
	check_alloc_threads "$db"
done
