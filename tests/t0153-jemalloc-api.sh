#!/bin/bash
# jemalloc's own API (mallocx, rallocx, xallocx, sdallocx, dallocx), the program
# linked against libjemalloc: every call counted against the program's own
# count, the 64 KiB blocks with their rows, the output as it is alone.
. "$(dirname "$0")/lib.sh"

lib=$(library_path libjemalloc.so.2)
[[ -n $lib ]] || skip "jemalloc is not installed (apt-get install libjemalloc2)"
build_prog jemalloc-api "$lib"
rounds=2000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && rounds=200

counted_run jemalloc-api jemalloc_calls "$rounds"
assert_eq "rows of the 64 KiB blocks, mallocx'd then xallocx'd (allocator|count|freed)" \
	"mallocx|$rounds|$rounds
xallocx|$rounds|$rounds" \
	"$(sql "$TMPD/p.db" "SELECT name, count(*), sum(free_ns >= alloc_ns) FROM objects
			      WHERE kind = 'heap' AND size >= 65536 AND name IN ('mallocx', 'xallocx')
			      GROUP BY name ORDER BY name")"
