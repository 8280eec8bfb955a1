#!/bin/bash
# numamma report --diff BEFORE AFTER: two profiles of one program (ASLR
# moves everything between them) have their objects matched by call
# stack (module + offset) and statics by symbol: the array of
# access-blocks is one row with its samples before and after; text, JSON,
# CSV and HTML show the same table; --diff wants exactly two profiles.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4
blocks_profile "$TMPD/a.db" pagefault access-blocks $N 512 0.2
blocks_profile "$TMPD/b.db" pagefault access-blocks $N 256 0.2
line=$(grep -n "array = malloc" "$PROGS/access-blocks.c" | cut -d: -f1)
array_samples() {
	sql "$1" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id
		  WHERE o.kind = 'heap' AND o.size = $2"
}
before=$(array_samples "$TMPD/a.db" $((N * 512 * PAGE + PAGE)))
after=$(array_samples "$TMPD/b.db" $((N * 256 * PAGE + PAGE)))

"$NUMAMMA" report --diff "$TMPD/a.db" "$TMPD/b.db" >"$TMPD/text" || fail "report --diff exited $?"
grep -Eq "^  main \(access-blocks\.c:$line\) +1 +4\.0 MiB +$before +$after +[0-9.]+% +[0-9.]+% +- +-$" "$TMPD/text" ||
	fail "no row for the array ($before -> $after samples): $(cat "$TMPD/text")"
grep -q " (static) " "$TMPD/text" || fail "no static matched: $(cat "$TMPD/text")"

"$NUMAMMA" report --diff --format=json "$TMPD/a.db" "$TMPD/b.db" >"$TMPD/r.json" || fail "--diff --format=json exited $?"
python3 - "$TMPD/r.json" "$line" "$before" "$after" <<'PY' || fail "JSON diff checks failed"
import json, sys
rows = json.load(open(sys.argv[1]))["sections"]["diff"]["rows"]
line, before, after = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = [r for r in rows if r["where"] == "main (access-blocks.c:%d)" % line]
ok = len(r) == 1 and r[0]["samples_before"] == before and r[0]["samples_after"] == after \
     and isinstance(r[0]["remote_before"], float) and r[0]["cycles_after"] is None
print("" if ok else "FAIL: %s" % r, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
"$NUMAMMA" report --diff --format=csv "$TMPD/a.db" "$TMPD/b.db" | head -1 >"$TMPD/header"
assert_eq "CSV header" "where,objects,bytes,samples_before,samples_after,remote_before,remote_after,cycles_before,cycles_after" \
	"$(cat "$TMPD/header")"
"$NUMAMMA" report --diff --format=html -o "$TMPD/d.html" "$TMPD/a.db" "$TMPD/b.db" || fail "--diff --format=html exited $?"
grep -q '<svg class="plot diff"' "$TMPD/d.html" || fail "no diff plot in the page"

for args in "$TMPD/a.db" "$TMPD/a.db $TMPD/b.db $TMPD/a.db"; do
	status=0
	"$NUMAMMA" report --diff $args >/dev/null 2>"$TMPD/err" || status=$?
	assert_eq "--diff $args: exit status" 125 "$status"
	grep -q "^numamma: report: --diff compares two profiles" "$TMPD/err" || fail "--diff $args: $(cat "$TMPD/err")"
done
status=0
"$NUMAMMA" report --diff -o "$TMPD/b.db" "$TMPD/a.db" "$TMPD/b.db" 2>/dev/null || status=$?
assert_eq "-o over the second profile: exit status" 125 "$status"
