#!/bin/bash
# An allocator in a library loaded with dlopen (its own malloc and free,
# called by the library): every call counted, with the library's frames.
. "$(dirname "$0")/lib.sh"

lib=$TMPD/libdl-allocator.so
cc -O0 -g -fPIC -shared -Wl,-Bsymbolic -o "$lib" "$PROGS/dl-allocator.c" ||
	fail "cannot build the library"
build_prog dl-allocator-main -ldl
n=5000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && n=200

"$TMPD/dl-allocator-main" "$lib" $n >"$TMPD/native"
profile_ok "$TMPD/p.db" -- "$TMPD/dl-allocator-main" "$lib" $n >"$TMPD/out"
assert_diff "output" "$TMPD/native" "$TMPD/out"
assert_eq "pool_work's allocations|frees" "$n|$n" \
	"$(sql "$TMPD/p.db" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
			     JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			     WHERE f.function = 'pool_work'")"
