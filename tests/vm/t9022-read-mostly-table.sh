#!/bin/bash
# A read-mostly table in the 4-node guest: the main thread fills an 8 MiB
# table, then 4 workers read it at random (tests/vm/progs/patterns.c
# table).  No thread owns a page: advise must interleave it, and under
# run --policy=profile.db its pages must be spread no worse than first
# touch left them (the busiest node holds <= 40% of them).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run_shared patterns "table 100"
