#!/bin/bash
# A program that sandboxes itself with a seccomp filter killing it at
# system calls it never makes, then allocates from a new thread, a fork
# child and an exec'd child, runs under numamma (profile, run) as alone:
# - the agent makes none of gettid, clock_gettime (glibc reads the clock
#   from the vDSO), and numamma injects neither open (openat, as glibc)
#   nor memfd_create: every part's 2 MiB block is recorded, under its own
#   process and thread;
# - where the filter kills a shared FUTEX_WAIT, the agent's threads spin
#   while their ring is full (numamma held up meanwhile), none lost: the
#   filter seen at a thread's first stop, or counted in /proc when the
#   program stops no more, or learnt by the agent from the prctl() that
#   installs it (a storm at once after it);
# - the agent rings numamma's doorbell (kill(2), SIGURG) when a ring
#   passes a thousand records (half full while numamma is busy); where the
#   filter kills that kill, it rings none, and its
#   rings wait for numamma's polls, none lost;
# - where numamma would have to make a call the filter kills (openat for
#   writing), it does not, and takes another way: the child's anonymous
#   shared memory for the agent's region (root), else traps;
# - numamma without the right to read the filter (not root) injects
#   nothing into a process that has one; but for one it runs under itself
#   (a container's), which its programs inherit.
. "$(dirname "$0")/lib.sh"

build_prog sandboxed

# profile NAME DENY...: the program natively and under numamma (run by
# "${as[@]}"), outputs compared; numamma's messages in $TMPD/NAME.err, its
# profile NAME.db.
profile() {
	local name=$1; shift
	"$dir/sandboxed" "$@" >"$TMPD/$name.native" 2>&1
	timeout "$PROFILE_TIMEOUT" "${as[@]}" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" \
		-o "$dir/$name.db" -- "$dir/sandboxed" "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err" ||
		fail "numamma profile ($name) exited $?: $(tail -3 "$TMPD/$name.err")"
	assert_diff "the sandboxed program's output ($name)" "$TMPD/$name.native" "$TMPD/$name.out"
}

# blocks DB WHERE: the 2 MiB blocks recorded, by the main process's second
# thread (thread), by the children's main threads (children).
blocks() {
	local main
	main=$(sql "$1" "SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1")
	case $2 in
	thread) sql "$1" "SELECT count(*) FROM objects o JOIN threads t ON t.tid = o.tid AND t.pid = o.pid
			  WHERE o.kind = 'heap' AND o.size = 2097152 AND o.pid = $main AND o.tid != $main" ;;
	children) sql "$1" "SELECT count(*) FROM objects o JOIN processes p ON p.pid = o.pid
			    WHERE o.kind = 'heap' AND o.size = 2097152 AND p.ppid = $main AND o.tid = o.pid" ;;
	esac
}

as=() dir=$TMPD
profile quiet gettid clock_gettime open memfd_create
assert_eq "numamma's messages" "" "$(cat "$TMPD/quiet.err")"
assert_eq "the thread's block, by a second thread of the main process" 1 "$(blocks "$dir/quiet.db" thread)"
if [[ $(id -u) != 0 ]]; then
	echo "not root: numamma may not read the filters: the children's blocks not checked"
	exit 0
fi
assert_eq "the children's blocks, each by its own process" 2 "$(blocks "$dir/quiet.db" children)"

# numamma run, the filter killing mbind and move_pages: where a process
# has a filter, its agent binds and counts no block itself (its fork and
# its exec'd child, their blocks' kind decided already, died of SIGSYS
# at the agent's mbind), numamma places them at stops, and the program
# runs as alone.
"$dir/sandboxed" mbind move_pages >"$TMPD/placed.native" 2>&1
timeout "$PROFILE_TIMEOUT" "$NUMAMMA" run -q --interleave=all "${INTERCEPT_OPT[@]}" \
	-- "$dir/sandboxed" mbind move_pages >"$TMPD/placed.out" 2>"$TMPD/placed.err" ||
	fail "numamma run (mbind killed) exited $?: $(tail -3 "$TMPD/placed.err")"
assert_diff "the sandboxed program's output under run" "$TMPD/placed.native" "$TMPD/placed.out"

# openat for writing killed: the agent's region (numamma's memfd, opened
# read-write; the program's own, memfd_create, killed too) cannot be
# mapped in the children: it is their own anonymous shared memory then,
# which numamma (root) maps through /proc/PID/map_files, without a word;
# the agent's, not a mapping of the program's.  (Each allocator call of
# man's pipelines, sandboxed so, was a trap: `man bash` took 11 times its
# time.)
profile refused openat-rw memfd_create
assert_eq "numamma's messages" "" "$(cat "$TMPD/refused.err")"
assert_eq "the children's blocks" 2 "$(blocks "$dir/refused.db" children)"
assert_eq "the thread's block (the filter came after the agent)" 1 "$(blocks "$dir/refused.db" thread)"
assert_eq "mappings of /dev/zero taken for the program's" 0 \
	"$(sql "$dir/refused.db" "SELECT count(*) FROM objects WHERE name LIKE '/dev/zero%'")"
if [[ ${NUMAMMA_INTERCEPT-} != trap ]]; then
	"$NUMAMMA" profile -v -s none -o "$dir/v.db" -- "$dir/sandboxed" openat-rw memfd_create \
		2>&1 >/dev/null | grep -E "shared memory instead|trapped instead" >"$TMPD/regions"
	# The fork child's region, the exec'd child's as a fork, then its own.
	assert_eq "agent regions of anonymous shared memory" 3 \
		"$(grep -c "anonymous shared memory instead" "$TMPD/regions")"
	assert_eq "children trapped instead" 0 "$(grep -c "trapped instead" "$TMPD/regions")"
fi

# A filter that kills arch_prctl(ARCH_GET_FS), which the exec'd child
# inherits: the agent would ask it whether a static program's thread
# pointer is set yet (it died of SIGSYS so); numamma finds it set at the
# loader's stop instead, and nothing is lost.  In a static program, which
# has no such stop, the calls made meanwhile are counted lost, and said.
profile getfs get-fs
assert_eq "numamma's messages (get-fs)" "" "$(cat "$TMPD/getfs.err")"
assert_eq "the children's blocks (get-fs)" 2 "$(blocks "$dir/getfs.db" children)"
assert_eq "calls lost (get-fs)" 0 "$(sql "$dir/getfs.db" "SELECT calls_lost FROM runs")"
if [[ ${NUMAMMA_INTERCEPT-} != trap && -f $(cc -print-file-name=libc.a) ]]; then
	cc -O0 -g -pthread -static -o "$TMPD/sandboxed-static" "$PROGS/sandboxed.c" ||
		fail "cannot compile tests/progs/sandboxed.c statically"
	"$TMPD/sandboxed-static" get-fs >"$TMPD/static.native" 2>&1
	"$NUMAMMA" profile -q -s none -o "$dir/static.db" -- "$TMPD/sandboxed-static" get-fs \
		>"$TMPD/static.out" 2>"$TMPD/static.err" || fail "numamma profile (static, get-fs) exited $?"
	assert_diff "the static program's output (get-fs)" "$TMPD/static.native" "$TMPD/static.out"
	grep -q "allocator calls were not recorded, made while its thread pointer was unknown" \
		"$TMPD/static.err" || fail "the calls lost not said: $(cat "$TMPD/static.err")"
fi

# A storm of calls while numamma is stopped 300 ms (the program stops it):
# its ring full, the thread waits for room, spinning where the filter
# kills the futex numamma wakes; none of its calls lost.  (The agent's:
# traps, a stop per call, would take minutes.)
if [[ ${NUMAMMA_INTERCEPT-} != trap ]]; then
	SANDBOXED_STORM=1000000 profile storm futex-wait
	assert_eq "calls lost" 0 "$(sql "$dir/storm.db" "SELECT calls_lost FROM runs")"
	assert_eq "the storm's calls, counted" 1 "$(sql "$dir/storm.db" "SELECT sum(allocations) >= 1000000
		AND sum(frees) >= 1000000 FROM callsite_totals")"
	SANDBOXED_LATE=1 SANDBOXED_STORM=1000000 profile late futex-wait
	# The storm right after the filter, before any stop of numamma's or its
	# next look in /proc: the doorbell and the futex were turned off as the
	# program called prctl(PR_SET_SECCOMP) (it died of SIGSYS before).
	SANDBOXED_NOW=1 SANDBOXED_STORM=1000000 profile now kill-urg futex-wait
	assert_eq "calls lost (a storm at once)" 0 "$(sql "$dir/now.db" "SELECT calls_lost FROM runs")"
	assert_eq "the storm's calls, counted (at once)" 1 "$(sql "$dir/now.db" "SELECT
		sum(allocations) >= 1000000 AND sum(frees) >= 1000000 FROM callsite_totals")"
	assert_eq "calls lost (the main thread's storm)" 0 "$(sql "$dir/late.db" "SELECT calls_lost FROM runs")"
	# The doorbell: rung by the storm; not where the filter kills kill.
	SANDBOXED_STORM=1000000 profile nobell kill-urg
	assert_eq "calls lost (no doorbell)" 0 "$(sql "$dir/nobell.db" "SELECT calls_lost FROM runs")"
	for deny in "" kill-urg; do
		SANDBOXED_STORM=1000000 "$NUMAMMA" profile -v -s none -o "$dir/v.db" \
			-- "$dir/sandboxed" $deny 2>&1 >/dev/null | grep -E "doorbells heard" >"$TMPD/bells"
		rung=$(grep -cE ': [1-9][0-9]* doorbells heard' "$TMPD/bells")
		if [[ -z $deny ]]; then
			[[ $rung -ge 1 ]] || fail "no doorbell heard in a storm: $(cat "$TMPD/bells")"
		else
			assert_eq "processes that rang, the filter killing kill" 0 "$rung"
			grep -q "none rung: no doorbell" "$TMPD/bells" ||
				fail "the doorbell not turned off by the filter: $(cat "$TMPD/bells")"
		fi
	done
	for late in "" 1; do
		SANDBOXED_LATE=$late SANDBOXED_STORM=1000000 "$NUMAMMA" profile -v -s none -o "$dir/v.db" \
			-- "$dir/sandboxed" futex-wait 2>&1 >/dev/null | grep -E "waits for room" >"$TMPD/spun"
		assert_eq "the main process spun, waiting for room (late: '$late')" 1 \
			"$(grep -cE 'process [0-9]+: [1-9][0-9]* waits for room' "$TMPD/spun")"
	done
fi

# numamma in a container: under a filter of its own (here one that fails
# perf_event_open), which makes it unable to read any; a program that adds
# none is recorded whole, without a word.
build_prog deny-syscall
as=("$TMPD/deny-syscall" perf_event_open 1 --)
profile container
assert_eq "numamma's messages (in a container)" "" "$(cat "$TMPD/container.err")"
assert_eq "the thread's block (in a container)" 1 "$(blocks "$dir/container.db" thread)"
assert_eq "the children's blocks (in a container)" 2 "$(blocks "$dir/container.db" children)"

# numamma not root may not read the filters: it injects nothing into the
# children, says why, and the program runs as alone.
as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! command -v setpriv >/dev/null || ! "${as[@]}" test -x "$NUMAMMA"; then
	echo "numamma not run as nobody: no setpriv, or $NUMAMMA out of its reach"
else
	dir=$TMPD/nobody
	chmod 0711 "$TMPD"      # nobody goes through to its own folder
	mkdir -m 0777 "$dir"
	cp "$TMPD/sandboxed" "$dir/"
	profile unread gettid clock_gettime open memfd_create
	# The exec'd child: not even a scratch page for traps, said.
	grep -q "process [0-9]*: no scratch page for its hooks (its seccomp filter, which numamma may not read without CAP_SYS_ADMIN, may forbid mmap): its allocator calls go unrecorded" \
		"$TMPD/unread.err" || fail "no word of the filter it may not read: $(cat "$TMPD/unread.err")"
	assert_eq "the thread's block, numamma not root" 1 "$(blocks "$dir/unread.db" thread)"
	assert_eq "the fork child's block, by traps (numamma not root)" 1 "$(blocks "$dir/unread.db" children)"
fi
