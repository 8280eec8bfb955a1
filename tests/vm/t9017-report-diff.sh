#!/bin/bash
# numamma report --diff in the 4-node guest, with the watch sampler (t9031
# runs the whole profile -> advise -> run loop with the default one).
# serial-init runs twice with its placement fixed by numactl, so the
# remote shares are known: first its threads on node 1 and its memory on
# node 0 (every access remote), then everything on node 0 (none remote).
# The diff matches the array by its call stack, despite ASLR, and shows
# its remote share falling.
#
# Fixed placement, not the serial-init mistake left to the scheduler: with
# 4 workers on the guest's 4 vcpus, numamma's rotations starve and the
# first profile got 22-86 samples, some of them the main thread's local
# initialisation; whether 30% of them were remote was a matter of chance.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

numamma_bin >/dev/null
build_guest_prog serial-init -g
vm --copy "$T/serial-init" -- sh -c "
	numamma profile -q -s watch -o before.db -- numactl --cpunodebind=1 --membind=0 \
		./serial-init array 200 >/dev/null
	numamma profile -q -s watch -o after.db -- numactl --cpunodebind=0 --membind=0 \
		./serial-init array 200 >/dev/null
	echo '== diff'; numamma report --diff -f csv before.db after.db"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

row=$(vm_section diff | grep '^"\?main (serial-init.c:' | head -1 || true)
[[ -n $row ]] || { show_vm_output; fail "no diff row for the array allocated in main"; }
IFS=, read -r where objects bytes s_before s_after r_before r_after rest <<<"$row"
echo "array: $s_before samples ${r_before}% remote before, $s_after samples ${r_after}% remote after"
((s_before >= 50 && s_after >= 50)) ||
	{ show_vm_output; fail "the array was sampled $s_before and $s_after times: want >= 50 each"; }
awk -v b="$r_before" -v a="$r_after" 'BEGIN { exit !(b != "" && a != "" && b >= 90 && a <= 10) }' ||
	{ show_vm_output; fail "remote share before $r_before%, after $r_after%: want >= 90% then <= 10%"; }
