#!/bin/bash
# jemalloc built with a prefix (je_malloc, _rjem_mallocx): its functions
# are intercepted under those names, every call counted against the
# program's own count, the large blocks' rows named by their function.
. "$(dirname "$0")/lib.sh"

build_prog prefixed-jemalloc
rounds=2000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && rounds=200

counted_run prefixed-jemalloc prefixed_calls "$rounds"
assert_eq "rows of the large blocks (allocator|size|count|freed)" \
	"malloc|1048576|$((rounds / 100))|$((rounds / 100))
mallocx|65536|$rounds|$rounds
rallocx|65600|$rounds|$rounds" \
	"$(sql "$TMPD/p.db" "SELECT name, size, count(*), sum(free_ns >= alloc_ns) FROM objects
			      WHERE kind = 'heap' AND size >= 65536 GROUP BY name, size ORDER BY name")"
