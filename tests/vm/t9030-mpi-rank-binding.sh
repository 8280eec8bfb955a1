#!/bin/bash
# Two ranks of a job bound apart, as mpirun --bind-to would leave them,
# faked in the 4-node guest: OMPI_COMM_WORLD_RANK 0 on cpus 0-1 (nodes
# 0-1), rank 1 on cpus 2-3 (nodes 2-3), each running serial-init (a
# serial initialisation, then 4 workers on their own block).  Each rank
# is profiled, advise plans each within its own cpus and nodes (one
# policy, a section per rank), and run under the same binding puts each
# rank's blocks on its own nodes: >= 95% of the pages local to their
# worker, >= 90% for the worst block, no worker outside the rank's
# nodes.  Then rank 1 in a cgroup cpuset allowing memory on node 2 only:
# the plan's node-3 slices fall back inside it, said so, and every page
# of the array is on node 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

numamma_bin >/dev/null
build_guest_prog serial-init
vm --timeout 600 --copy "$T/serial-init" -- sh -c '
	rank() { r=$1; shift; OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=2 taskset -c $((2 * r))-$((2 * r + 1)) "$@"; }
	for r in 0 1; do
		echo "== native $r"; rank $r ./serial-init array 100
		rank $r numamma profile -q -o p.db -- ./serial-init array 100 >/dev/null
	done
	echo "== advise"; numamma advise p.rank0.db p.rank1.db -o app.policy >advise.out &&
		grep "^planned within" advise.out
	echo "== sections"; grep -E "^(numamma-policy|launcher-rank|pin)" app.policy
	for r in 0 1; do
		echo "== run $r"; rank $r numamma run --policy app.policy -- ./serial-init array 100 2>&1
	done
	mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup &&
	echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control && mkdir /sys/fs/cgroup/rank1 &&
	echo 2-3 >/sys/fs/cgroup/rank1/cpuset.cpus && echo 2 >/sys/fs/cgroup/rank1/cpuset.mems ||
		{ echo "== no cpuset"; exit 0; }
	echo "== cpuset"
	sh -c "echo \$\$ >/sys/fs/cgroup/rank1/cgroup.procs &&
		OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 exec numamma run --verify --policy app.policy -- ./serial-init array 100" 2>&1'
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

# (grep -q would end a pipe early: pipefail)
[[ $(vm_section advise | grep '^planned within') == "planned within the launcher's binding: cpus 0-1, nodes 0-1
planned within the launcher's binding: cpus 2-3, nodes 2-3" ]] ||
	{ show_vm_output; fail "advise did not plan each rank within its binding"; }
# every pin of section R on cpus 2R, 2R+1
vm_section sections | awk '/^launcher-rank/ { r = $2 } /^pin / && ($3 < 2 * r || $3 > 2 * r + 1) { bad = 1 }
	END { exit bad }' || { show_vm_output; fail "a rank's pin outside its cpus"; }
[[ $(vm_section sections | grep -c '^launcher-rank') == 2 ]] || { show_vm_output; fail "not a section per rank"; }
for r in 0 1; do
	all=$(vm_section "run $r" | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
	worst=$(vm_section "run $r" | sed -n 's/.*worst block \([0-9.]*\)%.*/\1/p')
	native=$(vm_section "native $r" | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
	nodes=$(vm_section "run $r" | sed -n 's/^block [0-9]*: worker on node \([0-9]*\),.*/\1/p' | sort -u | paste -sd ' ')
	echo "rank $r: local block pages native $native%, under numamma run $all% (worst $worst%), workers on nodes $nodes"
	[[ -n $all && -n $worst ]] || { show_vm_output; fail "rank $r: missing figures"; }
	[[ $nodes == "$((2 * r)) $((2 * r + 1))" ]] || { show_vm_output; fail "rank $r: workers on nodes $nodes"; }
	awk -v a="$all" -v w="$worst" 'BEGIN { exit !(a >= 95 && w >= 90) }' ||
		{ show_vm_output; fail "rank $r: $all% local (worst $worst%), want >= 95% (>= 90%)"; }
	vm_section "run $r" | grep -c "^numamma: run: rank $r: placed [1-9][0-9]* objects" >/dev/null ||
		{ show_vm_output; fail "rank $r: no verification of its own"; }
done

if grep -q '^== no cpuset$' "$T/out"; then
	echo "the guest has no cgroup cpuset: the memory-node fallback is not checked"
	exit 0
fi
cpuset=$(vm_section cpuset)
grep -q "^numamma: run: rank 1: [1-9][0-9]* placement ranges named nodes outside the allowed nodes (2): kept to those, [1-9][0-9]* of them left where first touched$" <<<"$cpuset" ||
	{ show_vm_output; fail "the fallback to the allowed nodes is not said"; }
# The array's ranges kept (its node-2 slices) verified there; the
# program's own check: every block's pages on node 2, the cpuset's node.
grep -Eq "^numamma: run: rank 1: object [0-9]+ heap malloc 8388608 bytes: .* failed ranges 0; nodes 2:[1-9][0-9]*$" <<<"$cpuset" ||
	{ show_vm_output; fail "the array's placed pages are not on node 2"; }
awk '/^block [0-9]*: worker on node/ { n++; split($7, p, "/"); if (($6 == "2,") != (p[1] == 512)) bad = 1 }
	END { exit bad || n != 4 }' <<<"$cpuset" || { show_vm_output; fail "pages outside node 2 in the cpuset"; }
