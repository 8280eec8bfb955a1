#!/bin/bash
# numamma run on this (one-node) machine: placement works and says it is
# moot, output and exit status are mirrored, the placement is verified and
# stored; a bad policy stops everything before the program starts.
. "$(dirname "$0")/lib.sh"

build_prog marker
build_prog alloc-threads
prog=$TMPD/marker

# --interleave=all: runs, mirrors status 3 and output, verifies, stores.
status=0
"$NUMAMMA" run --interleave=all -o "$TMPD/r.db" -- "$prog" "$TMPD/ran" 3 >"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "run exit status" 3 "$status"
assert_eq "run output" "marker ran" "$(cat "$TMPD/out")"
[[ -f $TMPD/ran ]] || fail "the program did not run"
grep -q "one NUMA node: placement is moot" "$TMPD/err" || fail "no 'moot' notice: $(cat "$TMPD/err")"
grep -q "^numamma: run: placed [1-9][0-9]* objects; .*(100.0%)" "$TMPD/err" ||
	fail "no verification summary: $(cat "$TMPD/err")"
# The 4 MiB heap block and the 1 MiB static are placed and checked: every
# present page on an intended node.
assert_eq "placement rows for the heap block and the table" "heap|1|static|1" \
	"$(sql "$TMPD/r.db" "SELECT o.kind, count(*) FROM placement p JOIN objects o ON o.id = p.object_id
			     WHERE o.size IN (4194304, 1048576) AND p.present = p.on_intended AND p.present > 0
			     GROUP BY o.kind ORDER BY o.kind" | tr '\n' '|' | sed 's/|$//')"
assert_eq "runs.mode" "run" "$(sql "$TMPD/r.db" "SELECT mode FROM runs")"
"$NUMAMMA" report "$TMPD/r.db" >"$TMPD/report" || fail "report of a run failed"
grep -A3 "^Placement (numamma run)" "$TMPD/report" | grep -Eq "heap +4.0 MiB +1023 +100.0% +0 +2 +0:1023" ||
	fail "report: no placement line for the heap block: $(cat "$TMPD/report")"

# --bind=0 --verify: one line per placed object.
"$NUMAMMA" run --bind=0 --verify -- "$prog" "$TMPD/ran" >/dev/null 2>"$TMPD/err" || fail "run --bind=0 failed"
grep -q "^numamma: run: object .* heap malloc 4194304 bytes: .*bind.*on intended node 1023, never touched 0, skipped 2 (shared with a neighbour)" "$TMPD/err" ||
	fail "--verify: no line for the heap block: $(cat "$TMPD/err")"

# exit() while another thread runs: the pages are still checked.
build_prog exit-threads
"$NUMAMMA" run --bind=0 --verify -- "$TMPD/exit-threads" >/dev/null 2>"$TMPD/err" || fail "run of exit-threads failed"
grep -q "^numamma: run: object .* heap malloc 4194304 bytes: .*present 1023, on intended node 1023" "$TMPD/err" ||
	fail "exit with threads running: heap block not checked: $(cat "$TMPD/err")"

# --no-follow: a forked child runs free, nothing of it placed or stored.
build_prog fork-exec
"$NUMAMMA" run -q --bind=0 --no-follow -o "$TMPD/nf.db" -- "$TMPD/fork-exec" fork >"$TMPD/out" ||
	fail "run --no-follow failed"
assert_eq "--no-follow: processes in the run" 1 "$(sql "$TMPD/nf.db" "SELECT count(*) FROM processes")"
assert_eq "--no-follow: placements outside the parent" 0 \
	"$(sql "$TMPD/nf.db" "SELECT count(*) FROM placement WHERE pid != (SELECT pid FROM processes)")"

# A profile as policy: the program's own profile.
"$NUMAMMA" profile -q -s none -o "$TMPD/p.db" -- "$TMPD/alloc-threads" >/dev/null || fail "profile failed"
"$NUMAMMA" run -q --policy="$TMPD/p.db" -- "$TMPD/alloc-threads" >"$TMPD/out" || fail "run --policy=db failed"
assert_eq "output under a profile policy" "done 400" "$(cat "$TMPD/out")"

# A wrapper that execs the program (a shell's exec, a #! line's env): the
# policy names the first program too, which run checks it against first.
"$NUMAMMA" profile -q -s none -o "$TMPD/w.db" -- sh -c "exec '$TMPD/alloc-threads'" >/dev/null ||
	fail "profile of a wrapper failed"
status=0
"$NUMAMMA" run --strict --policy="$TMPD/w.db" -- sh -c "exec '$TMPD/alloc-threads'" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "a wrapper's run under its own profile (--strict): exit status" 0 "$status"
assert_eq "a wrapper's run: output" "done 400" "$(cat "$TMPD/out")"
grep -q "made for" "$TMPD/err" && fail "a wrapper's own profile was refused: $(cat "$TMPD/err")"

# Bad policies: one error line, exit 125, and the program never ran.
not_started() {   # WHAT EXPECTED_ERROR ARGS...
	local what=$1 want=$2 status=0; shift 2
	rm -f "$TMPD/ran"
	"$NUMAMMA" run "$@" -- "$prog" "$TMPD/ran" >"$TMPD/out" 2>"$TMPD/err" || status=$?
	assert_eq "$what: exit status" 125 "$status"
	[[ -e $TMPD/ran ]] && { echo "FAIL: $what: the program ran" >&2; FAILED=1; }
	grep -q "^numamma: .*$want" "$TMPD/err" || { echo "FAIL: $what: error '$(cat "$TMPD/err")'" >&2; FAILED=1; }
}
not_started "unknown node" "node 7" --bind=7
printf 'numamma-policy 1\ndefault bind 0\npin 1 0\nthis is not a rule\n' >"$TMPD/bad.policy"
not_started "malformed line" "line 4" --policy="$TMPD/bad.policy"
printf 'numamma-policy 1\ndefault bind 9\n' >"$TMPD/node.policy"
not_started "unknown node in a policy file" "line 2.*node 9" --policy="$TMPD/node.policy"
not_started "missing policy" "cannot open" --policy="$TMPD/none.policy"
not_started "no placement" "no placement given"

# A policy made for another binary: warns and places nothing, or is
# refused with --strict before main runs.
"$NUMAMMA" advise "$TMPD/p.db" -o "$TMPD/other.policy" >/dev/null || fail "advise -o failed"
grep -q "^binary buildid:" "$TMPD/other.policy" || fail "no binary line in $(cat "$TMPD/other.policy")"
"$NUMAMMA" run --policy="$TMPD/other.policy" -- "$prog" "$TMPD/ran" >/dev/null 2>"$TMPD/err" ||
	fail "mismatched policy without --strict must still run: $(cat "$TMPD/err")"
grep -q "warning: .*another binary\|warning: .*made for" "$TMPD/err" || fail "no mismatch warning: $(cat "$TMPD/err")"
grep -q "placed 0 objects" "$TMPD/err" || fail "a mismatched policy placed objects: $(cat "$TMPD/err")"
not_started "--strict mismatch" "another binary" --strict --policy="$TMPD/other.policy"
exit 0
