#!/bin/bash
# numamma run with a policy whose rules place some call sites' blocks:
# the agent stops a thread for a block that holds a page only until its
# stack's first stop told numamma which rule it has (its kind, its
# frames).  No rule: numamma enters the stack in the agent's set of
# spared stacks and its blocks stop no more.  A whole rule (bind or
# interleave): in the agent's table of placing stacks, and the agent
# binds its next blocks itself, and counts their pages at their free.
# Where no rule names a stack of a block's kind, the first stop decides
# for every block of that kind, in every process.  Each stop costs
# 100-200 us: a compiler under a profile's policy stopped for each of its
# 5,583 page-sized blocks, to place few, and under --interleave=all to
# place each alike.  Every placed block is still placed before the call
# returns, and its pages checked before it is freed.
. "$(dirname "$0")/lib.sh"

build_prog placed-at-return -O1
prog=$TMPD/placed-at-return
rounds=5

"$NUMAMMA" profile -q -s none --all-objects -o "$TMPD/p.db" -- "$prog" $rounds >/dev/null ||
	fail "profile failed"
# The mmap call's site, as a policy names it: a rule for it alone, and a
# heap rule that matches no heap block (its site makes none), so that
# each heap stack is looked at.
site=$(sql "$TMPD/p.db" "SELECT DISTINCT f.module || '+0x' || printf('%x', f.offset)
			 FROM objects o JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			 WHERE o.kind = 'mmap' AND o.size = 262144")
[[ $site == *+0x* && $site != *$'\n'* ]] || fail "no single mmap call site: '$site'"
printf 'numamma-policy 1\nmmap callsite %s bind 0\nheap callsite %s bind 0\ndefault leave\n' \
	"$site" "$site" >"$TMPD/mmap.policy"

# The counts of a process's -v line: stops, blocks the agent placed and
# checked at their free, stacks spared, stacks placing.
counts() {
	sed -nE "s/.*process $1: ([0-9]+) stops to place a block, ([0-9]+) placed by the agent, ([0-9]+) checked by it at their free; stacks: ([0-9]+) spared .*, ([0-9]+) placing .*/\1 \2 \3 \4 \5/p" "$2"
}
first_pid() {
	sed -nE 's/.*process ([0-9]+): [0-9]+ stops to place a block.*/\1/p' "$1" | head -1
}

status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/mmap.policy" -o "$TMPD/r.db" \
	-- "$prog" $rounds >"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "exit status" 0 "$status"
# 2 threads x 5 rounds x one mapping, the rule's.
assert_eq "output" "placed at return: 10 of 80" "$(cat "$TMPD/out")"
assert_eq "placed mappings, their pages checked" "10|10" \
	"$(sql "$TMPD/r.db" "SELECT count(*), sum(p.present = p.pages) FROM placement p
			     JOIN objects o ON o.id = p.object_id WHERE o.kind = 'mmap' AND o.size = 262144")"
read -r stops agent checked spared placing < <(counts "$(first_pid "$TMPD/err")" "$TMPD/err")
[[ $placing ]] || fail "no count of stops: $(grep debug "$TMPD/err" | tail -3)"
echo "stops to place a block: $stops of 80 blocks holding a page; stacks spared: $spared;" \
     "placed by the agent: $agent, checked by it: $checked (stacks: $placing)"
# The 70 heap blocks stop only at their stacks' first calls (4 call sites,
# each reached from two threads' stacks), and the C library's own
# mappings (the second thread's stack, its arena) at theirs; the 10
# mappings stop at their stack's first call from each thread, then the
# agent binds them; two threads may both stop for a new stack.
(( spared >= 4 && spared <= 12 )) || fail "$spared stacks spared (want 4 to 12)"
(( placing >= 1 && placing <= 2 )) || fail "$placing placing stacks (want 1 or 2)"
(( agent >= 6 && checked == agent && stops + agent >= 10 + spared && stops <= 10 + 2 * 12 )) ||
	fail "$stops stops and $agent placed by the agent, for 10 blocks to place"

# The program's next process starts with the stacks its first one decided:
# the agent binds its 10 mappings, and it stops for little else.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/mmap.policy" -o "$TMPD/r2.db" \
	-- sh -c "'$prog' $rounds >/dev/null; '$prog' $rounds" >"$TMPD/out" 2>"$TMPD/err" ||
	fail "run of two processes failed: $(tail -3 "$TMPD/err")"
assert_eq "two processes: output" "placed at return: 10 of 80" "$(cat "$TMPD/out")"
second=$(sed -nE 's/.*process ([0-9]+): ([0-9]+) stacks spared, ([0-9]+) placing at its start/\1 \2 \3/p' "$TMPD/err")
read -r pid known known_placing <<<"$second"
[[ $pid && $known -ge 4 && $known_placing -ge 1 ]] ||
	fail "no process started with the stacks decided: $(grep "stops to place" "$TMPD/err")"
read -r stops agent checked spared placing < <(counts "$pid" "$TMPD/err")
echo "second process: $known stacks spared and $known_placing placing at its start," \
     "$stops stops to place a block, $agent placed by the agent"
(( stops <= 4 && agent == 10 )) || fail "the second process stopped $stops times, its agent placed $agent"

# A policy that places every block alike (no rule for a stack): the first
# block of each kind stops (two threads may both stop), the agent binds
# all the others (the program's 80 and the second thread's stack), and
# checks every one before it goes.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --interleave=all -o "$TMPD/i.db" \
	-- "$prog" $rounds >"$TMPD/out" 2>"$TMPD/err" || fail "run --interleave=all failed"
assert_eq "--interleave=all: output" "placed at return: 80 of 80" "$(cat "$TMPD/out")"
read -r stops agent checked spared placing < <(counts "$(first_pid "$TMPD/err")" "$TMPD/err")
echo "--interleave=all: $stops stops to place a block, $agent placed by the agent ($checked" \
     "checked by it at their free)"
grep -q "every heap block placed alike by the agent" "$TMPD/err" ||
	fail "--interleave=all: heap blocks not decided at once"
(( stops + agent >= 81 && stops <= 4 && spared == 0 && placing == 0 )) ||
	fail "--interleave=all: $(grep "stops to place" "$TMPD/err")"
# The program frees its blocks before its end: the agent checks those it
# placed as it frees them, without a stop.
(( checked >= agent - 2 )) || fail "--interleave=all: $checked of $agent checked by the agent"
assert_eq "--interleave=all: the program's blocks placed, their pages checked" "80|80" \
	"$(sql "$TMPD/i.db" "SELECT count(*), sum(p.present = p.pages AND p.on_intended = p.present)
			     FROM placement p JOIN objects o ON o.id = p.object_id
			     WHERE o.size >= 4096 AND o.kind IN ('heap', 'mmap') AND o.size <= 262144")"
# A policy that leaves every block: the first of each kind stops, no other.
printf 'numamma-policy 1\ndefault leave\n' >"$TMPD/leave.policy"
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/leave.policy" \
	-- "$prog" $rounds >"$TMPD/out" 2>"$TMPD/err" || fail "run of a leave policy failed"
read -r stops agent checked spared placing < <(counts "$(first_pid "$TMPD/err")" "$TMPD/err")
echo "default leave: $stops stops to place a block"
(( stops <= 4 && agent == 0 )) || fail "default leave: $(grep "stops to place" "$TMPD/err")"

# A fork child that does not exec starts with the stacks its executable's
# processes decided: its blocks (its main thread's, from the same stacks
# as its parent's main thread) are placed by the agent, none stops.
# Built without optimisation: -O1 duplicates the program's call of work().
cc -O0 -g -pthread -o "$TMPD/forking" "$PROGS/placed-at-return.c" || fail "cannot compile"
printf 'numamma-policy 1\nheap callsite %s bind 0\ndefault interleave 0\n' "$site" \
	>"$TMPD/stacks.policy"
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/stacks.policy" -o "$TMPD/f.db" \
	-- "$TMPD/forking" 1 fork >"$TMPD/out" 2>"$TMPD/err" || fail "run of a forking program failed"
assert_eq "fork: output" "placed at return: 16 of 16
child placed at return: 8 of 8" "$(cat "$TMPD/out")"
child=$(sed -nE 's/.*process ([0-9]+): 0 stacks spared, ([0-9]+) placing at its start/\1/p' "$TMPD/err")
[[ $child ]] || fail "the fork child did not start with the placing stacks: $(grep "at its start" "$TMPD/err")"
read -r stops agent checked spared placing < <(counts "$child" "$TMPD/err")
echo "fork child: $stops stops to place a block, $agent placed by the agent, $checked checked"
(( stops == 0 && agent == 8 && checked == 8 )) || fail "fork child: $(grep "process $child:" "$TMPD/err")"
