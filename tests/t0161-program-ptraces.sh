#!/bin/bash
# A program that traces or asks to be traced behaves as it does alone: a
# debugger's inferior (ptrace(PTRACE_TRACEME) in a fork child, as gdb's),
# a process attaching to its child (PTRACE_ATTACH, PTRACE_SEIZE, as strace
# and gdb -p), a program checking for a debugger.  Under numamma each of
# these calls failed ("Operation not permitted": a thread has one tracer);
# numamma now lets the process to be traced go at the call, says so once,
# and keeps profiling the others.
. "$(dirname "$0")/lib.sh"

build_prog ptracer
prog=$TMPD/ptracer
trap_path=false
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && trap_path=true

modes=(traceme vfork attach seize self)
# syscall(SYS_ptrace, ...) is seen by the agent's hook of syscall(3); the
# trap path stops at no syscall(3) (numamma(1)).
$trap_path || modes+=(syscall)
for mode in "${modes[@]}"; do
	status=0
	"$prog" $mode >"$TMPD/native" 2>&1 || status=$?
	assert_eq "$mode: native status" 0 "$status"
	pstatus=0
	profile "$TMPD/$mode.db" -- "$prog" $mode >"$TMPD/out" 2>"$TMPD/err" || pstatus=$?
	assert_diff "$mode: output under numamma" "$TMPD/native" "$TMPD/out"
	assert_eq "$mode: exit status under numamma" "$status" "$pstatus"
	assert_eq "$mode: numamma's notice, once" 1 "$(grep -c "numamma lets .* go there" "$TMPD/err")"
	# The parent's calls before and after, every one (churn(1000) twice;
	# self: the process let go at its call, only the first thousand).
	want=2000
	[[ $mode == self ]] && want=1000
	assert_eq "$mode: the program's calls recorded" "$want|$want" \
		"$(sql "$TMPD/$mode.db" "SELECT sum(t.allocations), sum(t.frees)
			FROM callsite_totals t JOIN frames f ON f.callsite_id = t.callsite_id
			AND f.depth = 0 WHERE f.function = 'churn'
			AND t.pid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)")"
done
# The process let go ends there for numamma; the launched program's end
# still comes to numamma, its parent.
assert_eq "traceme: processes (first|ended|status)" "1|1|0
0|1|" "$(sql "$TMPD/traceme.db" "SELECT rowid = 1, end_ns IS NOT NULL, exit_status
				  FROM processes ORDER BY start_ns, rowid")"

# Let go, then traced again by its parent, numamma: a signal stops it,
# which numamma passes on as it lets it go for good (alone, the shell
# that is its parent would leave it stopped: not run here).
pstatus=0
profile "$TMPD/self-signal.db" -- "$prog" self-signal >"$TMPD/out" 2>"$TMPD/err" || pstatus=$?
assert_eq "self-signal: output" "traced by its parent
SIGUSR1 handled" "$(cat "$TMPD/out")"
assert_eq "self-signal: exit status" 0 "$pstatus"

# Real tracers, where installed: strace -f and gdb starting its inferior.
if command -v strace >/dev/null; then
	strace -f -qq -e trace=none /bin/echo traced >"$TMPD/native" 2>&1
	pstatus=0
	profile "$TMPD/strace.db" -- strace -f -qq -e trace=none /bin/echo traced \
		>"$TMPD/out" 2>"$TMPD/err" || pstatus=$?
	assert_diff "strace -f under numamma" "$TMPD/native" "$TMPD/out"
	assert_eq "strace -f: exit status" 0 "$pstatus"
fi
# gdb's inferior is a vfork child: on the trap path its call stops at a
# breakpoint in the memory it shares with gdb, which stays for gdb; let
# go, it steps over it.
if command -v gdb >/dev/null; then
	gdb -batch -ex run --args /bin/echo debugged 2>&1 | sed 's/process [0-9]*/process N/' \
		>"$TMPD/native"
	profile "$TMPD/gdb.db" -- gdb -batch -ex run --args /bin/echo debugged 2>"$TMPD/err" |
		sed 's/process [0-9]*/process N/' >"$TMPD/out"
	grep -v '^numamma: ' "$TMPD/err" >>"$TMPD/out"
	assert_diff "gdb under numamma" "$TMPD/native" "$TMPD/out"
fi
exit 0
