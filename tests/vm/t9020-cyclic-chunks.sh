#!/bin/bash
# OpenMP's schedule(static, chunk) in the 4-node guest: the main thread
# initialises an 8 MiB array, then 4 workers each sweep the 64 KiB chunks
# k with k mod 4 = their rank (tests/vm/progs/patterns.c cyclic).  advise
# must find the cyclic plan from a ~1.5 s profile with the default
# sampler, and run --policy=profile.db must put >= 95% of each worker's
# pages (>= 90% of the worst worker's) on its node, with one mbind per
# chunk at most (128 chunks).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "cyclic 100" cyclic
at_most_mbind_calls 128
