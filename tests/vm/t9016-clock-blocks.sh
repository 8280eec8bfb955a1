#!/bin/bash
# The clock sampler in the 4-node guest (an emulated cpu, no PMU): workers
# each write their own block of one array (tests/progs/access-blocks.c);
# profiled with --sampler=clock, >= 90% of each worker's samples on the
# array are on its own block, and every worker has at least 50.
#
# Two workers: the guest's 4 vcpus are threads of the host, and on a
# 2-core host with 4 busy vcpus the guest's cpu time runs on while a vcpu
# waits for the host, its timer expiring at most once when it runs again:
# a worker then got 1 or 2 samples in 2 s, where alone it gets ~1700.
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
while IFS='|' read -r r total own; do
	((total >= 50)) || fail "worker $r: $total array samples, want >= 50"
	((own * 10 >= total * 9)) || fail "worker $r: $own of $total array samples on its own block, want >= 90%"
done <<<"$rows"
