#!/bin/bash
# numamma's tracer killed (SIGKILL, the OOM killer) while it profiles a
# launched program: the watchdog (the front process) puts back every trap
# byte and return address, adopts the program as its subreaper, and exits
# as the program does.  The program here is between allocator calls at
# the kill (a thread stopped at one of our traps at that instant cannot
# be saved: see WATCHDOG in the man page); it allocates again afterwards,
# which an int3 left behind would turn into a SIGTRAP.
. "$(dirname "$0")/lib.sh"

prog=(sh -c 'x=1; sleep 1.5; for i in 1 2 3; do x="$x$i"; done; ls / >/dev/null; echo "after $x"; exit 7')
# tracer_of FRONT WHAT: the tracer under numamma's front process.
tracer_of() {
	local tracer
	for ((i = 0; i < 50; i++)); do
		tracer=$(pgrep -P "$1" -x numamma) && break
		sleep 0.05
	done
	[[ -n $tracer ]] || fail "$2: no tracer under numamma's front process"
	echo "$tracer"
}

# The front process is a program of its own once it has started the
# tracer (watchdog/, exec'd from a memfd), named and shown as numamma was;
# where no memfd may be executable (vm.memfd_noexec = 2, set here in a pid
# namespace of its own) numamma forks the tracer and watches in place.
# Both ways, the program outlives its tracer.
killed_tracer() {   # killed_tracer WHAT EXE_PATTERN [PREFIX...]
	local what=$1 exe=$2 runner front status
	shift 2
	"$@" "$NUMAMMA" profile -q -s none -o "$TMPD/p.db" -- "${prog[@]}" \
		>"$TMPD/out" 2>"$TMPD/err" &
	runner=$!
	front=$runner
	if (($# > 0)); then
		for ((i = 0; i < 50; i++)); do
			front=$(pgrep -P $runner -x numamma) && break
			sleep 0.05
		done
		[[ -n $front ]] || fail "$what: no numamma under $*: $(cat "$TMPD/err")"
	fi
	tracer=$(tracer_of $front "$what") || exit 1
	# The tracer is there before the front process's exec.
	for ((i = 0; i < 50; i++)); do
		[[ $(readlink /proc/$front/exe) == $exe ]] && break
		sleep 0.05
	done
	[[ $(readlink /proc/$front/exe) == $exe ]] ||
		fail "$what: the front process runs $(readlink /proc/$front/exe), not $exe"
	assert_eq "$what: the front process's command line" \
		"$NUMAMMA profile -q -s none -o $TMPD/p.db -- ${prog[*]}" "$(tr '\0' ' ' </proc/$front/cmdline | sed 's/ $//')"
	sleep 0.7
	kill -KILL "$tracer"
	status=0
	wait $runner || status=$?
	assert_eq "$what: the program's exit status" 7 "$status"
	assert_eq "$what: the program's output" "after 1123" "$(cat "$TMPD/out")"
	grep -q "^numamma: the tracer died (Killed): put back [1-9][0-9]* of its trap bytes" "$TMPD/err" ||
		fail "$what: no repair said: $(cat "$TMPD/err")"
	rm -f "$TMPD"/p.db*     # the profile of a killed tracer, and its journal
}
killed_tracer "sh" "/memfd:numamma (deleted)"
if [[ $(id -u) == 0 && -e /proc/sys/vm/memfd_noexec ]] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	killed_tracer "sh, no executable memfd" "$NUMAMMA" \
		unshare --pid --fork --mount-proc sh -c 'echo 2 >/proc/sys/vm/memfd_noexec && exec "$@"' sh
else
	echo "no pid namespace with vm.memfd_noexec of its own here: the forked watchdog is not tested"
fi

# With the agent (no trap at the allocators), even a program in the middle
# of a 2-thread allocation storm survives its tracer's death: the watchdog
# turns the agent off and the storm runs on to its own end.
if "$NUMAMMA" profile -q -s none --intercept=agent -o "$TMPD/probe.db" -- /bin/true 2>/dev/null; then
	cc -O2 -pthread -o "$TMPD/storm" "$TOP/bench/malloc-storm.c" || fail "cannot build the storm"
	# 5M iterations: about 0.4 s alone, still storming at the kill.
	want=$("$TMPD/storm" 5000000)
	for round in 1 2 3; do
		"$NUMAMMA" profile -q -s none --intercept=agent -o "$TMPD/s$round.db" -- "$TMPD/storm" 5000000 \
			>"$TMPD/sout" 2>"$TMPD/serr" &
		front=$!
		tracer=$(tracer_of $front "storm $round") || exit 1
		sleep 0.2
		kill -KILL "$tracer" || fail "storm $round: the tracer had already ended"
		status=0
		wait $front || status=$?
		assert_eq "storm $round: the program's exit status" 0 "$status"
		assert_eq "storm $round: the program's output" "$want" "$(cat "$TMPD/sout")"
	done
else
	echo "the agent cannot run here: the storm case is not tested"
fi

# The tracer failing on its own once the program runs (out of memory: an
# address-space limit numamma cannot lift, set here on the tracer alone)
# is no more the program's end than the tracer's death.  The tracer's own
# thread lets the program go with memory it held back for that, then
# waits for its end and exits 125; a failure in another of its threads
# leaves the program to the watchdog, as above.  Either way the program
# runs on to its own end, its output whole.  1.6 million live blocks: the
# tracer's tables outgrow the 32 MiB its heap starts with.
command -v prlimit >/dev/null || skip "prlimit is not installed (util-linux)"
cat >"$TMPD/hoard.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *kept[1600000];
int main(void)
{
	unsigned long sum = 0;

	for (int i = 0; i < 1600000; i++) {
		kept[i] = malloc(16 + i % 64);
		sum += i % 64;
		if (i % 80000 == 0)
			usleep(20000);
	}
	for (int i = 0; i < 1600000; i++)
		free(kept[i]);
	printf("hoarded %lu\n", sum);
	return 3;
}
C
cc -O2 -o "$TMPD/hoard" "$TMPD/hoard.c" || fail "cannot build the hoarding program"
want=$("$TMPD/hoard")
"$NUMAMMA" profile -q -s none -o "$TMPD/h.db" -- "$TMPD/hoard" >"$TMPD/hout" 2>"$TMPD/herr" &
front=$!
tracer=$(tracer_of $front "hoard") || exit 1
sleep 0.1
prlimit --pid "$tracer" --as=4096 || fail "cannot limit the tracer's address space"
status=0
wait $front || status=$?
assert_eq "hoard: the program's output" "$want" "$(cat "$TMPD/hout")"
[[ $status == 3 || $status == 125 ]] ||
	fail "hoard: numamma exited $status, neither the program's 3 nor its own failure's 125: $(cat "$TMPD/herr")"
grep -q "^numamma: out of memory" "$TMPD/herr" || fail "hoard: the tracer did not fail: $(cat "$TMPD/herr")"
