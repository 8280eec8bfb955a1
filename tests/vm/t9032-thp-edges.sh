#!/bin/bash
# What numamma run relies on to place memory that transparent huge pages
# already back, on the guest's kernel: mbind(MPOL_MF_MOVE) of a range
# whose edges fall inside huge pages moves those huge pages whole, pages
# outside the range too (t9026's pool lost 493 pages to its neighbour's
# node that way), and MADV_COLD on a page of each first splits them, so
# that only the range moves (tests/vm/progs/thp-edges.c): the split run
# must leave every page outside the range on node 0.  Skips when the
# guest gave no huge pages.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build_guest_prog thp-edges
vm --copy "$T/thp-edges" -- sh -c './thp-edges; ./thp-edges split'
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
cat "$T/out"
grep -q "^plain: huge pages 0 kB" "$T/out" && skip "the guest backed nothing with huge pages"
grep -q "^plain: .*outside it on node 1: [1-9]" "$T/out" ||
	echo "note: this kernel's mbind no longer drags huge pages along (split_edges is then moot)"
grep -q "^split: .*range on node 1: 511/511 pages; outside it on node 1: 0/513" "$T/out" ||
	{ show_vm_output; fail "MADV_COLD on the edges did not keep the neighbours in place"; }
