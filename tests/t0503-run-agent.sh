#!/bin/bash
# numamma run records allocator calls with the agent, as profile does (it
# trapped every call: node's start, 450,000 calls, took 92 s instead of
# 0.1): a thread stops only after a call that made a block holding a whole
# page, which is placed then, before the call returns and the program
# touches it, and before a placed block is freed, for its pages to be
# checked while they are there.  The program asks each large block's
# memory policy right after the call: the policy's own under run, with the
# agent and with --intercept=trap alike; every freed block's pages checked.
. "$(dirname "$0")/lib.sh"

build_prog placed-at-return -O1
prog=$TMPD/placed-at-return
assert_eq "alone" "placed at return: 0 of 16" "$("$prog")"

# placed_rows DB: kind|function|blocks|blocks with every page checked
# present, of the program's large blocks.
placed_rows() {
	sql "$1" "SELECT o.kind, o.name, count(*), sum(p.present = p.pages) FROM placement p
		  JOIN objects o ON o.id = p.object_id WHERE o.size = 262144
		  GROUP BY 1, 2 ORDER BY 1, 2" | tr '\n' ' '
}
# A mapping's pages too, checked at its munmap (they were all absent,
# checked at the exit).
want="heap|calloc|2|2 heap|malloc|8|8 heap|posix_memalign|2|2 heap|realloc|2|2 mmap|mmap|2|2 "
for mode in auto trap; do
	status=0
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -q --intercept=$mode --interleave=all \
		-o "$TMPD/$mode.db" -- "$prog" >"$TMPD/out" || status=$?
	assert_eq "$mode: exit status" 0 "$status"
	assert_eq "$mode: output" "placed at return: 16 of 16" "$(cat "$TMPD/out")"
	assert_eq "$mode: placed blocks, their pages checked" "$want" "$(placed_rows "$TMPD/$mode.db")"
done
assert_eq "intercepted by" "agent trap" \
	"$(sql "$TMPD/auto.db" "SELECT intercept FROM runs") $(sql "$TMPD/trap.db" "SELECT intercept FROM runs")"
"$NUMAMMA" run --intercept=jit --interleave=all -- "$prog" 2>"$TMPD/err" && fail "an unknown --intercept ran"
grep -q "^numamma: run: unknown --intercept mode 'jit'" "$TMPD/err" || fail "no error line: $(cat "$TMPD/err")"
