#!/bin/bash
# The same mistake in OpenMP: serial initialisation, then a parallel loop
# with the static schedule over 4 threads, the master working on the
# first block.  advise must find the block plan (the main thread's slice
# included) and run --policy=profile.db must keep OpenMP's 4 threads (the
# main thread is pinned only once it starts its first thread, after
# OpenMP sized its pool) and put >= 95% of all block pages, >= 90% of the
# worst block, on the node of the thread using it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run omp-init 100 block -fopenmp
[[ $(vm_section run | grep -c '^block ') == 4 ]] || { show_vm_output; fail "want 4 OpenMP threads under run"; }
