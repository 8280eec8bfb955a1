#!/bin/bash
# A stack is sent to numamma once per profile, not once per process: the
# second run of a program in one profile finds its predecessor's stacks
# in its agent's set (numamma fills it at the exec) and sends none of
# them again, and its calls still land on the same call sites, every one
# counted; the unwind rules the first run computed are in the second's
# cache (numamma fills it once the libraries are loaded).  A forked child
# (its set starts empty) sends them again and is named the same.
. "$(dirname "$0")/lib.sh"

[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && skip "the agent's stacks: no agent under the trap path"
build_prog count-storm
prog=$TMPD/count-storm
iter=3000

"$prog" threads 2 "$iter" >"$TMPD/native"
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -v -s none -o "$TMPD/t.db" -- \
	sh -c "$prog threads 2 $iter; $prog threads 2 $iter; $prog fork 2 $iter" \
	>"$TMPD/out" 2>"$TMPD/err" || fail "numamma profile exited $?"
sed -n 1p "$TMPD/native" >"$TMPD/twice"
sed -n 1p "$TMPD/native" >>"$TMPD/twice"
assert_diff "the two runs' output" "$TMPD/twice" <(sed -n 1,2p "$TMPD/out")

# The three runs the shell started (their fork children run the program
# too: their parent is one of them).
mapfile -t pids < <(sql "$TMPD/t.db" "SELECT pid FROM processes WHERE exe LIKE '%/count-storm'
				       AND ppid NOT IN (SELECT pid FROM processes
							WHERE exe LIKE '%/count-storm')
				       ORDER BY start_ns")
((${#pids[@]} == 3)) || fail "expected 3 runs of the program, got ${#pids[@]}"
first=${pids[0]} second=${pids[1]}

# sent PID / new PID / known PID: the agent's stacks, from numamma's -v
# lines (two threads that miss a stack at once both send it: new counts it
# once).
sent() { sed -n "s/.*process $1: \([0-9]*\) stacks sent.*/\1/p" "$TMPD/err" | tail -1; }
new_stacks() { sed -n "s/.*process $1: [0-9]* stacks sent, \([0-9]*\) new.*/\1/p" "$TMPD/err" | tail -1; }
known() { sed -n "s/.*process $1: \([0-9]*\) stacks known at its start.*/\1/p" "$TMPD/err" | tail -1; }
[[ $(new_stacks "$first") -ge 3 ]] || fail "the first run sent $(new_stacks "$first") new stacks, want 3 or more"
[[ $(known "$second") -ge $(new_stacks "$first") ]] ||
	fail "the second run knew $(known "$second") stacks at its start, the first sent $(new_stacks "$first")"
assert_eq "stacks the second run sent" 0 "$(sent "$second")"
# computed counts a rule again when its cache entry was taken by another
# (the cache is direct-mapped) and computed anew; new counts each once.
computed() { sed -n "s/.*process $1: \([0-9]*\) unwind rules computed.*/\1/p" "$TMPD/err" | tail -1; }
new_rules() { sed -n "s/.*process $1: [0-9]* unwind rules computed, \([0-9]*\) new.*/\1/p" "$TMPD/err" | tail -1; }
rules() { sed -n "s/.*process $1: \([0-9]*\) unwind rules known.*/\1/p" "$TMPD/err" | tail -1; }
[[ $(new_rules "$first") -ge 3 ]] || fail "the first run computed $(new_rules "$first") unwind rules, want 3 or more"
[[ $(rules "$second") -ge $(new_rules "$first") ]] ||
	fail "the second run knew $(rules "$second") rules, the first computed $(new_rules "$first")"
# A rule whose cache entry another one took is computed again: a few.
(($(computed "$second") * 2 < $(computed "$first"))) ||
	fail "the second run computed $(computed "$second") rules, the first $(computed "$first")"

# site_totals PID: storm_alloc's call sites and counts in PID.
site_totals() {
	sql "$TMPD/t.db" "SELECT t.callsite_id, t.allocations, t.frees FROM callsite_totals t
			  JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			  WHERE f.function = 'storm_alloc' AND t.pid = $1 ORDER BY t.callsite_id"
}
read -r _ allocs _ frees <"$TMPD/native"
assert_eq "first run: storm_alloc's allocations|frees" "$allocs|$frees" \
	"$(sql "$TMPD/t.db" "SELECT sum(t.allocations) || '|' || sum(t.frees) FROM callsite_totals t
			     JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			     WHERE f.function = 'storm_alloc' AND t.pid = $first")"
assert_eq "second run: the same call sites, the same counts" "$(site_totals "$first")" \
	"$(site_totals "$second")"
# The forked children: each child's calls under its own call site, named.
assert_eq "fork children: child_alloc named in each" "2" \
	"$(sql "$TMPD/t.db" "SELECT count(DISTINCT t.pid) FROM callsite_totals t
			     JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			     WHERE f.function = 'child_alloc' AND t.allocations = $iter")"
exit ${FAILED:-0}
