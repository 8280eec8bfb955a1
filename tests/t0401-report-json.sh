#!/bin/bash
# numamma report --format=json against a known workload: 4 workers each
# first-touch their own 16 MiB block of one 64 MiB malloc'd array
# (access-blocks, pagefault sampler).  The document parses; the array is
# the largest object, allocated at main (access-blocks.c:LINE), touched
# by the 4 workers and no one else, each page by one worker in rank
# order; its write share is unknown (page faults do not tell), never 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault

N=4 P=4096
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N $P 0.2
line=$(grep -n "array = malloc" "$PROGS/access-blocks.c" | cut -d: -f1)
workers=$(sql "$db" "SELECT tid FROM threads WHERE rank BETWEEN 1 AND $N ORDER BY rank" | paste -sd,)
"$NUMAMMA" report --format=json -o "$TMPD/r.json" "$db" || fail "report --format=json exited $?"

python3 - "$TMPD/r.json" $((N * P * PAGE + PAGE)) "$line" "$workers" <<'PY' || fail "JSON report checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
size, line, workers = int(sys.argv[2]), int(sys.argv[3]), [int(t) for t in sys.argv[4].split(",")]
bad = []
def check(what, ok):
    if not ok:
        bad.append(what)
s = doc["sections"]
check("format and version", doc["format"] == "numamma-report" and doc["version"] == 1)
check("run values", s["run"]["values"]["exit"] == "status 0" and isinstance(s["run"]["values"]["duration"], int))
big = s["objects"]["rows"][0]
check("largest object", big["kind"] == "heap" and big["size"] == size and big["name"] == "malloc")
check("its call site", big["allocated_at"] == "main (access-blocks.c:%d)" % line)
frames = [f for f in s["stacks"]["rows"] if f["callsite"] == big["callsite"]]
shown = [f for f in frames if f["shown"] == 1]
check("its stack", len(shown) == 1 and shown[0]["function"] == "main" and shown[0]["line"] == line
      and shown[0]["file"].endswith("access-blocks.c") and isinstance(shown[0]["offset"], int))
hot = [r for r in s["accessed"]["rows"] if r["id"] == big["id"]]
check("accessed", len(hot) == 1 and hot[0]["threads"] == len(workers) and hot[0]["samples"] > 0)
check("write share unknown", hot and hot[0]["writes"] is None)
check("pattern", hot and hot[0]["pattern"] == "each thread its own block")
tids = sorted(r["tid"] for r in s["object_threads"]["rows"] if r["id"] == big["id"])
check("its threads %s, expected %s" % (tids, sorted(workers)), tids == sorted(workers))
pages = sorted((r["page"], r["tid"]) for r in s["pages"]["rows"] if r["id"] == big["id"])
owners = [workers.index(t) for _, t in pages]
check("pages by their owner, in rank order", owners == sorted(owners) and len(set(p for p, _ in pages)) == len(pages))
check("nodes", all(isinstance(r["node"], int) for r in s["nodes"]["rows"]))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
