# tests/attach-lib.sh — helpers of the attach tests (t06NN-*.sh); source it
# after lib.sh.  They drive tests/progs/attach-worker.c, a self-checking
# multi-threaded program, and `numamma profile -p`.

# Seconds any wait below may take before the test gives up.
ATTACH_WAIT=${ATTACH_WAIT:-20}

# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local what=$1 i; shift
	for ((i = 0; i < ATTACH_WAIT * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	fail "timed out waiting for $what"
}

# tracer_of PID: the TracerPid of process PID (0: untraced; empty: gone).
tracer_of() {
	awk '/^TracerPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

is_traced() { [[ $(tracer_of "$1") != 0 && -n $(tracer_of "$1") ]]; }
is_untraced() { [[ $(tracer_of "$1") == 0 ]]; }

# every_thread_untraced PID: no thread of PID has a tracer.
every_thread_untraced() {
	local s
	for s in /proc/"$1"/task/*/status; do
		grep -q '^TracerPid:[[:space:]]*0$' "$s" 2>/dev/null || [[ ! -e $s ]] || return 1
	done
}

# no_thread_stopped PID: no thread is stopped (state T or t).
no_thread_stopped() {
	! grep -hq '^State:[[:space:]]*[tT]' /proc/"$1"/task/*/status 2>/dev/null
}

signal_pending() {
	local mask
	mask=$(awk '/^ShdPnd:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[[ -n $mask ]] && (( (16#$mask >> ($2 - 1)) & 1 ))
}

# send_usr1 PID: sends SIGUSR1 and waits until the process took it, so
# that the next one cannot merge with it: every one sent is then one
# the program must count.
send_usr1() {
	kill -USR1 "$1" || fail "cannot signal $1"
	wait_for "SIGUSR1 to leave the pending set of $1" eval "! signal_pending $1 10"
	SENT=$((SENT + 1))
}

# start_worker ARGS...: runs attach-worker ARGS in the background until
# stop_worker; sets WPID once every thread runs.
start_worker() {
	rm -f "$TMPD/ready" "$TMPD/stop"
	"$TMPD/attach-worker" -s 600 -r "$TMPD/ready" -f "$TMPD/stop" "$@" \
		>"$TMPD/worker.out" 2>"$TMPD/worker.err" &
	WPID=$!
	SENT=0
	wait_for "attach-worker to start" test -e "$TMPD/ready"
}

# stop_worker NTHREADS: the worker must exit 0, with no failed check and
# every signal sent to it counted.
stop_worker() {
	local status=0
	touch "$TMPD/stop"
	wait "$WPID" || status=$?
	assert_eq "attach-worker's exit status" 0 "$status"
	assert_eq "attach-worker's output" "threads $1 signals $SENT errors 0" \
		"$(cat "$TMPD/worker.out")"
	[[ $status == 0 ]] || cat "$TMPD/worker.err" >&2
}

# attach DB [OPTIONS]: starts numamma profile -p WPID in the background
# under timeout (NPID), and waits until it traces the worker.  FRONT is
# the numamma process that timeout started.
attach() {
	local db=$1; shift
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" --all-objects -o "$db" "$@" -p "$WPID" \
		2>"$TMPD/numamma.err" &
	NPID=$!
	wait_for "numamma to attach to $WPID" is_traced "$WPID"
	FRONT=$(cut -d' ' -f1 "/proc/$NPID/task/$NPID/children")
}

# detached_ok: numamma exited 0 and left every thread untraced and running.
detached_ok() {
	local status=0
	wait "$NPID" || status=$?
	assert_eq "numamma's exit status" 0 "$status"
	[[ $status == 0 ]] || cat "$TMPD/numamma.err" >&2
	wait_for "every thread of $WPID to be untraced" every_thread_untraced "$WPID"
	wait_for "every thread of $WPID to run" no_thread_stopped "$WPID"
}

# check_profile DB NTHREADS: the profile lists the process, the main
# thread and the workers with their stacks, heap objects allocated while
# attached, and an object holding the 1 MiB block allocated before the
# attach (a sample there must land on a named object).
check_profile() {
	local db=$1 early
	early=$(cat "$TMPD/ready")
	assert_eq "process and what it runs in $db" "$WPID|$(readlink "/proc/$WPID/exe")" \
		"$(sql "$db" "SELECT pid, exe FROM processes")"
	assert_eq "threads and stacks in $db (at least main and workers)" "1|1" \
		"$(sql "$db" "SELECT count(*) >= $2 + 1 FROM threads WHERE pid = $WPID")|$(sql "$db" \
		  "SELECT count(*) >= $2 + 1 FROM objects WHERE kind = 'stack'")"
	assert_eq "heap objects in $db" 1 \
		"$(sql "$db" "SELECT count(*) > 0 FROM objects WHERE kind = 'heap'")"
	assert_eq "an object holds the early block in $db" 1 \
		"$(sql "$db" "SELECT count(*) > 0 FROM objects
			     WHERE address <= $early AND $early < address + size")"
}
