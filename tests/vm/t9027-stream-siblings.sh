#!/bin/bash
# a = b + s * c in the 4-node guest: the main thread initialises three
# 8 MiB arrays, then 4 workers each compute their block of them
# (tests/vm/progs/patterns.c stream).  Under emulation the clock sampler
# sees only the first access of the loop's body, so two of the arrays get
# few samples or none: advise must give them the plan of the array of
# their size it saw (blocks), and run --policy=profile.db must put >= 95%
# of all three arrays' block pages (>= 90% of the worst) on their worker's
# node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "stream 100" block
