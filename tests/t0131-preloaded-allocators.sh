#!/bin/bash
# An allocator the user preloads in place of glibc's (jemalloc, tcmalloc,
# mimalloc: whichever is installed; make deps installs all three): the
# program never calls glibc's, so its calls are counted only if the
# agent hooked the preloaded malloc, calloc, realloc and free: every call
# of 4 threads, against the program's own count, with the program's
# output as it is alone.
. "$(dirname "$0")/lib.sh"

build_prog count-storm
prog=$TMPD/count-storm
iter=5000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && iter=200

found=0
for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4 libmimalloc.so.2; do
	path=$(library_path "$lib")
	[[ -n $path ]] || continue
	found=$((found + 1))
	# Only the program is preloaded (env starts it), not numamma.
	env LD_PRELOAD="$path" "$prog" threads 4 "$iter" >"$TMPD/native"
	profile_ok "$TMPD/$lib.db" -- env LD_PRELOAD="$path" "$prog" threads 4 "$iter" >"$TMPD/out"
	assert_diff "$lib: output" "$TMPD/native" "$TMPD/out"
	read -r _ allocs _ frees <"$TMPD/out"
	assert_eq "$lib: allocations|frees counted" "$allocs|$frees" \
		"$(sql "$TMPD/$lib.db" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
					JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
					WHERE f.function = 'storm_alloc'")"
	rm -f "$TMPD/$lib.db"
done
((found)) || skip "none of jemalloc, tcmalloc, mimalloc is installed (apt-get install libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0)"
echo "$found preloaded allocators counted"
