#!/bin/bash
# The same mistake on a static array (.bss): the main thread initialises
# it, 4 workers then compute on their own blocks.  advise must find the
# block plan for the static (by module and symbol), and run
# --policy=profile.db must bind its slices before main runs: >= 95% of
# all block pages, >= 90% of the worst block, on their worker's node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run serial-init "static 100" block
