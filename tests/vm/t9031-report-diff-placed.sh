#!/bin/bash
# The whole loop a user runs, in the 4-node guest: serial-init's main
# thread first-touches its array (every page on one node), then 4 workers
# on 4 nodes compute on their blocks, mostly remote.  profile -> advise
# (a block plan) -> numamma run --policy=before.db -o after.db (sampled
# as profile samples: the default, clock in the guest) -> report --diff before.db
# after.db: the array is matched by its call stack and its remote share
# falls (fractions compared, not counts: the two runs sample differently).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

numamma_bin >/dev/null
build_guest_prog serial-init -g
vm --copy "$T/serial-init" -- sh -c "
	numamma profile -q -o before.db -- ./serial-init array 200 >/dev/null
	echo '== advise'; numamma advise before.db
	numamma run -q --policy=before.db -o after.db -- ./serial-init array 200 >/dev/null
	echo '== diff'; numamma report --diff -f csv before.db after.db"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

vm_section advise | grep -q "^  block " || { show_vm_output; fail "advise chose no block plan"; }
row=$(vm_section diff | grep '^"\?main (serial-init.c:' | head -1 || true)
[[ -n $row ]] || { show_vm_output; fail "no diff row for the array allocated in main"; }
IFS=, read -r where objects bytes s_before s_after r_before r_after rest <<<"$row"
echo "array: $s_before samples ${r_before}% remote profiled, $s_after samples ${r_after}% remote under run --policy"
((s_after >= 50)) || { show_vm_output; fail "run -o sampled the array $s_after times: want >= 50"; }
awk -v b="$r_before" -v a="$r_after" 'BEGIN { exit !(b != "" && a != "" && b >= 30 && a <= 10) }' ||
	{ show_vm_output; fail "remote share profiled $r_before%, placed $r_after%: want >= 30% then <= 10%"; }
