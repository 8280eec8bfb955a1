#!/bin/bash
# numamma run -p PID in the 4-node guest: attached to a running program,
# it migrates the pages its static array already has, places the blocks
# the program allocates meanwhile, then detaches; the program finishes
# normally and reports where its pages are.  The program allocates its
# middle block 6 s in and its last one at 12 s; attached at 1 s for 6 s,
# numamma may take up to 5 s to attach (an emulated guest on a loaded
# host) and still see the middle block and not the last.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
build_guest_prog where-later

vm --copy "$T/where-later" -- sh -c '
	echo never > /sys/kernel/mm/transparent_hugepage/enabled
	taskset -c 0 ./where-later 12 > out &
	pid=$!
	sleep 1
	numamma run -q --bind=2 --duration=6 -p $pid
	echo "run status $?"
	wait $pid
	echo "program status $?"
	cat out'
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
grep -qx "run status 0" "$T/out" || { show_vm_output; fail "numamma run -p failed"; }
grep -qx "program status 0" "$T/out" || { show_vm_output; fail "the program did not exit 0"; }
# The static array was first touched on node 0 (cpu 0) before the attach:
# migrated.  The block allocated halfway, while attached: placed.  The
# last one, allocated after the detach: left where first touched.
grep -qx "static 0:0 1:0 2:511 3:0 other:0" "$T/out" || { show_vm_output; fail "static array not migrated to node 2"; }
grep -Eqx "middle 0:0 1:0 2:[0-9]+ 3:0 other:0" "$T/out" || { show_vm_output; fail "block allocated while attached not on node 2"; }
grep -Eqx "last 0:[0-9]+ 1:0 2:0 3:0 other:0" "$T/out" || { show_vm_output; fail "a block allocated after the detach was placed"; }
cat "$T/out"
