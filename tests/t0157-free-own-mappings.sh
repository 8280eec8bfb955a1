#!/bin/bash
# The mappings an allocator's free makes itself are its own business, as
# those of malloc are: glibc's free, a thread's first call, sets up the
# thread's arena (a 64 MiB heap, which showed as the program's mapping,
# live to its end), and unmaps a large block.  The program's own mapping,
# made right after the free from the same frame, is still recorded.
. "$(dirname "$0")/lib.sh"

build_prog free-arena
profile_ok "$TMPD/p.db" -- "$TMPD/free-arena" >"$TMPD/out"
assert_eq "output" "3 threads" "$(cat "$TMPD/out")"
assert_eq "mappings of the threads (size|function|count)" "3145728|own_map|3" \
	"$(sql "$TMPD/p.db" "SELECT o.size, f.function, count(*) FROM objects o
			      JOIN threads t ON t.tid = o.tid AND t.rank > 0
			      JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			      WHERE o.kind = 'mmap' GROUP BY 1, 2")"
assert_eq "mmap calls counted at the threads' sites" "3" \
	"$(sql "$TMPD/p.db" "SELECT sum(c.allocations) FROM callsite_totals c
			      JOIN frames f ON f.callsite_id = c.callsite_id AND f.depth = 0
			      WHERE f.function IN ('work', 'own_map') AND c.callsite_id IN
				(SELECT callsite_id FROM objects WHERE kind = 'mmap')")"
assert_eq "the 4 MiB blocks, freed" "3|3" \
	"$(sql "$TMPD/p.db" "SELECT count(*), sum(free_ns IS NOT NULL) FROM objects
			      WHERE kind = 'heap' AND size = 4194304")"
