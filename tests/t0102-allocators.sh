#!/bin/bash
# Every allocator: malloc, calloc, realloc (grow, shrink, NULL, 0),
# reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
# anonymous mmap, mremap, munmap.  Each call is one object with the
# allocator's name, the requested size and the returned address; free and
# munmap set free_ns, what is never freed keeps free_ns NULL, a file
# mapping is no object.
. "$(dirname "$0")/lib.sh"

build_prog alloc-all
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/alloc-all" >"$TMPD/printed"

# glibc may define memalign as an alias of aligned_alloc (same address):
# then the breakpoint cannot tell which name was called and either is right.
expected_memalign=memalign
if command -v nm >/dev/null; then
	libc=$(ldd "$TMPD/alloc-all" | awk '/libc\.so/ { print $3 }')
	addr() { nm -D "$libc" | awk -v s="$1" '$3 ~ "^"s"@@" { print $1 }'; }
	[[ -n $libc && $(addr memalign) == "$(addr aligned_alloc)" ]] &&
		expected_memalign=aligned_alloc
fi
sed "s/^memalign|/$expected_memalign|/" "$TMPD/printed" | sort >"$TMPD/expected"

sql "$db" "SELECT o.name, o.size, o.address,
		  CASE WHEN o.free_ns IS NULL THEN 'live'
		       WHEN o.free_ns >= o.alloc_ns THEN 'freed'
		       ELSE 'freed before allocated' END
	   FROM objects o
	   JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
	   WHERE o.kind IN ('heap', 'mmap')
	     AND f.function IN ('main', 'realloc_cases', 'aligned_cases', 'mmap_cases')" |
	sort >"$TMPD/actual"
assert_diff "objects (name|size|address|fate)" "$TMPD/expected" "$TMPD/actual"

