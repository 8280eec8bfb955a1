#!/bin/bash
# Worker processes: run's pin-child K pins the K-th process the program's
# first process forks, at its creation, so that its threads and its own
# children keep that cpu (a `pin` for thread rank 1 does not move the
# child's thread); a child no line names and --no-pin leave the cpus as
# they are.  advise plans the forked workers of a shared mapping (the
# 4-node guest's t9033 checks where their pages land) with pin-child
# lines, from a profile on this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"

build_prog fork-affinity
prog=$TMPD/fork-affinity
status=0
"$prog" >"$TMPD/native" || status=$?
assert_eq "native exit status" 4 "$status"
all=$(sed -n 's/^child 1: //p' "$TMPD/native")
[[ $all == 0-* || $all == 0,1* ]] || skip "pins to cpus 0 and 1 need both allowed (here: $all)"

run_pinned() {   # WHAT EXPECTED_OUTPUT ARGS...
	local what=$1 want=$2 status=0; shift 2
	"$NUMAMMA" run -q "$@" -- "$prog" >"$TMPD/out" 2>"$TMPD/err" || status=$?
	assert_eq "$what: exit status" 4 "$status"
	assert_eq "$what: cpus" "$want" "$(cat "$TMPD/out")"
}
printf 'numamma-policy 4\npin 1 0\npin-child 1 1\npin-child 2 node 0\n' >"$TMPD/children.policy"
run_pinned "pin-child" "child 1: 1
child 1 thread: 1
child 2: 0
grandchild: 0
child 3: $all" --policy="$TMPD/children.policy"
run_pinned "--no-pin" "$(cat "$TMPD/native")" --no-pin --policy="$TMPD/children.policy"

# pin-child is version 4: an older header is refused before the program runs.
printf 'numamma-policy 3\npin-child 1 1\n' >"$TMPD/v3.policy"
status=0
"$NUMAMMA" run --policy="$TMPD/v3.policy" -- "$prog" >"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "pin-child in a version 3 file: exit status" 125 "$status"
assert_eq "pin-child in a version 3 file: the program's output" "" "$(cat "$TMPD/out")"
grep -q "^numamma: .*line 2: pin-child needs 'numamma-policy 4'" "$TMPD/err" ||
	fail "pin-child in a version 3 file: error '$(cat "$TMPD/err")'"

# advise: 4 forked workers, each on its quarter of a shared mapping the
# parent initialised, planned as children 1-4 spread over 4 nodes.
sampler_available clock
cc -O2 -pthread -o "$TMPD/serial-init" "$TOP/tests/vm/progs/serial-init.c" -lnuma ||
	fail "cannot compile tests/vm/progs/serial-init.c"
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s clock -o "$TMPD/p.db" \
	-- "$TMPD/serial-init" forked 1000 >/dev/null || fail "profile of serial-init forked failed"
"$NUMAMMA" advise --nodes 4 -o "$TMPD/p.policy" "$TMPD/p.db" >"$TMPD/advise" ||
	fail "advise failed: $(cat "$TMPD/advise")"
for k in 1 2 3 4; do
	grep -Eq "^  child $k +tid .* -> node $((k % 4)) +pin to node $((k % 4))$" "$TMPD/advise" ||
		{ echo "FAIL: advise: no plan for child $k: $(cat "$TMPD/advise")" >&2; FAILED=1; }
done
assert_eq "policy version" "numamma-policy 4" "$(head -n 1 "$TMPD/p.policy")"
assert_eq "pin-child lines" "pin-child 1 node 1|pin-child 2 node 2|pin-child 3 node 3|pin-child 4 node 0" \
	"$(grep '^pin-child' "$TMPD/p.policy" | tr '\n' '|' | sed 's/|$//')"
grep -Eq "^mmap callsite .* block 1:0-25% 2:25-50% 3:50-75% 0:75-100%$" "$TMPD/p.policy" ||
	fail "no block rule for the shared mapping: $(cat "$TMPD/p.policy")"
exit 0
