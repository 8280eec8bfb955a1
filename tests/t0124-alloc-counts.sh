#!/bin/bash
# Every allocator call counted: callsite_totals (and each thread's row)
# against the program's own count, with 4 threads, forked and vforked children (and fork children
# freeing and unmapping what they inherited), and a signal handler
# that maps memory while the main thread allocates; objects below
# --min-object-size are counted without rows.  Under the agent (the
# default) and the trap path (NUMAMMA_INTERCEPT=trap, fewer iterations).
. "$(dirname "$0")/lib.sh"

build_prog count-storm
prog=$TMPD/count-storm
iter=20000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && iter=300

# site_totals DB FUNCTION: allocations|frees of the call sites whose
# innermost frame is FUNCTION, per process, in pid order.
site_totals() {
	sql "$1" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
		  JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
		  WHERE f.function = '$2' GROUP BY t.pid ORDER BY t.pid"
}

# threads: every call of 4 threads, none dropped.
"$prog" threads 4 "$iter" >"$TMPD/native"
profile_ok "$TMPD/t.db" -- "$prog" threads 4 "$iter" >"$TMPD/out"
assert_diff "threads: output" "$TMPD/native" "$TMPD/out"
read -r _ allocs _ frees <"$TMPD/out"
assert_eq "threads: allocations|frees counted" "$allocs|$frees" "$(site_totals "$TMPD/t.db" storm_alloc)"
assert_eq "threads: objects of storm_alloc" "$allocs" \
	"$(sql "$TMPD/t.db" "SELECT count(*) FROM objects o JOIN frames f
			     ON f.callsite_id = o.callsite_id AND f.depth = 0
			     WHERE f.function = 'storm_alloc'")"
# Each thread's row counts its own calls: a worker's are its storm's,
# and the rows add up to callsite_totals.
assert_eq "threads: each worker's allocations|frees" \
	"$(printf "$((allocs / 4))|$((frees / 4))\n%.0s" 1 2 3 4)" \
	"$(sql "$TMPD/t.db" "SELECT allocations, frees FROM threads WHERE tid != pid ORDER BY rank")"
assert_eq "threads: rows add up to callsite_totals" \
	"$(sql "$TMPD/t.db" "SELECT sum(allocations), sum(frees), sum(bytes) FROM callsite_totals")" \
	"$(sql "$TMPD/t.db" "SELECT sum(allocations), sum(frees), sum(bytes) FROM threads")"
want=agent
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && want=trap
assert_eq "runs.intercept" "$want" "$(sql "$TMPD/t.db" "SELECT intercept FROM runs")"

# More threads than the agent has rings (127 of their own, the rest
# sharing one), their records merged by time: every call counted, each
# under its own thread, and the threads' rows add up to callsite_totals
# (a record of the shared ring read after its thread's end, behind
# another thread's unfinished one, was left out of its row).  numamma
# and the program on one cpu, where a thread is often preempted inside
# realloc, after the block's release and before its record: another
# thread's malloc of the block, read first, left the realloc's release
# to free that new block, whose own free then found nothing (1-77 of 1.2
# million frees lost).  Each worker's row counts its own allocations; its
# frees may be one off, a free of another's (README, Limits): their sum
# is checked.
if [[ $want == agent ]]; then
	"$prog" threads 200 2000 >"$TMPD/native200"
	cpus=$(taskset -p $$ | sed 's/.*: //')
	taskset -pc "$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')" $$ >/dev/null
	# Rows for the large blocks only (the default): every block a row
	# hid the race (two live blocks at one start, the older found first).
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none -o "$TMPD/t200.db" \
		-- "$prog" threads 200 2000 >"$TMPD/out200" || fail "200 threads: profile exited $?"
	taskset -p "$cpus" $$ >/dev/null
	assert_diff "200 threads: output" "$TMPD/native200" "$TMPD/out200"
	read -r _ allocs200 _ frees200 <"$TMPD/out200"
	assert_eq "200 threads: allocations|frees counted" "$allocs200|$frees200" \
		"$(site_totals "$TMPD/t200.db" storm_alloc)"
	assert_eq "200 threads: workers whose row counts their own allocations" 200 \
		"$(sql "$TMPD/t200.db" "SELECT count(*) FROM threads WHERE tid != pid
			AND allocations = $((allocs200 / 200))")"
	assert_eq "200 threads: rows add up to callsite_totals" \
		"$(sql "$TMPD/t200.db" "SELECT sum(allocations), sum(frees), sum(bytes) FROM callsite_totals")" \
		"$(sql "$TMPD/t200.db" "SELECT sum(allocations), sum(frees), sum(bytes) FROM threads")"
	assert_eq "200 threads: calls lost" 0 "$(sql "$TMPD/t200.db" "SELECT calls_lost FROM runs")"
fi

# --min-object-size: rows for the large blocks only, every call counted
# (4K: 4096 bytes).
profile_ok "$TMPD/m.db" --min-object-size 4K -- "$prog" threads 4 "$iter" >/dev/null
assert_eq "min-object-size: allocations|frees counted" "$allocs|$frees" \
	"$(site_totals "$TMPD/m.db" storm_alloc)"
assert_eq "min-object-size: no heap row below 4096 bytes" 0 \
	"$(sql "$TMPD/m.db" "SELECT count(*) FROM objects WHERE kind IN ('heap', 'mmap') AND size < 4096")"
assert_eq "min-object-size: some rows above" 1 \
	"$(sql "$TMPD/m.db" "SELECT count(*) > 0 FROM objects WHERE kind = 'heap' AND size >= 4096")"

# The default (no option): the same, at 4096 bytes.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" -o "$TMPD/d.db" \
	-- "$prog" threads 4 "$iter" >/dev/null || fail "default profile exited $?"
assert_eq "default: allocations|frees counted" "$allocs|$frees" "$(site_totals "$TMPD/d.db" storm_alloc)"
assert_eq "default: no heap row below 4096 bytes" 0 \
	"$(sql "$TMPD/d.db" "SELECT count(*) FROM objects WHERE kind IN ('heap', 'mmap') AND size < 4096")"

# fork and vfork: each child's calls under its own pid, none in the parent;
# its row names the program it runs, its parent's.
n=$((iter / 10))
for how in fork vfork; do
	"$prog" $how 3 "$n" >"$TMPD/native"
	profile_ok "$TMPD/$how.db" -- "$prog" $how 3 "$n" >"$TMPD/out"
	assert_diff "$how: output" "$TMPD/native" "$TMPD/out"
	assert_eq "$how: each child's allocations|frees" "$(printf "$n|$n\n%.0s" 1 2 3)" \
		"$(site_totals "$TMPD/$how.db" child_alloc)"
	assert_eq "$how: each process runs the program" "$(printf "$prog\n%.0s" 1 2 3 4)" \
		"$(sql "$TMPD/$how.db" "SELECT exe FROM processes ORDER BY start_ns, rowid")"
	assert_eq "$how: in the children, not the parent" 0 \
		"$(sql "$TMPD/$how.db" "SELECT count(*) FROM callsite_totals t
				       JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
				       WHERE f.function = 'child_alloc'
				         AND t.pid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)")"
done

# A fork child's frees and unmaps of the blocks it inherited: its calls,
# on its own rows of their call site (no allocation there), small blocks,
# large ones and mappings.
"$prog" inherit 2 "$n" >"$TMPD/native"
profile_ok "$TMPD/inherit.db" -- "$prog" inherit 2 "$n" >"$TMPD/out"
assert_diff "inherit: output" "$TMPD/native" "$TMPD/out"
assert_eq "inherit: the parent's allocations|frees, then each child's" \
	"$(printf '%s\n' "$n|$n" "0|$n" "0|$n")" "$(site_totals "$TMPD/inherit.db" inherit_alloc)"
m=$((n / 50 + 1))
assert_eq "inherit: the parent's mmaps|munmaps, then each child's" \
	"$(printf '%s\n' "$m|$m" "0|$m" "0|$m")" "$(site_totals "$TMPD/inherit.db" inherit_map)"

# A program whose user changed (setpriv, as root) may not open numamma's
# memfd by its /proc path: its agent maps a memfd of its own, one injected
# call at a time, and counts every call the same.
if [[ ${NUMAMMA_INTERCEPT:-auto} != trap && $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod 755 "$TMPD" "$prog"
	"${as_nobody[@]}" "$prog" threads 2 "$n" >"$TMPD/native"
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -v -s none -o "$TMPD/u.db" \
		-- "${as_nobody[@]}" "$prog" threads 2 "$n" >"$TMPD/out" 2>"$TMPD/err" ||
		fail "profile as another user exited $?"
	assert_diff "other user: output" "$TMPD/native" "$TMPD/out"
	grep -q "numamma's memfd not mapped" "$TMPD/err" ||
		fail "other user: the agent did not map the program's own memfd"
	read -r _ allocs _ frees <"$TMPD/out"
	assert_eq "other user: allocations|frees counted" "$allocs|$frees" \
		"$(site_totals "$TMPD/u.db" storm_alloc)"
	assert_eq "other user: runs.intercept" agent "$(sql "$TMPD/u.db" "SELECT intercept FROM runs")"
	"$NUMAMMA" profile -v -s none -o "$TMPD/r.db" -- "$prog" threads 2 "$n" >/dev/null 2>"$TMPD/err"
	! grep -q "numamma's memfd not mapped" "$TMPD/err" ||
		fail "its own user: the agent did not map numamma's memfd"
else
	echo "note: other-user agent memfd not checked (needs root, setpriv and the agent)"
fi

# A signal handler that maps memory: main's calls all counted, the
# handler's too unless they interrupted an allocator call (then part of it).
"$prog" signal "$iter" >"$TMPD/native" 2>/dev/null
profile_ok "$TMPD/s.db" -- "$prog" signal "$iter" >"$TMPD/out" 2>"$TMPD/err"
assert_diff "signal: output" "$TMPD/native" "$TMPD/out"
handled=$(awk '{ print $2 }' "$TMPD/err")
rounds=$(sql "$TMPD/s.db" "SELECT sum(t.allocations) FROM callsite_totals t
			   JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			   WHERE f.function = 'main_alloc'")
assert_eq "signal: main's rounds a multiple of $iter" 0 $((rounds % iter))
in_handler=$(sql "$TMPD/s.db" "SELECT coalesce(sum(t.allocations), 0) FROM callsite_totals t
			       JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			       WHERE f.function = 'handler_alloc'")
assert_eq "signal: handler calls counted (the 10 outside allocator calls at least), at most one per signal" 1 \
	$((in_handler >= 10 && in_handler <= handled))

# A crowd: threads alive at once, each with 2 blocks.  Within the agent's
# table (8,192 threads), every call counted and runs.calls_lost 0; past
# it, the calls of the threads left out are counted in runs.calls_lost
# and said, never silently missing: counted + lost covers the crowd's.
# (The trap path has no such table.)
if [[ ${NUMAMMA_INTERCEPT:-auto} != trap ]]; then
	crowd_totals() {
		sql "$1" "SELECT coalesce(sum(t.allocations), 0) || '|' || coalesce(sum(t.frees), 0)
			  FROM callsite_totals t
			  JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
			  WHERE f.function = 'crowd_member'"
	}
	profile_ok "$TMPD/c.db" -- "$prog" crowd 100 2 >"$TMPD/out"
	assert_eq "crowd 100: allocations|frees" "200|200" "$(crowd_totals "$TMPD/c.db")"
	assert_eq "crowd 100: runs.calls_lost" 0 "$(sql "$TMPD/c.db" "SELECT calls_lost FROM runs")"
	"$prog" crowd 8300 2 >"$TMPD/native" || skip "cannot start 8,300 threads here: $(cat "$TMPD/native")"
	profile_ok "$TMPD/c.db" -- "$prog" crowd 8300 2 >"$TMPD/out" 2>"$TMPD/err"
	assert_diff "crowd 8300: output" "$TMPD/native" "$TMPD/out"
	lost=$(sql "$TMPD/c.db" "SELECT calls_lost FROM runs")
	IFS='|' read -r allocs frees <<<"$(crowd_totals "$TMPD/c.db")"
	echo "crowd 8300: $allocs allocations, $frees frees counted, $lost calls lost"
	assert_eq "crowd 8300: some calls lost, said" 1 $((lost > 0))
	# (Once, in a full run, numamma also fell 10 s behind during the
	# crowd's 8,300 exits: the warning then names both causes.)
	grep -Eq "allocator calls were not recorded(: it had more than| while numamma was behind, or past its) 8192 threads at once" "$TMPD/err" ||
		fail "crowd 8300: no warning: $(cat "$TMPD/err")"
	# Every allocation counted or lost: a thread left out loses its
	# mallocs, and its frees too, unless a thread that exited meanwhile
	# gave it a slot (then a free of a block numamma never saw, in no
	# call site's totals: once 43 of the 436, which the frees' share of
	# this check then missed).
	assert_eq "crowd 8300: counted + lost covers the crowd's 16,600 allocations" 1 \
		$((allocs + lost >= 16600 && allocs < 16600))
	assert_eq "crowd 8300: every counted block freed" "$allocs" "$frees"
fi
