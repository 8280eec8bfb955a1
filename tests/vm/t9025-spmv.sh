#!/bin/bash
# A sparse matrix-vector product in the 4-node guest (CG's kernel): the
# main thread builds A in CSR (8 nonzeros a row at random columns) and
# the vectors, then 4 workers each compute y = A x on their block of rows
# (tests/vm/progs/patterns.c spmv).  advise must place A and y in blocks;
# run --policy=profile.db must put >= 95% of their pages (>= 90% of the
# worst worker's) on their worker's node.  x, read at random, is not
# judged: in the TCG guest the clock sampler sees only the first access
# of a loop's body, A's (see patterns.c).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "spmv 100" block
