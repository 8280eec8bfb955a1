#!/bin/bash
# A launched program's main thread is pinned when it creates its first
# thread, after it ran: what it touched until then (its copy of a 2 MiB
# thread-local array, a 2 MiB array on its stack) is where it ran.  The
# program first-touches both on the node after the one advise plans for
# the main thread (rank 0), then starts 3 workers; under
# run --policy=profile.db the main thread is pinned to its planned node
# and numamma moves its stack and thread-locals there: >= 95% of both
# arrays' pages (>= 90% of each) on the node it runs on.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
build_guest_prog main-memory
vm --copy "$T/main-memory" -- sh -c "
	numamma profile -q -o p.db -- ./main-memory 3 10 >/dev/null
	echo '== advise'; numamma advise p.db
	planned=\$(numamma advise p.db | sed -n 's/^ *rank  *0 .*-> node \\([0-9]*\\).*/\\1/p')
	touch=\$(( (planned + 1) % 4 ))
	echo '== native'; ./main-memory \$touch 10
	echo '== run'; numamma run --policy=p.db -- ./main-memory \$touch 10"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
touched=$(vm_section run | sed -n 's/^main: touched its arrays on node \([0-9]*\)/\1/p')
runs=$(vm_section run | sed -n 's/^main: runs on node \([0-9]*\)/\1/p')
native=$(vm_section native | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
run=$(vm_section run | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
worst=$(vm_section run | sed -n 's/.*worst block \([0-9.]*\)%.*/\1/p')
[[ -n $touched && -n $runs && -n $native && -n $run && -n $worst ]] ||
    { show_vm_output; fail "missing figures"; }
[[ $touched != "$runs" ]] ||
    { show_vm_output; fail "the main thread runs where it touched its arrays (node $runs): nothing to move"; }
grep -q "^numamma: run: pinned threads' own memory (" "$T/err" ||
    { show_vm_output; fail "run's summary: no line for the main thread's stack and thread-locals"; }
echo "main thread's arrays touched on node $touched, pinned to node $runs: native $native% local," \
     "under numamma run $run% (worst array $worst%)"
awk -v a="$run" -v w="$worst" 'BEGIN { exit !(a >= 95 && w >= 90) }' ||
    { show_vm_output; fail "the main thread's arrays: $run% local (worst $worst%), want >= 95% (>= 90%)"; }
