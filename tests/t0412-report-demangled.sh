#!/bin/bash
# C++ functions are named as the source names them (app::Store::fill(int),
# not _ZN3app5Store4fillEi): in the profile's tables, in the report, and
# in the report of a profile that still holds the symbols as linked (a
# numamma that did not demangle wrote it).  A site inside the standard
# library's templates (std::map's nodes) is shown at the program's own
# frame, at the line of its own source where the library's code was
# inlined (not stl_map.h's), and listed even when none of its blocks has
# a row (the default: rows from 1 MiB).  A static is shown as app::lookup, while the profile
# keeps its symbol (policy rules match it).  Rust's manglings are in the unit test test-demangle,
# and t0413.
. "$(dirname "$0")/lib.sh"

command -v g++ >/dev/null || skip "g++ not installed"
g++ -O1 -g -o "$TMPD/cxx-names" "$PROGS/cxx-names.cc" || fail "cannot compile cxx-names.cc"
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/cxx-names" >"$TMPD/out"
assert_eq "program output" "0 0 1000 1" "$(cat "$TMPD/out")"

sites="SELECT o.size, f.function FROM objects o
       JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
       WHERE o.kind = 'heap' AND o.size >= 1048576 ORDER BY o.size"
assert_eq "allocating functions in frames (size|function)" \
	"$(printf '2097152|app::Store::fill(int)\n2097152|float* app::make_table<float>(unsigned long)')" \
	"$(sql "$db" "$sites")"

"$NUMAMMA" report "$db" >"$TMPD/report" || fail "report exited $?"
grep -q 'app::Store::fill(int) (cxx-names.cc:' "$TMPD/report" ||
	fail "report does not name app::Store::fill(int): $(grep -A4 'call sites' "$TMPD/report")"
line=$(grep -n 'm\[i \* 7\] = i;' "$PROGS/cxx-names.cc" | cut -d: -f1)
grep -Eq " 1000 .* app::Index::build\\(int\\) \\(cxx-names\\.cc:$line\\)$" "$TMPD/report" ||
	fail "std::map's 1000 nodes are not shown at app::Index::build(int) (cxx-names.cc:$line):" \
	     "$(grep -A6 'call sites' "$TMPD/report")"
assert_eq "the nodes' frame: a library header's line, called from the program's" "1|cxx-names.cc|$line" \
	"$(sql "$db" "SELECT DISTINCT file LIKE '/usr/include/%', $(sql_basename call_file), call_line FROM frames
		      WHERE depth = 0 AND function = 'app::Index::build(int)'")"

# Without rows for the nodes: counted all the same (count, bytes, the
# largest call, the peak, none live at the end).
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none -o "$TMPD/rows.db" -- "$TMPD/cxx-names" >/dev/null ||
	fail "numamma profile (default rows) exited $?"
assert_eq "node rows at the default --min-object-size" 0 \
	"$(sql "$TMPD/rows.db" "SELECT count(*) FROM objects WHERE kind = 'heap' AND size < 1048576
				AND callsite_id IN (SELECT callsite_id FROM frames
						    WHERE function = 'app::Index::build(int)')")"
"$NUMAMMA" report "$TMPD/rows.db" >"$TMPD/report2" || fail "report exited $?"
grep -Eq '^ +[0-9]+ +1000 +39\.1 KiB +40 B +39\.1 KiB +0 B app::Index::build\(int\) ' "$TMPD/report2" ||
	fail "the nodes' site, without rows, is not listed: $(grep -A8 'call sites' "$TMPD/report2")"

assert_eq "the static's symbol in objects" "_ZN3app6lookupE" \
	"$(sql "$db" "SELECT name FROM objects WHERE kind = 'static' AND size = 2097152")"
sed -n '/^Largest objects$/,/^$/p' "$TMPD/report" | grep -Eq ' static +2\.0 MiB +[0-9]+ app::lookup ' ||
	fail "the static is not shown as app::lookup: $(sed -n '/^Largest objects$/,/^$/p' "$TMPD/report")"

# The symbols as linked, as an older numamma stored them.
sql "$db" "UPDATE locations SET function = '_ZN3app5Store4fillEi' WHERE function = 'app::Store::fill(int)';
	   UPDATE locations SET function = '_ZN3app10make_tableIfEEPT_m'
	   WHERE function LIKE 'float* app::make_table%'"
assert_eq "symbols as linked" 2 \
	"$(sql "$db" "SELECT count(*) FROM locations WHERE function LIKE '\_Z%' ESCAPE '\\'")"
"$NUMAMMA" report --format json "$db" >"$TMPD/json" || fail "report --format json exited $?"
for name in 'app::Store::fill(int)' 'float* app::make_table<float>(unsigned long)'; do
	grep -qF "\"function\": \"$name\"" "$TMPD/json" || fail "the JSON report of the older profile lacks $name"
done
grep -q '_ZN3app' "$TMPD/json" && fail "the JSON report shows a mangled name"
exit ${FAILED:-0}
