#!/bin/bash
# A statically linked program: no dynamic loader, malloc inside the
# executable itself.  The allocations are found all the same, with their
# whole stacks: a static link has no .eh_frame_hdr, and the agent searches
# the table numamma builds of the program's FDEs instead.
. "$(dirname "$0")/lib.sh"

[[ -f $(cc -print-file-name=libc.a) ]] ||
	skip "cannot link statically: libc.a missing (apt-get install libc6-dev)"
build_prog alloc-threads -static
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/alloc-threads" >"$TMPD/out"
assert_eq "program output" "done 400" "$(cat "$TMPD/out")"
check_alloc_threads "$db"
if [[ ${NUMAMMA_INTERCEPT:-auto} != trap ]]; then
	assert_eq "intercepted by the agent" "agent" "$(sql "$db" "SELECT intercept FROM runs")"
	# Each worker's blocks: allocator wrapper, worker, then the thread's start.
	assert_eq "stacks past their first frame" "400" \
		"$(sql "$db" "SELECT count(*) FROM objects o
			      JOIN frames f1 ON f1.callsite_id = o.callsite_id AND f1.depth = 1
			      JOIN frames f2 ON f2.callsite_id = o.callsite_id AND f2.depth = 2
			      WHERE o.kind = 'heap' AND f1.function = 'worker'
				AND f2.function = 'start_thread'")"
fi

# The same program stripped of its symbol table: numamma finds no malloc
# in it, says so once, and the program runs as alone.
cp "$TMPD/alloc-threads" "$TMPD/stripped"
strip "$TMPD/stripped"
profile_ok "$TMPD/s.db" -- "$TMPD/stripped" >"$TMPD/out" 2>"$TMPD/err"
assert_eq "stripped program's output" "done 400" "$(cat "$TMPD/out")"
assert_eq "the warning, once" \
	"1 numamma: warning: $TMPD/stripped: statically linked, no malloc found in it (its symbol table stripped): its heap blocks are not recorded" \
	"$(grep -c "no malloc found" "$TMPD/err") $(grep "no malloc found" "$TMPD/err")"
