#!/bin/bash
# A child made by clone(CLONE_VM | SIGCHLD) (reported as a fork) shares
# its parent's memory while both run: numamma cannot map an agent region
# of the child's own there (it would replace the parent's: the parent's
# calls were charged to the child, and once the child was gone, lost
# unsaid).  The program runs as alone; no block is charged to the wrong
# process; with the agent, neither records while the child lives (their
# calls counted, and said), the parent again once it is gone; with traps,
# each call is recorded under its own process; a child that execs is
# recorded under its own pid.  With --no-follow the child stays traced
# (not recorded) while it shares the parent's memory, and runs on (it was
# left stopped for good).
. "$(dirname "$0")/lib.sh"

build_prog clone-vm

# blocks DB: "WHO:MIB:COUNT" for each size of heap block of whole MiB,
# WHO main (the first process) or child.
blocks() {
	sql "$1" "SELECT who || ':' || mib || ':' || count(*) FROM (SELECT CASE WHEN o.pid =
		  (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1) THEN 'main' ELSE 'child' END AS who,
		  o.size >> 20 AS mib FROM objects o WHERE o.kind = 'heap' AND o.size >= 1048576
		  AND o.size % 1048576 = 0) GROUP BY who, mib ORDER BY who, mib" | tr '\n' ' '
}

for how in exit exec; do
	args=(); [[ $how == exec ]] && args=(exec)
	"$TMPD/clone-vm" "${args[@]}" >"$TMPD/native" 2>&1
	native=$?
	timeout "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
		-o "$TMPD/$how.db" -- "$TMPD/clone-vm" "${args[@]}" >"$TMPD/out" 2>"$TMPD/err"
	assert_eq "the program's status ($how)" "$native" "$?"
	assert_diff "the program's output ($how)" "$TMPD/native" "$TMPD/out"
	got=$(blocks "$TMPD/$how.db")
	lost=$(sql "$TMPD/$how.db" "SELECT calls_lost FROM runs")
	[[ $got == *child:3:* || $got == *child:5:* ]] && fail "the parent's blocks charged to the child ($how): $got"
	[[ $got == *main:5:1* ]] || fail "the parent's block after the child, not recorded ($how): $got"
	if [[ $how == exec ]]; then
		[[ $got == *child:1:* ]] || fail "the exec'd child's block, not under its pid: $got"
	fi
	if [[ ${NUMAMMA_INTERCEPT-agent} == trap ]]; then
		[[ $got == *main:3:100* ]] || fail "the parent's blocks while the child lives, by traps ($how): $got"
		assert_eq "calls lost, by traps ($how)" 0 "$lost"
		assert_eq "numamma's messages, by traps ($how)" "" "$(cat "$TMPD/err")"
		continue
	fi
	[[ $got == *main:3:* ]] && fail "the parent recorded while its child shares its agent ($how): $got"
	assert_eq "the parent's 100 mallocs and frees while the child lives, counted ($how)" 1 \
		"$((lost >= 200))"
	grep -q "^numamma: warning: process [0-9]*: its child [0-9]* shares its memory (clone with CLONE_VM, not a thread): neither records allocator calls until the child execs or exits; they are counted$" \
		"$TMPD/err" || fail "no word of the child that shares its memory ($how): $(cat "$TMPD/err")"
	grep -q "^numamma: warning: process [0-9]*: $lost allocator calls were not recorded while a child shared its agent (runs.calls_lost)$" \
		"$TMPD/err" || fail "no count of the calls lost ($how): $(cat "$TMPD/err")"
	"$NUMAMMA" report "$TMPD/$how.db" >"$TMPD/report" 2>&1 || fail "report ($how) exited $?"
	grep -q "^  lost  *$lost allocator calls counted, not recorded (runs.calls_lost)$" "$TMPD/report" ||
		fail "the report does not say what was lost ($how): $(head -15 "$TMPD/report")"
done

for how in exit exec; do
	args=(); [[ $how == exec ]] && args=(exec)
	"$TMPD/clone-vm" "${args[@]}" >"$TMPD/native" 2>&1
	native=$?
	timeout "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none --no-follow "${INTERCEPT_OPT[@]}" \
		-o "$TMPD/nf-$how.db" -- "$TMPD/clone-vm" "${args[@]}" >"$TMPD/out" 2>"$TMPD/err"
	assert_eq "the program's status, --no-follow ($how)" "$native" "$?"
	assert_diff "the program's output, --no-follow ($how)" "$TMPD/native" "$TMPD/out"
	got=$(blocks "$TMPD/nf-$how.db")
	[[ $got == *main:5:1* && $got != *child* ]] ||
		fail "the blocks, --no-follow ($how): $got"
done
