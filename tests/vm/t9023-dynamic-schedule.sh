#!/bin/bash
# OpenMP's schedule(dynamic) in the 4-node guest: 4 workers take 64 KiB
# chunks of an 8 MiB array from a shared counter, round after round
# (tests/vm/progs/patterns.c dynamic), so no chunk keeps an owner.
# advise must interleave the array, and under run --policy=profile.db
# its pages must be spread no worse than first touch left them (the
# busiest node holds <= 40% of them).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run_shared patterns "dynamic 100"
