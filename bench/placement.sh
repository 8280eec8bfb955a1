#!/bin/bash
# The placement bench: in the 4-node QEMU guest (tests/vm/run), each
# access pattern of tests/vm/progs (blocks, cyclic chunks, a stencil with
# halo rows, a read-mostly table, a dynamic schedule, SpMV, per-thread
# pools per phase, producer/consumer queues, 2-D tiles, forked worker
# processes on a shared mapping) under first touch,
# numactl --interleave=all, the kernel's automatic NUMA balancing (a run
# of about 4 s) and numamma run with the program's profile as policy.
# Prints one table (bench/placement-guest.sh says what the figures are).
#
#   bench/placement.sh              (after make; takes a few minutes)
#   MINPROFILE=1 bench/placement.sh (the plan from profiles of 5 to 100
#                                    rounds instead; ROUNDS_LIST to choose)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/numamma-placebench.XXXXXX")
trap 'rm -rf "$T"' EXIT

for prog in serial-init patterns; do
	cc -O2 -pthread -o "$T/$prog" "$TOP/tests/vm/progs/$prog.c" -lnuma
done
cd "$TOP"
tests/vm/run --timeout "${NUMAMMA_VM_TIMEOUT:-900}" --copy "$T/serial-init" --copy "$T/patterns" \
	--copy "$TOP/bench/placement-guest.sh" -- env "MINPROFILE=${MINPROFILE:-}" \
	"ROUNDS_LIST=${ROUNDS_LIST:-5 10 25 50 100}" sh ./placement-guest.sh
