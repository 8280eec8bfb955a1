#!/bin/bash
# Chunks dealt in turn behind a header in the 4-node guest: the main
# thread initialises a 24 KiB header and an 8 MiB array after it, then 4
# workers sweep the array's 64 KiB chunks, chunk k going to worker
# (k + 1) mod 4 (tests/vm/progs/patterns.c cyclic-header).  advise must
# find the cyclic plan and where its first chunk starts (a `from` past
# the header, within half a page of 24576 bytes), and run
# --policy=profile.db must put >= 95% of each worker's pages (>= 90% of
# the worst worker's) on its node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
profile_advise_run patterns "cyclic-header 100" cyclic
from=$(vm_section advise | sed -n 's/.*chunks of 65536 bytes, the first at byte \([0-9]*\) .*/\1/p' | head -n 1)
echo "first chunk at byte ${from:-?}"
[[ -n $from ]] && ((from > 24576 - 2048 && from < 24576 + 2048)) ||
	{ show_vm_output; fail "advise put the first chunk at byte ${from:-?}, want about 24576"; }
