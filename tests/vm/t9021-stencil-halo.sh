#!/bin/bash
# A 2-D stencil with halo rows in the 4-node guest: the main thread
# initialises two 8 MiB grids of one-page rows, then 4 workers each
# compute their block of rows of one grid from the other, reading their
# neighbours' edge rows too (tests/vm/progs/patterns.c stencil).  Each
# row goes with the worker writing it: advise must find blocks, and run
# --policy=profile.db must put >= 95% of the workers' rows (>= 90% of the
# worst worker's) on their node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "stencil 100" block
