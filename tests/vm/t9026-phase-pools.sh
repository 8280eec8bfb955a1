#!/bin/bash
# Per-thread pools created per phase in the 4-node guest: in each of 4
# phases the main thread allocates one 2 MiB pool per worker from one
# call site and fills it, each worker computes on its own, and the main
# thread frees them (tests/vm/progs/patterns.c pools).  advise must place
# one object per worker (`each`, the k-th pool on the node of worker k
# mod 4) and run --policy=profile.db must put >= 95% of the pools' pages
# (>= 90% of the worst pool's) on their worker's node, phase after phase.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "pools 100" each
