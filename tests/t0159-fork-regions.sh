#!/bin/bash
# Fork children and their agent regions: a fork child runs its parent's
# region (MAP_SHARED survives fork) until it maps the one numamma made
# ready at the fork, at its first call, without a stop; where it may not
# open numamma's memfd (a child that gave up root), numamma maps one at a
# stop.  Whatever the way (a child that allocates at once, one that forks
# or vforks before its first call, one that execs without a call):
# - the program runs as alone (output, statuses);
# - every call is counted, under the process that made it, none lost;
# - with the agent, only the child that gave up root stopped for its
#   region (-v says which).
. "$(dirname "$0")/lib.sh"

build_prog fork-regions
prog=$TMPD/fork-regions

"$prog" >"$TMPD/native" || fail "native run failed"
db=$TMPD/p.db
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -v -s none "${INTERCEPT_OPT[@]}" -o "$db" \
	-- "$prog" >"$TMPD/out" 2>"$TMPD/err" || fail "numamma profile exited $?"
assert_diff "output under numamma" "$TMPD/native" "$TMPD/out"

# calls ROLE: "allocations|frees|processes" of ROLE_calls.
calls() {
	sql "$db" "SELECT sum(t.allocations), sum(t.frees), count(DISTINCT t.pid)
		   FROM callsite_totals t JOIN frames f ON f.callsite_id = t.callsite_id
		   WHERE f.depth = 0 AND f.function = '$1_calls'"
}
assert_eq "the parent's calls" "20|20|1" "$(calls parent)"
for role in plain:100 grandchild:50 forker:20 vforker:30 stranger:40; do
	assert_eq "the calls of the $role" "${role#*:}|${role#*:}|1" "$(calls "${role%:*}")"
done
assert_eq "processes making the calls, each its own" 6 \
	"$(sql "$db" "SELECT count(DISTINCT t.pid) FROM callsite_totals t
		      JOIN frames f ON f.callsite_id = t.callsite_id
		      WHERE f.depth = 0 AND f.function LIKE '%_calls'")"
assert_eq "calls lost" 0 "$(sql "$db" "SELECT calls_lost FROM runs")"

if [[ ${NUMAMMA_INTERCEPT-agent} == agent ]]; then
	stops=$(grep -c "region mapped by numamma" "$TMPD/err")
	# As root the stranger may not open numamma's memfd; otherwise it
	# never was root, and opens it as the others do.
	want=0
	[[ $(id -u) == 0 ]] && want=1
	assert_eq "children stopped for their region" "$want" "$stops"
fi
