#!/bin/bash
# OpenMP's schedule(static, 3000) in the 4-node guest: serial
# initialisation, then 4 threads, the master included, each on every 4th
# chunk of 3000 doubles (24000 bytes: chunks do not start on pages).
# advise must find the cyclic plan (its chunk size from the samples), and
# run --policy=profile.db must put >= 95% of the pages wholly inside a
# thread's chunks (>= 90% of the worst thread's) on its node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run omp-cyclic "100 3000" cyclic -fopenmp
vm_section advise | grep -q "chunks of 24000 bytes" || { show_vm_output; fail "advise missed the chunk size"; }
