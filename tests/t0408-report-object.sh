#!/bin/bash
# numamma report --object ID: the array of access-blocks alone, with its
# call site, lifetime and pattern, its stack, and its accesses by the
# workers; an id that is not in the profile is one error line, exit 125.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=256
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N $P 0.2
id=$(sql "$db" "SELECT id FROM objects WHERE kind = 'heap' AND size = $((N * P * PAGE + PAGE))")
line=$(grep -n "array = malloc" "$PROGS/access-blocks.c" | cut -d: -f1)

"$NUMAMMA" report --object "$id" "$db" >"$TMPD/text" || fail "report --object exited $?"
sed -n "/^Object $id\$/,/^\$/p" "$TMPD/text" >"$TMPD/object"
for want in "kind +heap" "size +4.0 MiB" "allocated at main \(access-blocks.c:$line\)" \
	    "freed +[0-9.]+ [mu]?s" "writes +unknown .*" "threads +$N" "pattern +each thread its own block"; do
	grep -Eq "^  $want\$" "$TMPD/object" || fail "no '$want' in: $(cat "$TMPD/object")"
done
grep -q "^Largest objects" "$TMPD/text" && fail "--object printed the other sections"
assert_eq "workers in object_threads" $N \
	"$("$NUMAMMA" report --object "$id" -f csv --section object_threads "$db" | sed 1d | wc -l)"
"$NUMAMMA" report --object "$id" -f csv --section stacks "$db" | grep -q ",main,.*access-blocks.c,$line,.*,1,[^,]*,[^,]*$" ||
	fail "no shown frame in main for the array"

status=0
"$NUMAMMA" report --object 999999 "$db" >/dev/null 2>"$TMPD/err" || status=$?
assert_eq "missing object: exit status" 125 "$status"
assert_eq "missing object: message" "numamma: no object 999999 in '$db'" "$(cat "$TMPD/err")"
"$NUMAMMA" report --object "$id" -f html -o "$TMPD/o.html" "$db" || fail "report --object -f html exited $?"
assert_eq "heat maps on the object's page" 1 "$(grep -c '<svg class="plot heatmap"' "$TMPD/o.html")"
