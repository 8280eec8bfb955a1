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
#   region (-v says which);
# - as root, in a pid namespace of its own with its own /proc (where the
#   memfd's path names another process, or none), every child stops for
#   its region, and the calls are as counted.
. "$(dirname "$0")/lib.sh"

build_prog fork-regions
prog=$TMPD/fork-regions

# check NAME [LAUNCHER...]: the program profiled, its output and calls
# checked; numamma's messages in $TMPD/NAME.err, its profile $TMPD/NAME.db.
check() {
	local name=$1 db=$TMPD/$1.db role; shift
	"$@" "$prog" >"$TMPD/native" || fail "native run failed ($name)"
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -v -s none "${INTERCEPT_OPT[@]}" -o "$db" \
		-- "$@" "$prog" >"$TMPD/out" 2>"$TMPD/$name.err" || fail "numamma profile exited $? ($name)"
	assert_diff "output under numamma ($name)" "$TMPD/native" "$TMPD/out"
	assert_eq "the parent's calls ($name)" "20|20|1" "$(calls "$db" parent)"
	for role in plain:100 grandchild:50 forker:20 vforker:30 stranger:40; do
		assert_eq "the calls of the ${role%:*} ($name)" "${role#*:}|${role#*:}|1" \
			"$(calls "$db" "${role%:*}")"
	done
	assert_eq "processes making the calls, each its own ($name)" 6 \
		"$(sql "$db" "SELECT count(DISTINCT t.pid) FROM callsite_totals t
			      JOIN frames f ON f.callsite_id = t.callsite_id
			      WHERE f.depth = 0 AND f.function LIKE '%_calls'")"
	assert_eq "calls lost ($name)" 0 "$(sql "$db" "SELECT calls_lost FROM runs")"
}

# calls DB ROLE: "allocations|frees|processes" of ROLE_calls.
calls() {
	sql "$1" "SELECT sum(t.allocations), sum(t.frees), count(DISTINCT t.pid)
		  FROM callsite_totals t JOIN frames f ON f.callsite_id = t.callsite_id
		  WHERE f.depth = 0 AND f.function = '$2_calls'"
}

# stops NAME: the children that stopped for their region.
stops() { grep -c "region mapped by numamma" "$TMPD/$1.err"; }

check plain
agent=false
[[ ${NUMAMMA_INTERCEPT-agent} == agent ]] && agent=true
if $agent; then
	# As root the stranger may not open numamma's memfd; otherwise it
	# never was root, and opens it as the others do.
	want=0
	[[ $(id -u) == 0 ]] && want=1
	assert_eq "children stopped for their region" "$want" "$(stops plain)"
fi
if [[ $(id -u) == 0 ]] && unshare -pf --mount-proc true 2>/dev/null; then
	check namespace unshare -pf --mount-proc
	# The children that allocate (four and the grandchild): none could
	# map its own.
	! $agent || assert_eq "children stopped for their region (pid namespace)" 5 \
		"$(stops namespace)"
else
	echo "not run: the pid namespace case (needs root and unshare -p)"
fi
