#!/bin/bash
# numamma stat: page faults of a program that first-touches a known number
# of pages (in its main thread, a thread, a forked child), in text and
# JSON; the program's output and exit status untouched, a signal death
# mirrored; -e refusals; the no-PMU line; -o and MPI ranks.
. "$(dirname "$0")/lib.sh"

build_prog touch-pages
build_prog die
build_prog stop
build_prog sigcount
pages=3000
# json FILE EXPR: the python3 expression EXPR over the JSON object in FILE (j).
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# Output and status identical to a native run; the counts in -o's file.
status=0
"$TMPD/touch-pages" $pages main 3 >"$TMPD/native.out" 2>"$TMPD/native.err" || status=$?
assert_eq "native status" 3 "$status"
status=0
"$NUMAMMA" stat -o "$TMPD/counts.txt" -- "$TMPD/touch-pages" $pages main 3 \
	>"$TMPD/stat.out" 2>"$TMPD/stat.err" || status=$?
assert_eq "exit status under stat" 3 "$status"
assert_diff "stdout" "$TMPD/native.out" "$TMPD/stat.out"
assert_diff "stderr" "$TMPD/native.err" "$TMPD/stat.err"
faults=$(awk '$2 == "page-faults" { print $1 }' "$TMPD/counts.txt")
((faults >= pages)) || fail "text: $faults page faults, want >= $pages: $(cat "$TMPD/counts.txt")"
grep -q "^ numamma stat: .*touch-pages $pages main 3 (pid [0-9]*, exit 3)" "$TMPD/counts.txt" ||
	fail "no header line: $(head -3 "$TMPD/counts.txt")"
# The system-wide counters say so.
grep -q "^ SYSTEM-WIDE (every process).*numastat" "$TMPD/counts.txt" || fail "numastat not marked system-wide"
# Without -o the counts follow the program's own stderr.
"$NUMAMMA" stat -- "$TMPD/touch-pages" 10 >/dev/null 2>"$TMPD/err" || fail "stat without -o failed"
assert_eq "stderr: program's line first" "stderr line" "$(head -1 "$TMPD/err")"
grep -q "page-faults" "$TMPD/err" || fail "no counts on stderr"

# JSON: every thread and child is counted (inherit), resident pages of a
# program that keeps its pages.
for who in main thread fork; do
	"$NUMAMMA" stat --json -o "$TMPD/$who.json" -- "$TMPD/touch-pages" $pages $who \
		>/dev/null 2>&1 || fail "stat --json ($who) failed"
	got=$(json "$TMPD/$who.json" "j['events']['page-faults']['value']")
	((got >= pages)) || fail "json ($who): $got page faults, want >= $pages"
	assert_eq "json ($who): exit" "{'code': 0}" "$(json "$TMPD/$who.json" "j['exit']")"
	assert_eq "json ($who): numastat scope" "system system" \
		"$(json "$TMPD/$who.json" "j['numastat']['scope'], j['vmstat']['scope']" | tr -d "(),'")"
done
resident=$(json "$TMPD/main.json" "j['resident']['pages']")
((resident >= pages)) || fail "resident at exit: $resident pages, want >= $pages"
assert_eq "resident pages = sum over nodes" "$resident" \
	"$(json "$TMPD/main.json" "sum(n['pages'] for n in j['resident']['nodes'].values())")"

# A program killed by a signal: numamma dies of the same one, after the counts.
for sig in 9 15; do
	status=0
	"$NUMAMMA" stat -o "$TMPD/sig$sig.txt" -- "$TMPD/die" signal $sig >/dev/null 2>&1 || status=$?
	assert_eq "killed by $sig: numamma's status" $((128 + sig)) "$status"
	grep -q "killed by SIG" "$TMPD/sig$sig.txt" || fail "signal $sig: no counts written"
done

# SIGTERM sent to numamma alone reaches the program; numamma prints, then
# dies of it.
"$NUMAMMA" stat -o "$TMPD/term.txt" -- "$TMPD/touch-pages" 1 signal >"$TMPD/out" 2>&1 &
stat=$!
for ((i = 0; i < 200; i++)); do grep -qs waiting "$TMPD/out" && break; sleep 0.05; done
kill -TERM $stat
status=0
wait $stat || status=$?
assert_eq "SIGTERM to numamma: status" 143 "$status"
grep -q "killed by SIGTERM" "$TMPD/term.txt" || fail "SIGTERM: $(cat "$TMPD/term.txt")"

# Group stops and signals pass through the one ptrace stop numamma asks
# for (the main thread's exit): the same output as natively.
for prog in "stop 19 child" "stop 20 child" "sigcount"; do
	"$TMPD"/$prog >"$TMPD/native" 2>&1 || fail "native $prog failed"
	timeout 60 "$NUMAMMA" stat -o "$TMPD/c.${prog// /-}" -- "$TMPD"/$prog >"$TMPD/out" 2>&1 ||
		fail "stat -- $prog failed"
	assert_diff "$prog" "$TMPD/native" "$TMPD/out"
done

# -e: an unknown name is refused in one line naming it, before anything runs.
status=0
"$NUMAMMA" stat -e cycles,no-such-event -- "$TMPD/touch-pages" 1 >"$TMPD/out" 2>"$TMPD/err" || status=$?
assert_eq "-e unknown: status" 125 "$status"
assert_eq "-e unknown: nothing ran" "" "$(cat "$TMPD/out")"
assert_eq "-e unknown: one error line" 1 "$(grep -vc '^numamma: hint:' "$TMPD/err")"
grep -q "^numamma: stat: unknown event 'no-such-event'" "$TMPD/err" || fail "-e: $(cat "$TMPD/err")"

# Hardware events: counted, or one line says why and the rest still prints.
"$NUMAMMA" stat -e instructions -o "$TMPD/hw.txt" -- "$TMPD/touch-pages" 10 >/dev/null 2>&1 ||
	fail "stat -e instructions failed"
"$NUMAMMA" stat -e instructions -j -o "$TMPD/hw.json" -- "$TMPD/touch-pages" 10 >/dev/null 2>&1 ||
	fail "stat -e instructions -j failed"
assert_eq "hardware events requested" 1 "$(json "$TMPD/hw.json" "j['hardware']['requested']")"
if [[ $(json "$TMPD/hw.json" "j['hardware']['counted']") == 0 ]]; then
	assert_eq "no-PMU line" 1 "$(grep -c '^ no hardware counters: perf_event_open(instructions): ' "$TMPD/hw.txt")"
	grep -q " page-faults" "$TMPD/hw.txt" || fail "no PMU: software counts missing"
else
	(( $(json "$TMPD/hw.json" "j['events']['instructions']['value']") > 0 )) || fail "0 instructions"
fi

# Not found: 127, and no output file left.
status=0
"$NUMAMMA" stat -o "$TMPD/nf.txt" -- no-such-program-here 2>"$TMPD/err" || status=$?
assert_eq "not found: status" 127 "$status"
[[ ! -e $TMPD/nf.txt ]] || fail "not found: output file left behind"

# -o never replaces a file nor follows a link.
echo keep >"$TMPD/exists"
ln -s "$TMPD/exists" "$TMPD/link"
for f in exists link; do
	status=0
	"$NUMAMMA" stat -o "$TMPD/$f" -- "$TMPD/touch-pages" 1 >"$TMPD/out" 2>"$TMPD/err" || status=$?
	assert_eq "-o $f: status" 125 "$status"
	assert_eq "-o $f: nothing ran" "" "$(cat "$TMPD/out")"
done
assert_eq "-o: the file kept" keep "$(cat "$TMPD/exists")"

# Under an MPI launcher each rank writes its own file.
OMPI_COMM_WORLD_RANK=2 "$NUMAMMA" stat -j -o "$TMPD/job.json" -- "$TMPD/touch-pages" 1 >/dev/null 2>&1 ||
	fail "stat under a rank failed"
assert_eq "rank file" 2 "$(json "$TMPD/job.rank2.json" "j['rank']")"
[[ ! -e $TMPD/job.json ]] || fail "rank: unsuffixed file written"
if command -v mpirun >/dev/null; then
	mpirun --allow-run-as-root --oversubscribe -np 2 \
		"$NUMAMMA" stat -j -o "$TMPD/mpi.json" -- "$TMPD/touch-pages" 10 >"$TMPD/out" 2>&1 ||
		fail "mpirun -np 2 numamma stat failed: $(cat "$TMPD/out")"
	assert_eq "mpirun: one file per rank" "0 1" \
		"$(for r in 0 1; do json "$TMPD/mpi.rank$r.json" "j['rank']"; done | tr '\n' ' ' | sed 's/ $//')"
fi

# Usage errors.
for args in "" "--duration 1 -- true" "-p 1 -- true" "--bogus"; do
	status=0
	"$NUMAMMA" stat $args >/dev/null 2>&1 || status=$?
	assert_eq "stat $args: status" 125 "$status"
done
