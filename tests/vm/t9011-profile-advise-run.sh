#!/bin/bash
# The placement engine end to end in the 4-node guest, on the classic
# mistake: serial initialisation by the main thread (natively every page
# lands on one node), then 4 workers each computing on their own block of
# one array.  profile -> advise (a block plan) -> run --policy=profile.db
# must put >= 95% of all block pages, and >= 90% of the worst block, on
# the node of the worker using it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run serial-init "array 100" block
