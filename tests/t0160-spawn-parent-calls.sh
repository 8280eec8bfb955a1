#!/bin/bash
# A process that starts a child with posix_spawn or vfork + exec, then
# allocates at once: the kernel lets it go on as the child execs, before
# numamma hears of the exec.  Its calls are its own, every one: the
# agent's entry for its thread, named for the vfork child meanwhile, was
# given back by numamma only once it had the exec's stop in hand, and
# 40-90% of those calls were counted for the exec'd children.
. "$(dirname "$0")/lib.sh"

build_prog spawn-calls
prog=$TMPD/spawn-calls

for how in spawn vfork; do
	"$prog" $how 10 >"$TMPD/native" || fail "native $how run failed"
	db=$TMPD/$how.db
	profile_ok "$db" -- "$prog" $how 10 >"$TMPD/out"
	assert_diff "$how: output under numamma" "$TMPD/native" "$TMPD/out"
	assert_eq "$how: the parent's calls after each start (first process?|allocations|frees)" \
		"1|20000|20000" \
		"$(sql "$db" "SELECT t.pid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1),
				     sum(t.allocations), sum(t.frees)
			      FROM callsite_totals t
			      JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			      WHERE f.function = 'after_spawn' GROUP BY 1")"
	assert_eq "$how: calls lost" 0 "$(sql "$db" "SELECT calls_lost FROM runs")"
done
