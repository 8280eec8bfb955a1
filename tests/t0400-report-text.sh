#!/bin/bash
# numamma report's text: the largest objects are the program's data, not
# its threads' stacks (8 MiB reservations each, and pthread_create's mmaps
# holding them); the call-site column names the program's own
# function, not the C runtime's (start_thread, __libc_start_call_main);
# call sites roll up per function and line, with peak and live-at-end
# bytes, and sort by count; a profile without samples says why; an
# attached process that still runs reads "detached after N s".
. "$(dirname "$0")/lib.sh"

build_prog alloc-threads
db=$TMPD/a.db
profile_ok "$db" -- "$TMPD/alloc-threads" >/dev/null
"$NUMAMMA" report "$db" >"$TMPD/text" || fail "report exited $?"

largest=$(sed -n '/^Largest objects$/,/^$/p' "$TMPD/text")
grep -Eq '^ +[0-9]+ (stack|mmap) ' <<<"$largest" && fail "threads' stacks among the largest objects: $largest"
(($(grep -cE ' sizes_from_(malloc|calloc) \(alloc-threads\.c:1[23]\)$' <<<"$largest") >= 8)) ||
	fail "the workers' blocks are not the largest objects: $largest"

sites=$(sed -n '/^Allocation call sites$/,/^$/p' "$TMPD/text")
sed -n 2p <<<"$sites" | grep -Eq "CALLSITE +COUNT +TOTAL +MAX +PEAK +LIVE AT END +WHERE" ||
	fail "call-site header: $(sed -n 2p <<<"$sites")"
grep -Eq "start_thread|__libc_start|clone" <<<"$sites" &&
	fail "a call site named by the C runtime: $sites"
assert_eq "call sites in the workers' functions" 2 \
	"$(grep -cE "sizes_from_(malloc|calloc) \(alloc-threads\.c:1[23]\)" <<<"$sites")"

"$NUMAMMA" report --group function "$db" >"$TMPD/fn" || fail "report --group function exited $?"
fn=$(sed -n '/^Allocation call sites by function$/,/^$/p' "$TMPD/fn")
# 8 workers x 25 allocations from each function, all freed.
for f in sizes_from_malloc sizes_from_calloc; do
	grep -Eq "^ +[0-9]+ +200 .* 0 B $f$" <<<"$fn" || { echo "$fn" >&2; fail "no roll-up row for $f"; }
done
"$NUMAMMA" report --group line --sort count -n 1 "$db" >"$TMPD/line" || fail "report --group line exited $?"
grep -A2 "^Allocation call sites by line$" "$TMPD/line" | grep -Eq " 200 .*sizes_from_(malloc|calloc) \(alloc-threads.c:1[23]\)$" ||
	fail "--group line --sort count: $(cat "$TMPD/line")"

grep -A1 "^Most accessed objects$" "$TMPD/text" | grep -q "no samples: no sampler ran (--sampler=none)" ||
	fail "no note for the missing access section: $(tail -5 "$TMPD/text")"

for bad in "--group x" "--sort x" "--format x" "--weight x" "--section objects"; do
	status=0
	"$NUMAMMA" report $bad "$db" >/dev/null 2>"$TMPD/err" || status=$?
	assert_eq "exit status of report $bad" 125 "$status"
	assert_eq "error lines of report $bad" 1 "$(grep -c "^numamma: report: " "$TMPD/err")"
done

# A profile that counted every allocation per call site (callsite_totals,
# per process): the call sites' counts, bytes, largest call, peaks and
# bytes never freed come from there; a profile of a numamma that did not
# keep the largest call and the bytes never freed says they are unknown.
site=$(sql "$db" "SELECT callsite_id FROM objects WHERE callsite_id IS NOT NULL GROUP BY callsite_id
		  ORDER BY sum(size) DESC LIMIT 1")
pid=$(sql "$db" "SELECT pid FROM processes LIMIT 1")
sql "$db" "DELETE FROM callsite_totals WHERE callsite_id = $site;
	   INSERT INTO callsite_totals(callsite_id, pid, allocations, frees, bytes, peak_live_bytes,
				       max_bytes, live_bytes)
	   VALUES ($site, $pid, 123456, 0, 1099511627776, 1073741824, 16777216, 2199023255552)"
"$NUMAMMA" report -n 1 "$db" | grep -A2 "^Allocation call sites$" |
	grep -Eq "^ +$site +123456 +1\.0 TiB +16\.0 MiB +1\.0 GiB +2\.0 TiB " ||
	fail "callsite_totals not used: $("$NUMAMMA" report -n 1 "$db" | grep -A2 "^Allocation call sites$")"
cp "$db" "$TMPD/older.db"
sql "$TMPD/older.db" "DROP TABLE callsite_totals;
	   CREATE TABLE callsite_totals(callsite_id INTEGER, pid INTEGER,
	   allocations INTEGER, frees INTEGER, bytes INTEGER, peak_live_bytes INTEGER);
	   INSERT INTO callsite_totals VALUES ($site, $pid, 123456, 0, 1099511627776, 1073741824)"
"$NUMAMMA" report -n 1 "$TMPD/older.db" | grep -A2 "^Allocation call sites$" |
	grep -Eq "^ +$site +123456 +1\.0 TiB +[0-9.]+ [KMG]?i?B +1\.0 GiB +[0-9.]+ [KMG]?i?B " ||
	fail "older callsite_totals: $("$NUMAMMA" report -n 1 "$TMPD/older.db" | grep -A2 "^Allocation call sites$")"

# Attached, then detached after --duration: the process still runs.
sleep 30 &
spid=$!
status=0
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none -p "$spid" --duration 0.5 \
	-o "$TMPD/att.db" || status=$?
kill "$spid"
((status == 0)) || skip "cannot attach here (numamma profile -p exited $status)"
"$NUMAMMA" report "$TMPD/att.db" | grep -Eq "^  exit +detached after [0-9]+\.[0-9]{2} s$" ||
	fail "attach profile: $("$NUMAMMA" report "$TMPD/att.db" | grep exit)"
