#!/bin/bash
# clock sampler, its events on every cpu where perf allows (root,
# CAP_PERFMON, perf_event_paranoid <= 0), else one set per thread (as
# NUMAMMA_TEST_EVENTS=thread makes it): either way only the traced
# threads' samples are kept.  A busy program running beside the profile
# and a --no-follow child share the cpus with it; none of their samples
# is stored, and the traced process has its own.  A rank of a parallel
# job opens its events per thread: the ranks share the cpus, and each
# one's events on every cpu would fire once per rank.
# Attached to a running program (-p), only its threads' samples are kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

build_prog access-blocks -O2
build_prog access-fork-exec -O2
# Untraced, beside the profile: 2 workers writing for 3 s.
"$TMPD/access-blocks" 2 256 3 >/dev/null &
beside=$!

db=$TMPD/c.db
"$NUMAMMA" profile -v -q -s clock --no-follow -o "$db" \
	-- "$TMPD/access-fork-exec" 1 "$TMPD/access-blocks" 1 256 1 >"$TMPD/out" 2>"$TMPD/err" ||
	fail "numamma profile exited $?: $(tail -3 "$TMPD/err")"
wait "$beside"
grep -q "^child exited 0" "$TMPD/out" || fail "the untraced child did not run: $(cat "$TMPD/out")"

# Which events: what the machine allows, or what the test asked for.
if [[ ${NUMAMMA_TEST_EVENTS-} == thread ]]; then
	want="one set of events per thread"
elif (($(id -u) == 0)) || (($(cat /proc/sys/kernel/perf_event_paranoid) <= 0)); then
	want="events on every cpu"
else
	want="one set of events per thread"
fi
grep -q "sampler clock: $want" "$TMPD/err" ||
	fail "expected '$want': $(grep 'sampler clock' "$TMPD/err")"

traced=$(sql "$db" "SELECT pid FROM processes")
assert_eq "processes recorded" 1 "$(wc -w <<<"$traced")"
samples=$(sql "$db" "SELECT count(*) FROM samples WHERE pid = $traced")
((samples >= 100)) || fail "only $samples samples of the traced process (writing for 1 s)"
assert_eq "samples of other processes" 0 \
	"$(sql "$db" "SELECT count(*) FROM samples WHERE pid != $traced")"
assert_eq "samples of threads not traced" 0 \
	"$(sql "$db" "SELECT count(*) FROM samples s WHERE NOT EXISTS
		      (SELECT 1 FROM threads t WHERE t.pid = s.pid AND t.tid = s.tid)")"
# Counts are the traced threads' (tid NULL: the run's, as the rings' losses).
assert_eq "counts of threads not traced" 0 \
	"$(sql "$db" "SELECT count(*) FROM sampler_stats WHERE tid IS NOT NULL
		      AND tid NOT IN (SELECT tid FROM threads)")"
counted=$(sql "$db" "SELECT sum(value) FROM sampler_stats WHERE name = 'samples'")
((counted >= samples && counted - samples <= samples / 10)) ||
	fail "$counted samples counted for $samples stored"
echo "clock ($want): $samples samples of the traced process"

OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 "$NUMAMMA" profile -v -q -s clock -o "$TMPD/r.db" \
	-- /bin/true 2>"$TMPD/err" || fail "numamma profile as a rank exited $?"
grep -q "sampler clock: one set of events per thread" "$TMPD/err" ||
	fail "a rank's events: $(grep 'sampler clock' "$TMPD/err")"

# Attached to a running program: its threads' samples, and only theirs.
"$TMPD/access-blocks" 2 256 3 >/dev/null &
running=$!
sleep 0.5
"$NUMAMMA" profile -q -s clock --duration 1 -o "$TMPD/a.db" -p "$running" 2>"$TMPD/err" ||
	fail "numamma profile -p exited $?: $(tail -3 "$TMPD/err")"
wait "$running" || fail "the attached program exited $?"
samples=$(sql "$TMPD/a.db" "SELECT count(*) FROM samples WHERE pid = $running")
((samples >= 100)) || fail "only $samples samples of the attached program (2 threads for 1 s)"
assert_eq "samples of others, attached" 0 "$(sql "$TMPD/a.db" "SELECT count(*) FROM samples s
	WHERE NOT EXISTS (SELECT 1 FROM threads t WHERE t.pid = s.pid AND t.tid = s.tid)")"
