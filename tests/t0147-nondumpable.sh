#!/bin/bash
# A program that makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0), as
# ssh-agent does), then forks: without CAP_SYS_PTRACE, numamma may not
# read or write the child's memory, so it can neither give the child an
# agent region of its own nor take the parent's hooks out of it.
# - The program runs as alone (output, status).
# - No block is charged to the wrong process: the child's are never the
#   parent's (the child ran its parent's agent and wrote into the parent's
#   ring: its blocks were the parent's).
# - Calls not recorded are counted in runs.calls_lost and said: with the
#   agent, the parent's and the child's while the child lives (neither
#   records), the parent's again once the child is gone; with traps, the
#   child's that numamma could not follow to their return.
# - A child that execs is dumpable again: recorded under its own pid.
# - With --no-follow, the child is not let go with its parent's hooks
#   (which numamma cannot take out): it stays traced, not recorded, until
#   it execs or exits (it was left stopped for good).
# As root (CAP_SYS_PTRACE) every block is recorded under its own process.
. "$(dirname "$0")/lib.sh"

build_prog nondumpable

# profile NAME [exec]: natively and under numamma (run by "${as[@]}", with
# "${opts[@]}"), outputs and statuses compared; numamma's messages in
# $TMPD/NAME.err.
profile() {
	local name=$1 native status; shift
	"$dir/nondumpable" "$@" >"$TMPD/$name.native" 2>&1
	native=$?
	timeout "$PROFILE_TIMEOUT" "${as[@]}" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
		"${opts[@]}" -o "$dir/$name.db" -- "$dir/nondumpable" "$@" >"$TMPD/$name.out" \
		2>"$TMPD/$name.err"
	status=$?
	assert_eq "the program's status ($name)" "$native" "$status"
	assert_diff "the program's output ($name)" "$TMPD/$name.native" "$TMPD/$name.out"
}

# blocks DB: "WHO:MIB:COUNT" for each size of heap block of 1 MiB or more,
# WHO main (the first process) or child.
blocks() {
	sql "$1" "SELECT who || ':' || mib || ':' || count(*) FROM (SELECT CASE WHEN o.pid =
		  (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1) THEN 'main' ELSE 'child' END AS who,
		  o.size >> 20 AS mib FROM objects o WHERE o.kind = 'heap' AND o.size >= 1048576
		  AND o.size % 1048576 = 0) GROUP BY who, mib ORDER BY who, mib" | tr '\n' ' '
}
lost() { sql "$1" "SELECT calls_lost FROM runs"; }

opts=()
if [[ $(id -u) == 0 ]]; then
	as=() dir=$TMPD
	profile root
	# The child's copy of the 2 MiB block is made once it frees a block
	# (doc/schema.md): on the agent's path its frees come paired with
	# their mallocs, which need no copy.  (The munmap glibc's free makes
	# of a large block made it, when taken for the child's own call.)
	copy="child:2:1 "
	[[ ${NUMAMMA_INTERCEPT-agent} == trap ]] || copy=
	assert_eq "the blocks, numamma root" "child:1:3 ${copy}main:2:1 main:3:4 main:5:1 " \
		"$(blocks "$dir/root.db")"
	assert_eq "calls lost, numamma root" 0 "$(lost "$dir/root.db")"
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	if ! command -v setpriv >/dev/null || ! "${as[@]}" test -x "$NUMAMMA"; then
		skip "numamma not run as nobody: no setpriv, or $NUMAMMA out of its reach"
	fi
	dir=$TMPD/nobody
	chmod 0711 "$TMPD"      # nobody goes through to its own folder
	mkdir -m 0777 "$dir"
	cp "$TMPD/nondumpable" "$dir/"
else
	as=() dir=$TMPD
	grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status ||
		skip "not root, but with capabilities: CAP_SYS_PTRACE would reach the child"
fi

profile forked
profile execd exec
case ${NUMAMMA_INTERCEPT-agent} in
trap)
	# A trap's return is caught by writing the return address: not in
	# the child, whose three 1 MiB blocks go unrecorded (its frees, whose
	# return is not waited for, are: it has its copy of the 2 MiB block).
	# The parent's memory stays readable through the file numamma opened
	# before.
	assert_eq "the blocks, the child's unrecorded" "child:2:1 main:2:1 main:3:4 main:5:1 " \
		"$(blocks "$dir/forked.db")"
	assert_eq "the child's calls counted" 1 "$(($(lost "$dir/forked.db") >= 3))"
	grep -q "process [0-9]*: numamma may not read or write its memory (a non-dumpable process, numamma without CAP_SYS_PTRACE): the allocator calls it traps go unrecorded (runs.calls_lost)" \
		"$TMPD/forked.err" || fail "no word of the child's calls: $(cat "$TMPD/forked.err")"
	;;
*)
	assert_eq "the blocks, neither part recording while they share the agent" "main:2:1 main:5:1 " \
		"$(blocks "$dir/forked.db")"
	# 4 mallocs and frees of the parent's, 3 of the child's, at least.
	assert_eq "the calls of both while they share, counted" 1 \
		"$(($(lost "$dir/forked.db") >= 14))"
	grep -q "process [0-9]*: numamma may not write to its fork child [0-9]* (a non-dumpable process, numamma without CAP_SYS_PTRACE): neither records allocator calls until the child execs or exits; they are counted" \
		"$TMPD/forked.err" || fail "no word of the shared agent: $(cat "$TMPD/forked.err")"
	grep -q "process [0-9]*: [0-9]* allocator calls were not recorded while a child shared its agent (runs.calls_lost)" \
		"$TMPD/forked.err" || fail "no count of the calls lost: $(cat "$TMPD/forked.err")"
	assert_eq "the blocks, the exec'd child's its own" "child:1:1 main:2:1 main:5:1 " \
		"$(blocks "$dir/execd.db")"
	;;
esac

# (By traps, the parent's blocks are all recorded, as above.)
opts=(--no-follow)
parent="main:2:1 main:5:1 "
[[ ${NUMAMMA_INTERCEPT-agent} == trap ]] && parent="main:2:1 main:3:4 main:5:1 "
for how in "" exec; do
	profile "nofollow$how" $how
	assert_eq "the blocks, --no-follow ($how)" "$parent" "$(blocks "$dir/nofollow$how.db")"
done
