#!/bin/bash
# numamma report --format=csv --section S: one table, a header row of the
# expected columns, raw numbers (bytes, not "64.0 MiB"), and text with
# commas or quotes quoted so that a CSV reader gets the same fields back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=1024
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N $P 0.2
size=$((N * P * PAGE + PAGE))

declare -A header=(
	[objects]="id,kind,size,tid,name,allocated_at,callsite"
	[callsites]="callsite,count,total,max,peak,live_at_end,where"
	[threads]="pid,tid,rank,allocs,bytes,samples"
	[accessed]="id,kind,size,samples,writes,remote,threads,pattern,name,allocated_at,callsite,reads,located,remote_samples"
	[sharing]="tid_a,tid_b,shared_pages,shared_lines"
	[stacks]="callsite,depth,function,file,line,module,offset,shown,call_file,call_line"
	[object_threads]="id,tid,samples,reads,writes"
	[nodes]="id,node,samples"
	[pages]="id,page,tid,samples"
	[lines]="id,address,offset,writers,tids"
	[run]="key,value"
)
for s in "${!header[@]}"; do
	"$NUMAMMA" report --format=csv --section "$s" "$db" >"$TMPD/$s.csv" ||
		fail "report --format=csv --section $s exited $?"
	assert_eq "$s header" "${header[$s]}" "$(head -1 "$TMPD/$s.csv")"
done

python3 - "$TMPD" "$size" <<'PY' || fail "CSV checks failed"
import csv, sys
d, size = sys.argv[1], int(sys.argv[2])
rows = lambda s: list(csv.DictReader(open("%s/%s.csv" % (d, s))))
bad = []
big = rows("objects")[0]
if not (big["kind"] == "heap" and int(big["size"]) == size):
    bad.append("largest object %s" % big)
hot = [r for r in rows("accessed") if r["id"] == big["id"]]
if not (hot and hot[0]["writes"] == "" and int(hot[0]["threads"]) == 4):
    bad.append("accessed row %s" % hot)
run = {r["key"]: r["value"] for r in rows("run")}
if "," not in run["objects"] or not run["duration"].isdigit():
    bad.append("run values %s" % run)
if len(rows("pages")) < 4:
    bad.append("pages")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

status=0
"$NUMAMMA" report --format=csv --section nosuch "$db" >/dev/null 2>"$TMPD/err" || status=$?
assert_eq "unknown section: exit status" 125 "$status"
assert_eq "unknown section: message" "numamma: no section 'nosuch' in this report" "$(cat "$TMPD/err")"
