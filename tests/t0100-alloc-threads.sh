#!/bin/bash
# 8 threads × 50 allocations of known sizes from known call sites: every
# allocation is recorded with its size, allocator, thread rank and depth-0
# function, and is freed.
. "$(dirname "$0")/lib.sh"

build_prog alloc-threads
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/alloc-threads" >"$TMPD/out"
assert_eq "program output" "done 400" "$(cat "$TMPD/out")"

# The threads: main is rank 0 (pid = tid), the workers 1..8 in creation order.
assert_eq "thread ranks" "$(seq 0 8 | tr '\n' ' ')" \
	"$(sql "$db" "SELECT rank FROM threads ORDER BY rank" | tr '\n' ' ')"
assert_eq "main thread rank" "0" \
	"$(sql "$db" "SELECT rank FROM threads WHERE tid = pid")"

# What the program allocates: worker rank r, step i, size 16 + r*1000 + i,
# calloc on odd steps, malloc on even ones.
for r in $(seq 1 8); do
	for i in $(seq 0 49); do
		if ((i % 2)); then f=calloc; else f=malloc; fi
		echo "$r|$((16 + r * 1000 + i))|$f|sizes_from_$f|freed"
	done
done >"$TMPD/expected"

sql "$db" "SELECT t.rank, o.size, o.name, f.function,
		  CASE WHEN o.free_ns >= o.alloc_ns THEN 'freed' ELSE 'live' END
	   FROM objects o
	   JOIN threads t ON t.pid = o.pid AND t.tid = o.tid
	   JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
	   WHERE o.kind = 'heap' AND f.function LIKE 'sizes_from_%'
	   ORDER BY t.rank, o.size" >"$TMPD/actual"
assert_diff "allocations (rank|size|allocator|function|freed)" \
	"$TMPD/expected" "$TMPD/actual"

# The depth-0 frames carry the source file from DWARF.
assert_eq "source file of the call sites" "alloc-threads.c" \
	"$(sql "$db" "SELECT DISTINCT replace(f.file, rtrim(f.file, replace(f.file, '/', '')), '')
		     FROM frames f WHERE f.depth = 0 AND f.function LIKE 'sizes_from_%'")"
