#!/bin/bash
# C++ functions are named as the source names them (app::Store::fill(int),
# not _ZN3app5Store4fillEi): in the profile's tables, in the report, and
# in the report of a profile that still holds the symbols as linked (a
# numamma that did not demangle wrote it).  Rust's manglings are in the
# unit test test-demangle, and t0413.
. "$(dirname "$0")/lib.sh"

command -v g++ >/dev/null || skip "g++ not installed"
g++ -O1 -g -o "$TMPD/cxx-names" "$PROGS/cxx-names.cc" || fail "cannot compile cxx-names.cc"
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/cxx-names" >"$TMPD/out"
assert_eq "program output" "0 0" "$(cat "$TMPD/out")"

sites="SELECT o.size, f.function FROM objects o
       JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
       WHERE o.kind = 'heap' AND o.size >= 1048576 ORDER BY o.size"
assert_eq "allocating functions in frames (size|function)" \
	"$(printf '2097152|app::Store::fill(int)\n2097152|float* app::make_table<float>(unsigned long)')" \
	"$(sql "$db" "$sites")"

"$NUMAMMA" report "$db" >"$TMPD/report" || fail "report exited $?"
grep -q 'app::Store::fill(int) (cxx-names.cc:' "$TMPD/report" ||
	fail "report does not name app::Store::fill(int): $(grep -A4 'call sites' "$TMPD/report")"

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
