#!/bin/bash
# The options no other test exercises, each doing what --help says.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"

build_prog access-blocks -O2
build_prog affinity
ncpus=$(nproc)

# --list-samplers: every sampler, each "yes" or "no" with a reason.
"$NUMAMMA" profile --list-samplers >"$TMPD/list" || fail "--list-samplers failed"
assert_eq "samplers listed" "pebs ibs clock watch pagefault none" "$(awk '{ print $1 }' "$TMPD/list" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "verdicts" 6 "$(awk '$2 == "yes" || $2 == "no"' "$TMPD/list" | wc -l)"

# --period: the pagefault sampler keeps one fault in N.
profile_ok "$TMPD/p1.db" -s pagefault -- "$TMPD/access-blocks" 2 256 0.1 >/dev/null
"$NUMAMMA" profile -q -s pagefault --period 8 -o "$TMPD/p8.db" -- "$TMPD/access-blocks" 2 256 0.1 >/dev/null ||
	fail "--period 8 failed"
n1=$(sql "$TMPD/p1.db" "SELECT count(*) FROM samples")
n8=$(sql "$TMPD/p8.db" "SELECT count(*) FROM samples")
((n1 > 100 && n8 * 4 < n1)) || fail "--period 8 kept $n8 samples against $n1 with period 1"

# --frequency: clock samples per second of each thread's cpu time.  Two
# workers of 1 s each: up to 2000 samples at the default 1000 Hz (fewer
# on a loaded machine).
if grep -q "^clock *yes" "$TMPD/list"; then
	profile_ok "$TMPD/f1000.db" -s clock -- "$TMPD/access-blocks" 2 256 1 >/dev/null
	"$NUMAMMA" profile -q -s clock --frequency 200 -o "$TMPD/f200.db" -- "$TMPD/access-blocks" 2 256 1 \
		>/dev/null || fail "--frequency 200 failed"
	n1000=$(sql "$TMPD/f1000.db" "SELECT sum(value) FROM sampler_stats WHERE name = 'samples'")
	n200=$(sql "$TMPD/f200.db" "SELECT sum(value) FROM sampler_stats WHERE name = 'samples'")
	echo "--frequency: $n1000 samples at 1000 Hz, $n200 at 200 Hz"
	((n200 > 20 && n200 * 3 < n1000)) || fail "--frequency 200 gave $n200 samples against $n1000 at 1000 Hz"
fi
for bad in 0 100001 10k; do
	status=0
	"$NUMAMMA" profile --frequency $bad -- /bin/true 2>/dev/null || status=$?
	assert_eq "--frequency $bad refused" 125 "$status"
done
# --min-object-size: bytes, or KiB, MiB, GiB (t0124 checks the rule).
for bad in 4Q 1.5M -1 20000000000G; do
	status=0
	"$NUMAMMA" profile --min-object-size $bad -o "$TMPD/bad.db" -- /bin/true 2>"$TMPD/bad.err" || status=$?
	assert_eq "--min-object-size $bad refused" 125 "$status"
	grep -q "^numamma: profile: invalid --min-object-size '$bad' (want bytes, e.g. 4096, 64K, 1M)" \
		"$TMPD/bad.err" || fail "--min-object-size $bad: $(cat "$TMPD/bad.err")"
done
[[ ! -e $TMPD/bad.db ]] || fail "a refused --min-object-size left a profile"

# --no-raw: aggregates without the raw samples.  The summary, the runs
# row and the report count the samples taken; the report reads the
# accesses from the aggregates; advise, which needs each sample, refuses.
"$NUMAMMA" profile -s pagefault --no-raw -o "$TMPD/nr.db" -- "$TMPD/access-blocks" 2 256 0.1 \
	>/dev/null 2>"$TMPD/nr.err" || fail "--no-raw failed"
assert_eq "--no-raw: no raw samples" 0 "$(sql "$TMPD/nr.db" "SELECT count(*) FROM samples")"
(( $(sql "$TMPD/nr.db" "SELECT sum(samples) FROM object_thread") > 100 )) || fail "--no-raw: no aggregates"
dropped=$(sql "$TMPD/nr.db" "SELECT samples_dropped FROM runs")
grep -q "(.* objects, $dropped samples)" "$TMPD/nr.err" ||
	fail "--no-raw: the summary does not count the $dropped samples: $(cat "$TMPD/nr.err")"
"$NUMAMMA" report "$TMPD/nr.db" >"$TMPD/nr.txt" || fail "report of a --no-raw profile failed"
grep -q "^  samples  *$dropped\$" "$TMPD/nr.txt" || fail "--no-raw: report's samples is not $dropped"
grep -q "^  raw  *not kept (--no-raw)" "$TMPD/nr.txt" || fail "--no-raw: report does not say the rows went"
grep -q "^Most accessed objects" "$TMPD/nr.txt" && ! grep -q "no samples" "$TMPD/nr.txt" ||
	fail "--no-raw: report shows no accesses"
# No samples-per-node plot of zeros: the counts say no sample's cpu.
"$NUMAMMA" report --format=html "$TMPD/nr.db" >"$TMPD/nr.html" || fail "html report of a --no-raw profile failed"
assert_eq "--no-raw: no plot of nodes" 0 "$(grep -c '<svg class="plot nodes"' "$TMPD/nr.html")"
status=0
"$NUMAMMA" advise "$TMPD/nr.db" >/dev/null 2>"$TMPD/nr.err" || status=$?
assert_eq "--no-raw: advise refuses" 125 "$status"
grep -q "^numamma: '.*nr.db': written with --no-raw: its $dropped samples were kept as counts" "$TMPD/nr.err" ||
	fail "--no-raw: advise does not say why: $(cat "$TMPD/nr.err")"

# --ldlat only means something to pebs, which this machine may lack.
status=0
"$NUMAMMA" profile -s pebs --ldlat 50 -o "$TMPD/pebs.db" -- /bin/true 2>"$TMPD/err" || status=$?
if ((status)); then
	assert_eq "pebs refused: status" 125 "$status"
	grep -q "^numamma: .*pebs" "$TMPD/err" || fail "pebs refusal does not say why: $(cat "$TMPD/err")"
fi
status=0
"$NUMAMMA" profile --ldlat 0 -- /bin/true 2>/dev/null || status=$?
assert_eq "--ldlat 0 refused" 125 "$status"

# -v: debugging lines; without it, none.
"$NUMAMMA" profile -v -s none -o "$TMPD/v.db" -- /bin/true 2>"$TMPD/err" || fail "-v failed"
grep -q "^numamma: debug: " "$TMPD/err" || fail "-v printed no debug line"
# ...the last of them saying what numamma's own work cost.
grep -qE "^numamma: debug: [0-9.]+ ms: profile: profile closed; numamma's own cpu [0-9.]+ ms \(user [0-9.]+, system [0-9.]+\)$" \
	"$TMPD/err" || fail "-v: numamma's own cpu not said: $(tail -2 "$TMPD/err")"
"$NUMAMMA" profile -s none -o "$TMPD/v.db" -- /bin/true 2>"$TMPD/err" || fail "profile failed"
grep -q "debug" "$TMPD/err" && fail "debug lines without -v"

# run pins by rank from a policy, the main thread once it starts a thread
# (not before: programs size thread pools from it); --no-pin leaves
# threads free.
printf 'numamma-policy 1\npin 0 0\npin 1 0\n' >"$TMPD/pin.policy"
assert_eq "pinned" "start $ncpus main 1 worker 1" \
	"$("$NUMAMMA" run -q --policy="$TMPD/pin.policy" -- "$TMPD/affinity")"
# Attached (-p), the main thread is pinned at once: the program sized its
# pools long ago.
sleep 30 &
sleeper=$!
"$NUMAMMA" run -q --policy="$TMPD/pin.policy" -p $sleeper -d 0.3 || fail "run -p with pins failed"
assert_eq "run -p pins the main thread" "0" \
	"$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/$sleeper/status)"
kill $sleeper
wait $sleeper 2>/dev/null
assert_eq "--no-pin" "start $ncpus main $ncpus worker $ncpus" \
	"$("$NUMAMMA" run -q --no-pin --policy="$TMPD/pin.policy" -- "$TMPD/affinity")"

# advise --min-size leaves what is smaller; --nodes plans for more nodes.
build_prog access-serial-init -O2
"$NUMAMMA" profile -q -o "$TMPD/si.db" -- "$TMPD/access-serial-init" 4 4 0.3 >/dev/null ||
	fail "profile of access-serial-init failed"
"$NUMAMMA" advise --min-size 1G "$TMPD/si.db" >"$TMPD/adv" || fail "advise --min-size failed"
grep -q "leave: too small" "$TMPD/adv" || fail "--min-size 1G left nothing: $(cat "$TMPD/adv")"
"$NUMAMMA" advise --nodes 4 "$TMPD/si.db" >"$TMPD/adv4" || fail "advise --nodes failed"
grep -q "planned for 4 nodes" "$TMPD/adv4" || fail "--nodes 4 ignored: $(head -3 "$TMPD/adv4")"
status=0
"$NUMAMMA" advise --nodes 0 "$TMPD/si.db" 2>/dev/null || status=$?
assert_eq "--nodes 0 refused" 125 "$status"
