#!/bin/bash
# numamma report --format=trace: Chrome trace-event JSON.  It parses;
# every event has the fields its phase needs; each heap object is one
# async slice (b then e, same id) on its allocating thread, within the
# run; the samples counters of the workers add up to the samples.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N 256 0.2
"$NUMAMMA" report --format=trace -o "$TMPD/t.json" "$db" || fail "report --format=trace exited $?"
heap=$(sql "$db" "SELECT count(*) FROM objects WHERE kind IN ('heap', 'mmap')")
samples=$(sql "$db" "SELECT count(*) FROM samples WHERE object_id IS NOT NULL AND address IS NOT NULL")
duration=$(sql "$db" "SELECT (end_ns - start_ns) / 1000.0 FROM runs")

python3 - "$TMPD/t.json" "$heap" "$samples" "$duration" <<'PY' || fail "trace checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
heap, samples, duration = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ev = doc["traceEvents"]
bad = []
need = {"M": ["name", "pid", "args"], "b": ["cat", "id", "pid", "tid", "ts", "name"],
        "e": ["cat", "id", "pid", "tid", "ts"], "C": ["name", "pid", "ts", "args"]}
for e in ev:
    if e["ph"] not in need or any(k not in e for k in need[e["ph"]]):
        bad.append("event %s" % e)
        break
b = {e["id"]: e for e in ev if e["ph"] == "b"}
e = {x["id"]: x for x in ev if x["ph"] == "e"}
if len(b) != heap or set(b) != set(e):
    bad.append("%d slices begun, %d ended, %d heap and mmap objects" % (len(b), len(e), heap))
if any(not (0 <= b[i]["ts"] <= e[i]["ts"] <= duration + 1) or b[i]["tid"] != e[i]["tid"] for i in b):
    bad.append("a slice outside the run or across threads")
if sum(x["args"]["samples"] for x in ev if x["ph"] == "C") != samples:
    bad.append("counters do not add up to %d samples" % samples)
if not any(x["ph"] == "M" and x["name"] == "thread_name" for x in ev):
    bad.append("no thread names")
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
