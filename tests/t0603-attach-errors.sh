#!/bin/bash
# numamma profile -p refuses, with one clear line and exit status 125, a
# PID that does not exist, a zombie, a process already traced, one it may
# not trace (another user's, one made non-dumpable: the hint says which),
# and a 32-bit one; the process is left untouched and no profile is
# written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach-lib.sh"

# refused PID PATTERN [RUNNER...]: numamma profile -p PID, run by RUNNER,
# exits 125 and its first line matches PATTERN.
refused() {
	local pid=$1 pattern=$2 status=0; shift 2
	"$@" timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none \
		-o "$TMPD/out/refused.db" -p "$pid" >"$TMPD/out/stdout" 2>"$TMPD/out/err" || status=$?
	assert_eq "exit status for $pattern" 125 "$status"
	grep -Eq "^numamma: cannot attach to $pid: $pattern" <(head -n 1 "$TMPD/out/err") ||
		{ echo "FAIL: expected '$pattern', got: $(cat "$TMPD/out/err")" >&2; FAILED=1; }
	assert_eq "profile written for $pattern" no "$([[ -e $TMPD/out/refused.db ]] && echo yes || echo no)"
}

mkdir -m 777 "$TMPD/out"
chmod 755 "$TMPD"

pid_max=$(cat /proc/sys/kernel/pid_max)
for ((gone = pid_max - 1; gone > 300; gone--)); do [[ -e /proc/$gone ]] || break; done
refused "$gone" "no such process"

# A child that exited and that its parent (sleep) never reaps.
(sleep 0.2 & exec sleep 30) & parent=$!
wait_for "the zombie" eval "[[ -n \$(cat /proc/$parent/task/$parent/children) ]]"
zombie=$(cut -d' ' -f1 "/proc/$parent/task/$parent/children")
wait_for "the zombie to die" eval "grep -q '^State:[[:space:]]*Z' /proc/$zombie/status"
refused "$zombie" "it is a zombie"
kill "$parent"

build_prog attach-worker
start_worker -t 2
attach "$TMPD/first.db"
refused "$WPID" "already traced by process $(tracer_of "$WPID")"
kill -INT "$NPID"
detached_ok

# hinted PATTERN: numamma's hint, after a refusal, matches PATTERN.
hinted() {
	grep -q "^numamma: hint: $1" "$TMPD/out/err" ||
		{ echo "FAIL: no hint '$1': $(cat "$TMPD/out/err")" >&2; FAILED=1; }
}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
	refused "$WPID" "Permission denied" "${nobody[@]}"
	hinted "process $WPID runs as another user (uid 0): numamma needs CAP_SYS_PTRACE, or to run as that user"
	# nobody's own process, made non-dumpable.
	build_prog nondumpable
	# Its word, not its /proc files' owner: those are root's too while
	# setpriv, still root, has not yet become nobody.
	"${nobody[@]}" "$TMPD/nondumpable" pause >"$TMPD/out/nd" & nd=$!
	wait_for "the process to be non-dumpable" grep -q non-dumpable "$TMPD/out/nd"
	refused "$nd" "Permission denied" "${nobody[@]}"
	hinted "process $nd is non-dumpable (prctl(PR_SET_DUMPABLE, 0), or it changed its user or group IDs): only a tracer with CAP_SYS_PTRACE may trace it"
	kill "$nd"
fi
thread=$(ls /proc/$WPID/task | grep -vx "$WPID" | head -n 1)
refused "$thread" "it is a thread of process $WPID"
grep -q "^numamma: hint: attach to the whole process: -p $WPID" "$TMPD/out/err" ||
	{ echo "FAIL: no hint naming the process: $(cat "$TMPD/out/err")" >&2; FAILED=1; }
assert_eq "the worker after the refusals" "0" "$(tracer_of "$WPID")"
stop_worker 2

kthread=$(awk '$1 == "Name:" && $2 == "kthreadd" { print FILENAME }' /proc/[0-9]*/status 2>/dev/null |
	head -n 1 | cut -d/ -f3)
[[ -n $kthread ]] && refused "$kthread" "it is a kernel thread"
# numamma itself: the shell's pid becomes numamma's at its exec.
status=0
NUMAMMA=$NUMAMMA sh -c 'echo $$ >"$0"; exec "$NUMAMMA" profile -q -s none -p $$' "$TMPD/out/self" \
	2>"$TMPD/out/err" || status=$?
assert_eq "exit status for numamma itself" 125 "$status"
assert_eq "numamma itself refused" "numamma: cannot attach to $(cat "$TMPD/out/self"): that is numamma itself" \
	"$(cat "$TMPD/out/err")"
if echo 'int main(void){for(;;);}' | cc -m32 -x c -o "$TMPD/spin32" - 2>/dev/null; then
	"$TMPD/spin32" & spin=$!
	refused "$spin" "32-bit processes are not supported"
	kill "$spin"
else
	echo "no 32-bit compiler (gcc-multilib): the 32-bit case is not tested"
fi
