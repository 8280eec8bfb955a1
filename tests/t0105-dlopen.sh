#!/bin/bash
# dlopen: a library's constructor and its functions allocate; both
# allocations are recorded with a depth-0 frame in the library (its module,
# function and source file), even though it is dlclosed before the end.
# After the dlclose, stacks are whole again (the agent stops reading
# modules' unwind data while the loader unmaps one, then goes on).
. "$(dirname "$0")/lib.sh"

lib=$TMPD/libdl-lib.so
cc -O0 -g -fPIC -shared -o "$lib" "$PROGS/dl-lib.c" || fail "cannot build the library"
build_prog dlopen-main -ldl

db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/dlopen-main" "$lib" >"$TMPD/out"
assert_eq "output" "lib_alloc returned memory" "$(cat "$TMPD/out")"

buildid=$(readelf -n "$lib" 2>/dev/null | awk '/Build ID/ { print $3 }')
module=${buildid:+buildid:$buildid}
module=${module:-$lib}

assert_eq "library allocations (size|allocator|module|function|file)" \
	"$(printf '5555|malloc|%s|lib_ctor|dl-lib.c\n6666|malloc|%s|lib_alloc|dl-lib.c' "$module" "$module")" \
	"$(sql "$db" "SELECT o.size, o.name, f.module, f.function,
			     $(sql_basename f.file)
		      FROM objects o
		      JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
		      WHERE o.kind = 'heap' AND o.size IN (5555, 6666)
		      ORDER BY o.size")"
assert_eq "the library in modules" "$lib" \
	"$(sql "$db" "SELECT path FROM modules WHERE module = '$module'")"
assert_eq "frames of the allocation after dlclose, beyond main's" 1 \
	"$(sql "$db" "SELECT count(*) > 1 FROM objects o JOIN frames f ON f.callsite_id = o.callsite_id
		      WHERE o.size = 7777")"
