#!/bin/bash
# The clock sampler in the 4-node guest (an emulated cpu, no PMU): workers
# each write their own block of one array (tests/progs/access-blocks.c);
# profiled with --sampler=clock, >= 90% of each worker's samples on the
# array are on its own block.
#
# Two workers, and a skip when one of them got fewer than 50 samples while
# the other got them: the guest's vcpus are threads of the host, and on a
# loaded 2-core host a vcpu waits for the host for long stretches while
# the guest's clock runs on (its timer then expires once when the vcpu runs
# again): a worker got 4 samples in 2 s there, where alone it gets ~1700.
# The host's own test (t0306) holds every worker to its count.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=2 PAGES=256 PAGE=4096
numamma_bin >/dev/null
cc -O2 -pthread -o "$T/access-blocks" "$TOP/tests/progs/access-blocks.c" ||
	fail "cannot build tests/progs/access-blocks.c"
cd "$T"
vm --copy "$T/access-blocks" --fetch c.db -- \
	numamma profile -q -s clock -o c.db -- ./access-blocks $N $PAGES 2
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
[[ -f c.db ]] || { show_vm_output; fail "no profile fetched"; }

# rank|array samples|on its own block, for each worker.
bytes=$((PAGES * PAGE))
rows=$(sqlite3 c.db "
	WITH arr AS (SELECT pid, (address + $((PAGE - 1))) / $PAGE * $PAGE AS base FROM objects
		     WHERE kind = 'heap' AND size = $((N * bytes + PAGE))),
	     s AS (SELECT x.address - arr.base AS off, t.rank AS r FROM samples x
		   JOIN arr ON x.pid = arr.pid JOIN threads t ON t.pid = x.pid AND t.tid = x.tid
		   WHERE t.rank > 0 AND x.address >= arr.base AND x.address < arr.base + $((N * bytes)))
	SELECT r, count(*), sum(off / $bytes = r - 1) FROM s GROUP BY r ORDER BY r")
echo "$rows"
[[ $(echo "$rows" | cut -d'|' -f1 | xargs) == "$(seq -s ' ' 1 $N)" ]] ||
	fail "workers with samples on the array: $(echo "$rows" | cut -d'|' -f1 | xargs), want 1..$N"
starved=
while IFS='|' read -r r total own; do
	((own * 10 >= total * 9)) || fail "worker $r: $own of $total array samples on its own block, want >= 90%"
	((total >= 50)) || starved+=" worker $r: $total samples;"
done <<<"$rows"
[[ -z $starved ]] || (($(echo "$rows" | awk -F'|' '$2 >= 50' | wc -l) == 0)) ||
	skip "the guest's vcpus were starved by the host:$starved too few to judge"
[[ -z $starved ]] || fail "no worker got 50 samples:$starved"
