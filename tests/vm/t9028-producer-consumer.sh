#!/bin/bash
# A producer/consumer queue in the 4-node guest: worker 0 fills the
# one-page slots of an 8 MiB ring, worker 1 reads each 4 times (it does
# the work), the main thread never touches the ring, so first touch puts
# it on the producer's node (tests/vm/progs/patterns.c queue).  advise
# must bind the ring to the consumer's node, the side that spends the
# most time on it (doc/policy.md, "How advise chooses"), and run
# --policy=profile.db must put >= 95% of its pages there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "queue 100" bind
vm_section advise | grep -E "^ +bind: (a queue|threads on node)" | head -n 1
