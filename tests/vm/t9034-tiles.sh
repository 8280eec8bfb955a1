#!/bin/bash
# A 2-D array cut into 2 x 2 tiles in the 4-node guest: the main thread
# initialises 512 rows of 16 KiB, then workers 0 and 1 work on the first
# 256 rows, each on its half of every row, 2 and 3 on the others
# (tests/vm/progs/patterns.c tiles).  No block or cyclic plan fits that;
# advise must find the tiles (each band's chunks dealt to its workers),
# and run --policy=profile.db must put >= 95% of the tiles' pages (>= 90%
# of the worst worker's) on their worker's node, with one mbind per
# half-row at most (1,024).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "tiles 100" tiles
at_most_mbind_calls 1024
