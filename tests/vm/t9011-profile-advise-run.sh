#!/bin/bash
# The placement engine end to end in the 4-node guest, on the classic
# mistake: serial initialisation by the main thread (natively every page
# lands on one node), then 4 workers each computing on their own block.
# profile -> advise -> run --policy=profile.db must put >= 95% of all block
# pages, and >= 90% of the worst block, on the node of the worker using it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
build_guest_prog serial-init

vm --copy "$T/serial-init" -- sh -c '
	echo "== native"; ./serial-init 100
	echo "== profile"; numamma profile -q -o p.db -- ./serial-init 100 >/dev/null
	echo "== advise"; numamma advise p.db
	echo "== run"; numamma run --policy=p.db -- ./serial-init 100'
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

section() { awk -v s="== $1" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$T/out"; }

native_all=$(section native | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
run_all=$(section run | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
run_worst=$(section run | sed -n 's/.*worst block \([0-9.]*\)%.*/\1/p')
predicted=$(section advise | sed -n 's/^  after: *\([0-9]*\)% predicted.*/\1/p')
[[ -n $native_all && -n $run_all && -n $run_worst && -n $predicted ]] ||
	{ show_vm_output; fail "missing figures"; }
section advise | grep -q "^  block " || { show_vm_output; fail "advise chose no block plan"; }
echo "local block pages: native $native_all%, under numamma run $run_all% (worst block $run_worst%), advise predicted $predicted%"
awk -v a="$run_all" -v w="$run_worst" 'BEGIN { exit !(a >= 95 && w >= 90) }' ||
	{ show_vm_output; fail "placement: $run_all% local (worst $run_worst%), want >= 95% (>= 90%)"; }
