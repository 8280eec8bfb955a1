#!/bin/bash
# numamma report --format=trace stays bounded on a large profile: of
# 100000 heap objects, the 1000 most sampled then largest get a slice; of
# 40 sampled threads, the 32 most sampled get a counter; a run of 100 s
# gets bins widened to stay within 500 per thread (and none past the last
# sample); otherData says what was left out; at most 34064 events and
# 8 MiB (doc/report-json.md).  The large profile is a small one with
# objects, threads and samples added by SQL.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed: cannot parse the trace"

build_prog alloc-threads
db=$TMPD/big.db
profile_ok "$db" -- "$TMPD/alloc-threads" >/dev/null
base=$(sql "$db" "SELECT max(id) FROM objects")
sql "$db" "WITH RECURSIVE x(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM x WHERE i < 100000)
	INSERT INTO objects(pid, tid, kind, address, size, alloc_ns, callsite_id, name)
	SELECT o.pid, o.tid, 'heap', 1099511627776 + 1048576 * x.i, 8 * x.i, o.alloc_ns + x.i,
	       o.callsite_id, 'malloc'
	FROM x, (SELECT * FROM objects WHERE callsite_id IS NOT NULL LIMIT 1) o;
	WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 39)
	INSERT INTO threads(pid, tid, rank, start_ns)
	SELECT pid, 900000 + k, 1000 + k, start_ns FROM k, (SELECT * FROM processes LIMIT 1);
	-- thread k: 20 (k + 1) samples over 100 s, on the 5 smallest added objects.
	WITH RECURSIVE j(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM j WHERE j < 799),
	     small AS (SELECT id, row_number() OVER (ORDER BY size) - 1 AS r FROM objects
		       WHERE id > $base ORDER BY size LIMIT 5)
	INSERT INTO samples(time_ns, pid, tid, cpu, node, address, access, weight, object_id)
	SELECT r.start_ns + j.j * (100000000000 / (20 * (t.tid - 900000 + 1))), t.pid, t.tid, 0, 0,
	       0, 'R', 1, small.id
	FROM threads t, j, small, (SELECT start_ns FROM runs) r
	WHERE t.tid >= 900000 AND j.j < 20 * (t.tid - 900000 + 1) AND small.r = j.j % 5"
"$NUMAMMA" report --format=trace -o "$TMPD/t.json" "$db" || fail "report --format=trace exited $?"

heap=$(sql "$db" "SELECT count(*) FROM objects WHERE kind IN ('heap', 'mmap')")
sampled=$(sql "$db" "SELECT group_concat(id) FROM (SELECT DISTINCT object_id AS id FROM samples)")
# The 995 largest unsampled objects: the smallest of them.
cut=$(sql "$db" "SELECT min(size) FROM (SELECT size FROM objects WHERE kind IN ('heap', 'mmap')
		 AND id NOT IN (SELECT object_id FROM samples) ORDER BY size DESC LIMIT 995)")
last_us=$(sql "$db" "SELECT (max(s.time_ns) - r.start_ns) / 1000.0 FROM samples s, runs r")
python3 - "$TMPD/t.json" "$heap" "$sampled" "$cut" "$last_us" <<'PY' || fail "trace bound checks failed"
import json, os, sys
path, heap, sampled, cut, last_us = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
sampled = {int(i) for i in sampled.split(",")}
doc = json.load(open(path))
ev, other = doc["traceEvents"], doc["otherData"]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
want(other["objects"] == heap and other["objects_shown"] == 1000,
     "otherData objects %s, want %d of which 1000 shown" % (other, heap))
b = {e["id"]: e for e in ev if e["ph"] == "b"}
e = {x["id"]: x for x in ev if x["ph"] == "e"}
want(len(b) == 1000 and set(b) == set(e), "%d slices begun, %d ended: want 1000" % (len(b), len(e)))
want(sampled <= set(b), "the sampled objects %s are not all shown" % sorted(sampled - set(b)))
small = [x for i, x in b.items() if i not in sampled and x["args"]["bytes"] < cut]
want(not small, "%d unsampled objects shown smaller than the 995 largest (%d bytes)" % (len(small), cut))
counters = {}
for x in ev:
    if x["ph"] == "C":
        counters.setdefault(x["name"], []).append(x)
want(set(counters) == {"samples of tid %d" % (900000 + k) for k in range(8, 40)},
     "counters for %s, want the 32 most sampled threads" % sorted(counters))
want(other["threads_shown"] == 32 and other["max_bins"] == 500, "otherData %s" % other)
for name, xs in counters.items():
    want(len(xs) <= 2 * 500, "%s: %d counter events, want <= 1000" % (name, len(xs)))
    want(sum(x["args"]["samples"] for x in xs) == 20 * (int(name.split()[-1]) - 900000 + 1),
         "%s: counters do not add up" % name)
    want(max(x["ts"] for x in xs) <= last_us + other["bin_ms"] * 1000, "%s: a bin past the run" % name)
want(other["bin_ms"] >= 200 and other["bin_ms"] % 10 == 0, "bins of %s ms for a run of 100 s" % other["bin_ms"])
want(len(ev) <= 34064, "%d events, want <= 34064" % len(ev))
want(os.path.getsize(path) <= 8 << 20, "%d bytes, want <= 8 MiB" % os.path.getsize(path))
for m in bad:
    print("FAIL:", m, file=sys.stderr)
print("%d events, %d bytes, bins of %d ms" % (len(ev), os.path.getsize(path), other["bin_ms"]))
sys.exit(1 if bad else 0)
PY
