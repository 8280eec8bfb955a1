#!/bin/bash
# The call-site table counts calls: a fork child's copies of its parent's
# block are not allocations of the site (the child never called it), nor
# live at its end.  One 4 MiB mapping, inherited by three children that
# exit holding it, freed by the parent: 1 allocation, 4.0 MiB, 0 B live
# (12 MiB live were said when the copies counted).  With --pid, a child's
# own objects all count, its copy included.  The pagefault sampler: a
# child's copies get rows once a sample of the child looks them up.
# Without a sampler they get none, unless the child unmaps its copy
# (doc/schema.md, objects).  Its maps read while it holds the block, the
# block's region is no mapping of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

build_prog fork-copies
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s pagefault "${INTERCEPT_OPT[@]}" \
	-o "$TMPD/p.db" -- "$TMPD/fork-copies" || fail "numamma profile exited $?"
line=$(grep -n "block = mmap" "$PROGS/fork-copies.c" | cut -d: -f1)
copies=$(sql "$TMPD/p.db" "SELECT count(*) FROM objects WHERE size = 4194304")
((copies == 4)) || fail "want the block and 3 copies as objects, got $copies"
"$NUMAMMA" report -f csv --section callsites "$TMPD/p.db" >"$TMPD/sites" || fail "report exited $?"
row=$(grep ",main (fork-copies.c:$line)\$" "$TMPD/sites")
[[ -n $row ]] || fail "no row for the block's call site: $(cat "$TMPD/sites")"
assert_eq "the block's site: count,total,max,peak,live" "1,4194304,4194304,4194304,0" \
	"$(cut -d, -f2-6 <<<"$row")"
# Maps read while the block lives (every 0.2 s with a sampler): a region
# its block explains is no second object (it was, as a mapping: 8 rows).
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s pagefault "${INTERCEPT_OPT[@]}" \
	-o "$TMPD/linger.db" -- "$TMPD/fork-copies" linger || fail "numamma profile (linger) exited $?"
assert_eq "maps read meanwhile: the block and 3 copies, by kind" "mmap|4" \
	"$(sql "$TMPD/linger.db" "SELECT kind, count(*) FROM objects WHERE size = 4194304 GROUP BY kind")"
child=$(sql "$TMPD/p.db" "SELECT pid FROM objects WHERE size = 4194304 AND pid <> (SELECT min(pid) FROM processes) LIMIT 1")
"$NUMAMMA" report -f csv --section callsites --pid "$child" "$TMPD/p.db" >"$TMPD/child" ||
	fail "report --pid exited $?"
assert_eq "a child's copy, with --pid" "1,4194304,4194304,4194304,4194304" \
	"$(grep ",main (fork-copies.c:$line)\$" "$TMPD/child" | cut -d, -f2-6)"

# No sampler: the children only read their copies, which get no rows...
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
	-o "$TMPD/none.db" -- "$TMPD/fork-copies" || fail "numamma profile -s none exited $?"
assert_eq "-s none: the block's rows" "1" \
	"$(sql "$TMPD/none.db" "SELECT count(*) FROM objects WHERE size = 4194304")"
# ...unless each unmaps its copy: 3 copies, each ended by its child.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
	-o "$TMPD/unmap.db" -- "$TMPD/fork-copies" unmap || fail "numamma profile (unmap) exited $?"
assert_eq "-s none, copies unmapped: rows, ended, processes" "4|4|4" \
	"$(sql "$TMPD/unmap.db" "SELECT count(*), count(free_ns), count(DISTINCT pid) FROM objects WHERE size = 4194304")"
