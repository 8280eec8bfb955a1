#!/bin/bash
# A sparse matrix-vector product in the 4-node guest (CG's kernel): the
# main thread builds A in CSR (8 nonzeros a row at random columns) and
# the vectors, then 4 workers each compute y = A x on their block of rows
# (tests/vm/progs/patterns.c spmv).  advise must place A's values, column
# indices and y in blocks and interleave x, which every worker reads at
# random; run --policy=profile.db must put >= 95% of the owned pages
# (>= 90% of the worst worker's) on their worker's node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "spmv 100" block
vm_section advise | grep -q "^  interleave .*up to 1048576 bytes" ||
	{ show_vm_output; fail "advise did not interleave x"; }
