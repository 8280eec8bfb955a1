#!/bin/bash
# numamma run with a policy whose rules place some call sites' blocks:
# the agent stops a thread for a block that holds a page only where some
# rule may place it.  Once a stack's stop found no rule for it (its kind,
# its frames), numamma enters it in the agent's set of spared stacks and
# its blocks stop no more (each stop costs 100-200 us: a compiler under a
# profile's policy stopped for each of its 5,583 page-sized blocks, to
# place few).  The placed ones are still placed before the call returns.
. "$(dirname "$0")/lib.sh"

build_prog placed-at-return -O1
prog=$TMPD/placed-at-return
rounds=5

"$NUMAMMA" profile -q -s none --all-objects -o "$TMPD/p.db" -- "$prog" $rounds >/dev/null ||
	fail "profile failed"
# The mmap call's site, as a policy names it: a rule for it alone.
site=$(sql "$TMPD/p.db" "SELECT DISTINCT f.module || '+0x' || printf('%x', f.offset)
			 FROM objects o JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			 WHERE o.kind = 'mmap' AND o.size = 262144")
[[ $site == *+0x* && $site != *$'\n'* ]] || fail "no single mmap call site: '$site'"
printf 'numamma-policy 1\nmmap callsite %s bind 0\ndefault leave\n' "$site" >"$TMPD/mmap.policy"

status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/mmap.policy" -o "$TMPD/r.db" \
	-- "$prog" $rounds >"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "exit status" 0 "$status"
# 2 threads x 5 rounds x one mapping, the rule's.
assert_eq "output" "placed at return: 10 of 80" "$(cat "$TMPD/out")"
assert_eq "placed mappings, their pages checked" "10|10" \
	"$(sql "$TMPD/r.db" "SELECT count(*), sum(p.present = p.pages) FROM placement p
			     JOIN objects o ON o.id = p.object_id WHERE o.kind = 'mmap' AND o.size = 262144")"
line=$(grep -E "process [0-9]+: [0-9]+ stops to place a block, [0-9]+ stacks spared them" "$TMPD/err") ||
	fail "no count of stops: $(grep debug "$TMPD/err" | tail -3)"
read -r stops spared < <(sed -E 's/.*: ([0-9]+) stops to place a block, ([0-9]+) stacks spared.*/\1 \2/' <<<"$line")
echo "stops to place a block: $stops of 80 blocks holding a page; stacks spared: $spared"
# Each of the 10 mappings stops; the 70 heap blocks only at their stacks'
# first calls (4 call sites, each reached from two threads' stacks), and
# the C library's own mappings (the second thread's stack, its arena) at
# theirs; two threads may both stop for a new stack.
(( stops >= 10 && stops <= 10 + 2 * 12 )) || fail "$stops stops for 10 blocks to place"
(( spared >= 4 && spared <= 12 )) || fail "$spared stacks spared (want 4 to 12)"

# The program's next process starts with the stacks its first one spared:
# it stops for its own 10 mappings, and for little else.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --policy="$TMPD/mmap.policy" -o "$TMPD/r2.db" \
	-- sh -c "'$prog' $rounds >/dev/null; '$prog' $rounds" >"$TMPD/out" 2>"$TMPD/err" ||
	fail "run of two processes failed: $(tail -3 "$TMPD/err")"
assert_eq "two processes: output" "placed at return: 10 of 80" "$(cat "$TMPD/out")"
second=$(sed -nE 's/.*process ([0-9]+): ([0-9]+) stacks spared at its start/\1 \2/p' "$TMPD/err")
read -r pid known <<<"$second"
[[ $pid && $known -ge 4 ]] || fail "no process started with spared stacks: $(grep "stops to place" "$TMPD/err")"
stops=$(sed -nE "s/.*process $pid: ([0-9]+) stops to place a block.*/\1/p" "$TMPD/err")
echo "second process: $known stacks spared at its start, $stops stops to place a block"
(( stops >= 10 && stops <= 10 + 4 )) || fail "the second process stopped $stops times"

# A policy that places every block: every one stops, as before (the
# program's 80 and the second thread's stack).
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" run -v --interleave=all -o "$TMPD/i.db" \
	-- "$prog" $rounds >"$TMPD/out" 2>"$TMPD/err" || fail "run --interleave=all failed"
assert_eq "--interleave=all: output" "placed at return: 80 of 80" "$(cat "$TMPD/out")"
grep -qE "process [0-9]+: 8[0-9] stops to place a block, 0 stacks spared them" "$TMPD/err" ||
	fail "--interleave=all: $(grep "stops to place" "$TMPD/err")"
