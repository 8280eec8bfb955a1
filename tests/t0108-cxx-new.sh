#!/bin/bash
# C++ new/delete: the allocation's depth-0 frame is the user's function
# that said new, not operator new inside libstdc++; delete frees it.
. "$(dirname "$0")/lib.sh"

command -v g++ >/dev/null || skip "g++ not installed"
g++ -O0 -g -o "$TMPD/cxx-new" "$PROGS/cxx-new.cc" || fail "cannot compile cxx-new.cc"
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/cxx-new" >"$TMPD/out"
assert_eq "program output" 1 "$(cat "$TMPD/out")"

assert_eq "new'd objects (size|depth-0 function|depth-1 function|fate)" \
	"$(printf '48|make_widget|main|freed\n4000|make_array|main|freed')" \
	"$(sql "$db" "SELECT o.size, f0.function, f1.function,
			     CASE WHEN o.free_ns >= o.alloc_ns THEN 'freed' ELSE 'live' END
		      FROM objects o
		      JOIN frames f0 ON f0.callsite_id = o.callsite_id AND f0.depth = 0
		      JOIN frames f1 ON f1.callsite_id = o.callsite_id AND f1.depth = 1
		      WHERE o.kind = 'heap' AND o.size IN (48, 4000)
		      ORDER BY o.size")"
