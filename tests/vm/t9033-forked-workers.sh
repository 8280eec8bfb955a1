#!/bin/bash
# Workers that are processes, not threads: the main process initialises
# one 8 MiB shared anonymous mapping, then forks 4 workers that each
# compute on their own block of it (a pre-fork server's or a process
# pool's layout).  advise must plan the 4 children as workers (pin-child
# 1..4) and the mapping as blocks, and run --policy=profile.db must pin
# each child at its fork and put >= 95% of the block pages (>= 90% of the
# worst block) on their worker's node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run serial-init "forked 100" block
for k in 1 2 3 4; do
    vm_section advise | grep -Eq "^  child $k .* pin to (cpu|node) [0-9]+" ||
	{ show_vm_output; fail "advise planned no pin for worker process $k"; }
done
