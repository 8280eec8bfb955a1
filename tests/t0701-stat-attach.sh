#!/bin/bash
# numamma stat -p PID: counts a running process's existing threads and
# the ones they create, for --duration or until it exits; refusals.
. "$(dirname "$0")/lib.sh"

build_prog touch-pages
pages=2000
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# perf_event fds open in process $1 (numamma's counters are ready).
perf_fds() { ls -l /proc/$1/fd 2>/dev/null | grep -c 'perf_event'; }

# Until the process exits: a thread it creates after the attach touches
# the pages; numamma ends with it.
"$TMPD/touch-pages" $pages signal >"$TMPD/prog.out" 2>/dev/null &
prog=$!
for ((i = 0; i < 200; i++)); do grep -qs waiting "$TMPD/prog.out" && break; sleep 0.05; done
"$NUMAMMA" stat -j -o "$TMPD/a.json" -p $prog &
stat=$!
# Six software events at least, each open once on the one thread.
for ((i = 0; i < 200 && $(perf_fds $stat) < 6; i++)); do sleep 0.05; done
(( $(perf_fds $stat) >= 6 )) || fail "numamma stat -p opened no counters"
kill -USR1 $prog
wait $prog
status=0
timeout 30 tail --pid=$stat -f /dev/null || fail "numamma stat -p did not end with the process"
wait $stat || status=$?
assert_eq "attach until exit: status" 0 "$status"
got=$(json "$TMPD/a.json" "j['events']['page-faults']['value']")
((got >= pages)) || fail "attach: $got page faults, want >= $pages"
assert_eq "attach: mode" "attach True" "$(json "$TMPD/a.json" "j['mode'], j['exited_meanwhile']" | tr -d "(),'")"

# --duration: a process that goes on; its pages at the end are read.
"$TMPD/touch-pages" $pages signal >/dev/null 2>&1 &
prog=$!
start=$(date +%s%N)
"$NUMAMMA" stat -j -o "$TMPD/d.json" -p $prog --duration 0.5 || fail "stat -p --duration failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill $prog
wait $prog 2>/dev/null
((ms >= 450 && ms < 10000)) || fail "--duration 0.5 took $ms ms"
assert_eq "duration: exited meanwhile" False "$(json "$TMPD/d.json" "j['exited_meanwhile']")"
(( $(json "$TMPD/d.json" "j['resident']['pages']") > 0 )) || fail "attach: no resident pages"
grep -q "touch-pages $pages signal" <<<"$(json "$TMPD/d.json" "j['command']")" ||
	fail "attach: command line not named"

# Refusals: no such process, a duration without a process.
status=0
"$NUMAMMA" stat -p 4194303 -d 0.1 2>"$TMPD/err" || status=$?
assert_eq "no such process: status" 125 "$status"
grep -q "^numamma: stat: cannot attach to process 4194303: no such process$" "$TMPD/err" ||
	fail "no such process: $(cat "$TMPD/err")"
status=0
"$NUMAMMA" stat -p $$ -d 0 2>/dev/null || status=$?
assert_eq "--duration 0: status" 125 "$status"

# Another user's process: refused, saying so (as root, through nobody).
if ((EUID == 0)) && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMAMMA" --version >/dev/null 2>&1; then
	sleep 30 &
	sleeper=$!
	status=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMAMMA" stat -p $sleeper -d 0.1 \
		2>"$TMPD/err" || status=$?
	kill $sleeper
	assert_eq "another user's process: status" 125 "$status"
	grep -q "^numamma: stat: cannot count process $sleeper: it belongs to another user" "$TMPD/err" ||
		fail "another user's process: $(cat "$TMPD/err")"
fi
