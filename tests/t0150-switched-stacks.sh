#!/bin/bash
# Code that runs on a stack its thread switched to (by hand, as runtimes
# do; a ucontext fiber) runs as alone under numamma: the agent's walk
# reads no word past the stack's mapping (built with -O1, main's unwind
# data, which knows nothing of the switch, led the walk off the end of
# the new stack: the program died of SIGSEGV), and on a stack that is not
# its thread's own, reads past its first page only the pages the kernel
# says are readable.  The stacks of the blocks made there are whole: as
# far as the caller that switched (main), through the fiber's pages.  A
# recursion of main's past the mapping its stack had at the exec is on
# its own stack: its walks ask the kernel nothing.
. "$(dirname "$0")/lib.sh"

build_prog switch-stack -O1
"$TMPD/switch-stack" >"$TMPD/native" 2>&1 || fail "switch-stack exited $? natively"
timeout "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" -o "$TMPD/p.db" \
	-- "$TMPD/switch-stack" >"$TMPD/out" 2>"$TMPD/err"
assert_eq "the program's status" 0 "$?"
assert_diff "the program's output" "$TMPD/native" "$TMPD/out"
assert_eq "numamma's messages" "" "$(cat "$TMPD/err")"

# frames MIB DEPTH [DB]: the functions of the MIB MiB block's stack,
# frames 0 to DEPTH (past them, libc's fiber start, named only with its
# debug info).
frames() {
	sql "${3:-$TMPD/p.db}" "SELECT group_concat(l.function, ' ') FROM (SELECT l.function FROM objects o
		JOIN callsite_frames f ON f.callsite_id = o.callsite_id
		JOIN locations l ON l.id = f.location_id
		WHERE o.kind = 'heap' AND o.size = $1 << 20 AND f.depth <= $2 ORDER BY f.depth) l"
}
assert_eq "the block made on the stack switched by hand" "block on_new_stack main" "$(frames 3 2)"
assert_eq "the fiber's block" "block in_fiber" "$(frames 2 1)"
assert_eq "the fiber's block, its frames over several pages" \
	"block descend descend descend descend descend descend in_fiber" "$(frames 5 7)"

# asked ARGS...: the stack pages the agent asked the kernel about (-v).
asked() {
	"$NUMAMMA" profile -v -s none -o "$TMPD/v.db" -- "$TMPD/switch-stack" "$@" 2>&1 >/dev/null |
		sed -n 's/.* \([0-9]*\) stack pages asked of the kernel$/\1/p' | tail -1
}
if [[ ${NUMAMMA_INTERCEPT-agent} != trap ]]; then
	pages=$(asked)
	[[ -n $pages && $pages -gt 0 ]] || fail "no page of the fiber's asked of the kernel: '$pages'"
	assert_eq "the pages asked, main's deep recursion" 0 "$(asked deep)"
	assert_eq "main's deep recursion's block" "block descend descend" "$(frames 4 2 "$TMPD/v.db")"
fi
