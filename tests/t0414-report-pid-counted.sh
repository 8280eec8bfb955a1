#!/bin/bash
# report --pid shows a process's own call sites from callsite_totals, the
# blocks without rows (under --min-object-size) too: two fork children
# that each make 500 small blocks show 500 at their site, not "none"; the
# whole profile shows the 1,000.  The folded stacks of --pid weigh the
# process's bytes alike.
. "$(dirname "$0")/lib.sh"

build_prog count-storm
# profile_default DB ARGS: count-storm ARGS profiled at the default
# --min-object-size (lib.sh's profile gives every block a row).
profile_default() {
	local db=$1; shift
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" -o "$db" \
		-- "$TMPD/count-storm" "$@" >/dev/null || fail "numamma profile exited $?"
}
profile_default "$TMPD/p.db" fork 2 500
child=$(sql "$TMPD/p.db" "SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1 OFFSET 1")
[[ -n $child ]] || fail "no child process in the profile"
line=$(grep -n 'sink = malloc(100 + i % 1000);' "$PROGS/count-storm.c" | cut -d: -f1)
site() { grep ",child_alloc (count-storm.c:$line)\$" "$1" | cut -d, -f2; }
"$NUMAMMA" report -f csv --section callsites --pid "$child" "$TMPD/p.db" >"$TMPD/child" ||
	fail "report --pid exited $?"
assert_eq "a child's own small blocks, with --pid" 500 "$(site "$TMPD/child")"
"$NUMAMMA" report -f csv --section callsites "$TMPD/p.db" >"$TMPD/all" || fail "report exited $?"
assert_eq "both children's, without" 1000 "$(site "$TMPD/all")"
bytes=$(sql "$TMPD/p.db" "SELECT bytes FROM callsite_totals WHERE pid = $child AND allocations = 500")
assert_eq "folded stacks of the child: its bytes" "$bytes" \
	"$("$NUMAMMA" report -f collapsed --pid "$child" "$TMPD/p.db" | awk '/;child_alloc;/ { print $NF }')"

# A child whose frees of inherited blocks gave it rows of frees alone at
# their site did not allocate there: its copies (the large blocks have
# rows) are no allocations of the site.
profile_default "$TMPD/i.db" inherit 1 300
"$NUMAMMA" report -f csv --section callsites "$TMPD/i.db" >"$TMPD/iall" || fail "report exited $?"
assert_eq "inherit_alloc: the parent's 300 calls, not its child's copies" 300 \
	"$(awk -F, '/inherit_alloc/ { n += $2 } END { print n }' "$TMPD/iall")"
