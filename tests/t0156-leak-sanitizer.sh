#!/bin/bash
# An AddressSanitizer program behaves as it does alone: LeakSanitizer's
# check at each process's exit stops the threads with ptrace, which failed
# on threads numamma traces ("LeakSanitizer has encountered a fatal
# error", exit status 1).  numamma lets each process go as its check
# starts: the program's output and status are its own, a leak is reported
# with the caller's frame (the agent's frame keeps the frame-pointer chain
# ASan walks), and what came before the check is all in the profile.
. "$(dirname "$0")/lib.sh"

echo 'int main(void) { return 0; }' | cc -fsanitize=address -x c -o "$TMPD/probe" - 2>/dev/null ||
	skip "the compiler cannot build with -fsanitize=address here"
build_prog lsan-exit -fsanitize=address
export ASAN_OPTIONS=detect_leaks=1

for leak in "" leak; do
	status=0
	"$TMPD/lsan-exit" $leak >"$TMPD/native.out" 2>"$TMPD/native.err" || status=$?
	pstatus=0
	profile "$TMPD/p$leak.db" -- "$TMPD/lsan-exit" $leak >"$TMPD/out" 2>"$TMPD/err" || pstatus=$?
	assert_diff "output${leak:+ (leaking)}" "$TMPD/native.out" "$TMPD/out"
	assert_eq "exit status${leak:+ (leaking)}" "$status" "$pstatus"
	! grep -q "LeakSanitizer has encountered a fatal error" "$TMPD/err" ||
		fail "LeakSanitizer could not run under numamma: $(cat "$TMPD/err")"
	assert_eq "numamma's notice, once" 1 "$(grep -c "LeakSanitizer's check, which needs ptrace" "$TMPD/err")"
	[[ -n $leak ]] || assert_eq "status without a leak" 3 "$pstatus"
done
grep -q "SUMMARY: AddressSanitizer: 4096 byte(s) leaked in 1 allocation(s)" "$TMPD/err" ||
	fail "the leak is not reported: $(cat "$TMPD/err")"
# The trap path's return trampoline stands in the caller's slot (numamma(1)).
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] || grep -q " in main .*lsan-exit.c:" "$TMPD/err" ||
	fail "the leak's stack lost the caller's frame: $(cat "$TMPD/err")"

assert_eq "the workers' calls (allocations|frees)" "6000|6000" \
	"$(sql "$TMPD/p.db" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
				JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
				WHERE f.function = 'work'")"
# The program's end as it was; its fork child's at the let-go, its status
# unknown to numamma (not its child).
assert_eq "processes (parent known|ended|status)" "0|1|3
1|1|" "$(sql "$TMPD/p.db" "SELECT ppid IN (SELECT pid FROM processes), end_ns IS NOT NULL,
				  exit_status FROM processes ORDER BY start_ns")"
