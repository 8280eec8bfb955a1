#!/bin/bash
# The same mistake with per-thread buffers: the main thread allocates one
# buffer per worker in a loop (one call site, four objects) and fills
# them all, then worker w computes on buffer w.  advise must give each
# object its worker's node (an `each` plan), and run --policy=profile.db
# must put >= 95% of all buffer pages, >= 90% of the worst, there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run serial-init "buffers 100" each
