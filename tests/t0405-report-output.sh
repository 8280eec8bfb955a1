#!/bin/bash
# numamma report -o FILE: a new file with the report; an existing one is
# kept as FILE.old; never written through a symbolic link nor over the
# profile itself; a failed report leaves no file behind.  Each refusal is
# one line "numamma: ..." and exit status 125.
. "$(dirname "$0")/lib.sh"

build_prog alloc-threads
db=$TMPD/a.db
profile_ok "$db" -- "$TMPD/alloc-threads" >/dev/null

"$NUMAMMA" report -o "$TMPD/r.txt" "$db" || fail "report -o exited $?"
assert_diff "report -o and standard output" <("$NUMAMMA" report "$db") "$TMPD/r.txt"
"$NUMAMMA" report -f json -o "$TMPD/r.txt" "$db" 2>"$TMPD/err" || fail "second report -o exited $?"
grep -q "kept the previous '$TMPD/r.txt' as '$TMPD/r.txt.old'" "$TMPD/err" || fail "no word of r.txt.old: $(cat "$TMPD/err")"
assert_diff "the previous report, kept" <("$NUMAMMA" report "$db") "$TMPD/r.txt.old"
head -c1 "$TMPD/r.txt" | grep -q '{' || fail "r.txt is not the JSON report"

refused() {
	local what=$1 status=0; shift
	"$NUMAMMA" report "$@" >/dev/null 2>"$TMPD/err" || status=$?
	assert_eq "$what: exit status" 125 "$status"
	assert_eq "$what: one error line" 1 "$(grep -c '^numamma: ' "$TMPD/err")"
}
ln -s "$TMPD/target" "$TMPD/link"
refused "through a symbolic link" -o "$TMPD/link" "$db"
[[ -e $TMPD/target ]] && fail "wrote through the link"
refused "over the profile" -o "$db" "$db"
sqlite3 "$db" "SELECT count(*) FROM objects" >/dev/null || fail "the profile was damaged"
refused "an unknown section" -f csv --section nosuch -o "$TMPD/bad.csv" "$db"
[[ -e $TMPD/bad.csv ]] && fail "a failed report left its file"
refused "a missing profile" -o "$TMPD/none.txt" "$TMPD/missing.db"
[[ -e $TMPD/none.txt ]] && fail "a report of a missing profile left its file"
exit 0
