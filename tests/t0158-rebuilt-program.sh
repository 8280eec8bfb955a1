#!/bin/bash
# A program built again at the same path during one profile (a test
# compiled and run, then compiled and run again, a linker replacing its
# output): each run reads its own build, not the first one read at that
# path.  Read as the first, a second build smaller than it had the agent
# read unwind data where the first had it, past its own end: the program
# died of SIGSEGV.  The second build's calls are counted, and its large
# block has its row; each build's code is named by its own symbols.  A
# build copied over the first in place (`cp`, the same inode) is read
# anew too, and numamma reads no more of the first (it died of SIGBUS
# naming its symbols, past the smaller file's end).
. "$(dirname "$0")/lib.sh"

# The first build: 3,000 functions that allocate (much unwind data).
{
	echo '#include <stdio.h>'
	echo '#include <stdlib.h>'
	echo 'void *volatile keep;'
	for i in $(seq 3000); do
		echo "__attribute__((noinline)) int f$i(int x) { keep = malloc(x + $i); return x * $i; }"
	done
	echo 'int main(void) { int s = 0;'
	for i in $(seq 3000); do echo " s += f$i($((i % 7)));"; done
	echo ' printf("%d\n", s); return 0; }'
} >"$TMPD/first.c"
cat >"$TMPD/second.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
void *volatile keep;
__attribute__((noinline)) void second_build(void) { keep = malloc(3 << 20); }
int main(void) { second_build(); puts("second build"); return 5; }
EOF
cc -O1 -o "$TMPD/first" "$TMPD/first.c" || fail "cannot compile the first build"
cc -O1 -g -o "$TMPD/second" "$TMPD/second.c" || fail "cannot compile the second build"

# Each build put in place as a linker does: a new file at the path.
script="cd '$TMPD' && cp first prog && ./prog && cp second new && mv -f new prog && ./prog; echo \"status \$?\""
sh -c "$script" >"$TMPD/native" 2>&1
assert_eq "native output, its last lines" "$(printf 'second build\nstatus 5')" "$(tail -2 "$TMPD/native")"
profile_ok "$TMPD/p.db" -- sh -c "$script" >"$TMPD/out"
assert_diff "output and status under numamma" "$TMPD/native" "$TMPD/out"
second=$(sql "$TMPD/p.db" "SELECT pid FROM processes WHERE exit_status = 5")
assert_eq "the second build's process" 1 "$(echo "$second" | wc -w)"
assert_eq "the second build's calls counted (allocations)" 1 \
	"$(sql "$TMPD/p.db" "SELECT sum(allocations) FROM callsite_totals c
			     WHERE c.pid = $second AND c.bytes = $((3 << 20))")"
assert_eq "the second build's block has its row" 1 \
	"$(sql "$TMPD/p.db" "SELECT count(*) FROM objects WHERE pid = $second AND kind = 'heap'
			     AND size = $((3 << 20))")"
assert_eq "the second build's block, its function" second_build \
	"$(sql "$TMPD/p.db" "SELECT f.function FROM objects o JOIN frames f ON f.callsite_id = o.callsite_id
			     AND f.depth = 0 WHERE o.pid = $second AND o.size = $((3 << 20))")"
first=$(sql "$TMPD/p.db" "SELECT pid FROM processes WHERE exit_status = 0 AND exe LIKE '%/prog'")
assert_eq "the first build's 3,000 call sites, named" 3000 \
	"$(sql "$TMPD/p.db" "SELECT count(DISTINCT f.function) FROM callsite_totals c JOIN frames f
			     ON f.callsite_id = c.callsite_id AND f.depth = 0
			     WHERE c.pid = $first AND f.function GLOB 'f[0-9]*'")"

# In place: cp writes the second build over the first.
script="cd '$TMPD' && cp first inplace && ./inplace && cp second inplace && ./inplace; echo \"status \$?\""
sh -c "$script" >"$TMPD/native" 2>&1
profile_ok "$TMPD/q.db" -- sh -c "$script" >"$TMPD/out"
assert_diff "in place: output and status under numamma" "$TMPD/native" "$TMPD/out"
assert_eq "in place: the second build's block, its function" second_build \
	"$(sql "$TMPD/q.db" "SELECT f.function FROM objects o JOIN frames f ON f.callsite_id = o.callsite_id
			     AND f.depth = 0 WHERE o.size = $((3 << 20))")"
