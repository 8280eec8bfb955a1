#!/bin/bash
# A single-threaded program never creates the thread at which run pins
# its main thread: profiled on cpu 3 (numactl --physcpubind=3), its plan
# binds its array to node 3 and pins rank 0 there, and nothing else.
# Launched with every cpu, run keeps the main thread on its planned
# node's cpus from its exec: in each of three runs the thread is on node
# 3 and >= 95% of its array's pages are local.  Before, the thread ran
# where the scheduler put it (near the tracer that wakes it), its data
# bound to node 3: remote unless it happened to run there.  A child it
# forks (a shell script's command) gets every cpu back.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
build_guest_prog single-thread
vm --copy "$T/single-thread" -- sh -c "
	numactl --physcpubind=3 numamma profile -q -o p.db -- ./single-thread 200 >/dev/null
	echo '== advise'; numamma advise p.db
	for k in 1 2 3; do
		echo '== run'; numamma run -q --policy=p.db -- ./single-thread 10
	done
	numactl --physcpubind=3 numamma profile -q -o s.db -- sh -c './single-thread 100 >/dev/null; true'
	echo '== script'; numamma run -q --policy=s.db -- sh -c 'grep Cpus_allowed_list /proc/self/status; true'"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
vm_section advise | grep -Eq '^  rank  0 .* pin to (cpu 3|node 3)' ||
    { show_vm_output; fail "advise planned no pin of rank 0 on node 3"; }
# Its array's site is bound to node 3 when the profile sampled it (most
# runs: before, run left the thread elsewhere, its pages remote); else
# left to first touch, and the thread's node is what is checked.
plan=$(vm_section advise | grep -q '^  bind ' && echo "bound to node 3" || echo "left to first touch")
nodes=$(vm_section run | sed -n 's/^block 0: worker on node \([0-9]*\),.*/\1/p' | tr '\n' ' ')
local=$(vm_section run | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p' | tr '\n' ' ')
echo "the array's site $plan; three runs: the thread on nodes $nodes; its array's pages local: $local%"
[[ $nodes == "3 3 3 " ]] || { show_vm_output; fail "the thread ran on nodes $nodes, want node 3 each time"; }
# A shell's plan is of its main thread alone too: the shell is kept on
# node 3, the command it forks gets every cpu back.
child=$(vm_section script | sed -n 's/^Cpus_allowed_list:[[:space:]]*//p')
[[ $child == 0-3 ]] || { show_vm_output; fail "the script's child had cpus '$child', want 0-3"; }
for l in $local; do
    awk -v l="$l" 'BEGIN { exit !(l >= 95) }' ||
	{ show_vm_output; fail "a run put $l% of the array local, want >= 95%"; }
done
