#!/bin/bash
# numamma report --diff in the 4-node guest, on the classic mistake:
# serial-init's main thread first-touches the whole array (every page on
# one node), then 4 workers on 4 nodes compute on their blocks: most of
# their accesses are remote.  The same program run again with its
# threads and memory on node 0 (numactl) has none remote.  The diff of
# the two profiles (watch sampler) matches the array by its call stack,
# despite ASLR, and shows its remote share falling.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

numamma_bin >/dev/null
build_guest_prog serial-init -g
vm --copy "$T/serial-init" -- sh -c "
	numamma profile -q -s watch -o before.db -- ./serial-init array 200 >/dev/null
	numamma profile -q -s watch -o after.db -- numactl --cpunodebind=0 --membind=0 \
		./serial-init array 200 >/dev/null
	echo '== diff'; numamma report --diff -f csv before.db after.db"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

row=$(vm_section diff | grep '^"\?main (serial-init.c:' | head -1 || true)
[[ -n $row ]] || { show_vm_output; fail "no diff row for the array allocated in main"; }
IFS=, read -r where objects bytes s_before s_after r_before r_after rest <<<"$row"
echo "array: $s_before samples ${r_before}% remote before, $s_after samples ${r_after}% remote after"
awk -v b="$r_before" -v a="$r_after" 'BEGIN { exit !(b != "" && a != "" && b >= 30 && a <= 10) }' ||
	{ show_vm_output; fail "remote share before $r_before%, after $r_after%: want >= 30% then <= 10%"; }
