#!/bin/bash
# t9000-vm-smoke — the QEMU guest of tests/vm/run boots with 4 NUMA nodes,
# runs the freshly built numamma, and places pages where mbind asks.
# All checks share one boot (a boot costs seconds under TCG).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

NUMAMMA=$(numamma_bin)
export NUMAMMA

# place-check needs libnuma's headers; `make deps` installs them.
echo '#include <numaif.h>' | cc -E - >/dev/null 2>&1 ||
    skip "numaif.h missing; run: apt-get install -y libnuma-dev"
cc -O2 -Wall -o "$T/place-check" "$VM_DIR/place-check.c" -lnuma

# numamma must behave in the guest as on the host: same first line of
# --version (or --help, should --version not exist).
flag=--version
"$NUMAMMA" --version >"$T/host-version" 2>&1 || { flag=--help; "$NUMAMMA" --help >"$T/host-version" 2>&1 || true; }
host_line=$(head -n 1 "$T/host-version")

# shellcheck disable=SC2016  # expanded by the guest shell
vm --copy "$T/place-check" -- sh -c '
    echo "nodes: $(cd /sys/devices/system/node && echo node[0-9]*)"
    echo "cpus of node 3: $(cat /sys/devices/system/node/node3/cpulist)"
    numactl -H | head -n 1
    echo "numamma: $(command -v numamma)"
    numamma '"$flag"' >numamma.out 2>&1; echo "numamma status: $?"
    echo "numamma says: $(head -n 1 numamma.out)"
    ./place-check; echo "place-check status: $?"
'

expect() {
    grep -qxF -- "$1" "$T/out" || { show_vm_output; fail "guest output lacks: $1"; }
}
((VM_STATUS == 0)) || { show_vm_output; fail "tests/vm/run exited $VM_STATUS"; }
expect "nodes: node0 node1 node2 node3"
expect "cpus of node 3: 3"
expect "available: 4 nodes (0-3)"
expect "numamma: /usr/local/bin/numamma"
if [[ $flag == --version ]]; then expect "numamma status: 0"; fi
expect "numamma says: $host_line"
for n in 0 1 2 3; do expect "bind $n: ok (64 pages on node $n)"; done
expect "interleave 0-3: ok (pages per node: 16 16 16 16)"
expect "place-check status: 0"
cat "$T/out"
