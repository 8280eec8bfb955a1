#!/bin/bash
# numamma stat in the 4-node guest: a program whose memory is bound to
# node 2 (numactl --membind=2) first-touches a known number of pages; its
# resident pages at exit and the system-wide numastat of the run show them
# on node 2, in text and in JSON.  Also a run on node 1's cpus with its
# memory on node 3, which numastat counts as other_node on node 3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
pages=4000
cc -O2 -pthread -o "$T/touch-pages" "$TOP/tests/progs/touch-pages.c" || fail "cannot build touch-pages"

vm --copy "$T/touch-pages" -- sh -c "
	echo '== native'; numactl --membind=2 ./touch-pages $pages main 2>&1
	echo '== text'; numamma stat -o text.txt -- numactl --membind=2 ./touch-pages $pages main 2>&1
	echo \"status \$?\"; cat text.txt
	echo '== json'; numamma stat -j -o j.json -- numactl --membind=2 ./touch-pages $pages thread >/dev/null 2>&1
	cat j.json
	echo '== remote'; numamma stat -- numactl --cpunodebind=1 --membind=3 ./touch-pages $pages main 2>&1"
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

# Output and status untouched.
[[ $(vm_section native) == "$(vm_section text | sed -n 1,2p)" ]] ||
	{ show_vm_output; fail "program output differs under numamma stat"; }
vm_section text | grep -qx "status 0" || { show_vm_output; fail "status not 0"; }

# Resident pages: at least the touched ones on node 2, most of them there.
node2=$(vm_section text | awk '$2 == "pages" && $5 == 2 { print $1 }')
all=$(vm_section text | awk '$2 == "pages" && $4 == "all" { print $1 }')
[[ -n $node2 && -n $all ]] || { show_vm_output; fail "no resident pages per node"; }
((node2 >= pages && node2 * 10 >= all * 9)) ||
	{ show_vm_output; fail "resident: $node2 of $all pages on node 2, want >= $pages and >= 90%"; }

# numastat: node 2 served the allocations (numa_hit), node 0 not that many.
hits=($(vm_section text | awk '$1 == "numa_hit" && NF == 5 { print $2, $3, $4, $5 }'))
((${#hits[@]} == 4)) || { show_vm_output; fail "no 4-node numa_hit row"; }
((hits[2] >= pages)) || { show_vm_output; fail "numa_hit on node 2: ${hits[2]}, want >= $pages"; }
((hits[0] < pages)) || { show_vm_output; fail "numa_hit on node 0: ${hits[0]}, the program's pages are not there"; }
vm_section text | grep -q "^ SYSTEM-WIDE" || { show_vm_output; fail "system-wide counters not marked"; }

# JSON (no python in the guest: checked here), the pages touched by a thread.
vm_section json >"$T/j.json"
python3 - "$T/j.json" "$pages" <<'PY' || { show_vm_output; fail "JSON check failed"; }
import json, sys
j = json.load(open(sys.argv[1])); pages = int(sys.argv[2])
assert j["events"]["page-faults"]["value"] >= pages, j["events"]["page-faults"]
assert j["resident"]["nodes"]["2"]["pages"] >= pages, j["resident"]
assert j["numastat"]["scope"] == "system" and j["numastat"]["nodes"]["2"]["numa_hit"] >= pages, j["numastat"]
assert j["hardware"]["counted"] == 0 and "why" in j["hardware"], "a PMU in the guest?"
PY

# Memory on node 3 for a program on node 1's cpus: other_node on node 3.
other=($(vm_section remote | awk '$1 == "other_node" && NF == 5 { print $2, $3, $4, $5 }'))
rnode3=$(vm_section remote | awk '$2 == "pages" && $5 == 3 { print $1 }')
((${#other[@]} == 4 && other[3] >= pages)) || { show_vm_output; fail "other_node on node 3: ${other[3]:-none}"; }
((rnode3 >= pages)) || { show_vm_output; fail "remote: $rnode3 resident pages on node 3"; }
vm_section text
