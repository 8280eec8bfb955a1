#!/bin/bash
# C++'s operators with an allocator library preloaded: jemalloc, tcmalloc
# and mimalloc define operator new and delete themselves, without calling
# malloc, so a C++ program's blocks were not seen at all.  Every form is
# counted against the program's own count, the large block has its row
# and stack, and a bad_alloc thrown by the library's new reaches the
# program's handler as it does alone (the agent runs the nothrow form in
# its place: an exception cannot unwind through the agent's frame).
# glibc alone (no library preloaded) counts the same through malloc.
. "$(dirname "$0")/lib.sh"

command -v g++ >/dev/null || skip "g++ not installed"
g++ -O0 -g -o "$TMPD/cxx-operators" "$PROGS/cxx-operators.cc" ||
	fail "cannot compile cxx-operators.cc"
prog=$TMPD/cxx-operators

found=0 caught=0
for lib in glibc libjemalloc.so.2 libtcmalloc_minimal.so.4 libmimalloc.so.2; do
	path=
	if [[ $lib != glibc ]]; then
		path=$(library_path "$lib")
		[[ -n $path ]] || continue
		found=$((found + 1))
	fi
	# mimalloc aborts where the others throw: the status is compared.
	status=0
	env LD_PRELOAD="$path" "$prog" 500 >"$TMPD/native" 2>/dev/null || status=$?
	got=0
	profile "$TMPD/$lib.db" -- env LD_PRELOAD="$path" "$prog" 500 >"$TMPD/out" 2>/dev/null ||
		got=$?
	assert_eq "$lib: exit status" "$status" "$got"
	assert_diff "$lib: output" "$TMPD/native" "$TMPD/out"
	grep -q '^caught 2$' "$TMPD/out" && caught=$((caught + 1))
	read -r _ allocs _ frees <"$TMPD/out"
	assert_eq "$lib: allocations|frees counted" "$allocs|$frees" \
		"$(sql "$TMPD/$lib.db" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
					JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
					WHERE f.function IN ('cxx_alloc', 'make_big')")"
	name=$([[ $lib == glibc ]] && echo malloc || echo 'operator new')
	assert_eq "$lib: the large block (allocator|depth-0|depth-1)" "$name|make_big|main" \
		"$(sql "$TMPD/$lib.db" "SELECT o.name, f0.function, f1.function FROM objects o
			JOIN frames f0 ON f0.callsite_id = o.callsite_id AND f0.depth = 0
			JOIN frames f1 ON f1.callsite_id = o.callsite_id AND f1.depth = 1
			WHERE o.kind = 'heap' AND o.size = 1048576")"
done
((found)) || skip "none of jemalloc, tcmalloc, mimalloc is installed (apt-get install libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0)"
((caught > 1)) || fail "no preloaded library's bad_alloc was caught (glibc's only)"
echo "$found preloaded allocators' C++ operators counted, $caught bad_alloc caught"
