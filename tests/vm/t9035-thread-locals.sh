#!/bin/bash
# Workers' thread-local arrays: glibc's pthread_create clears each new
# thread's copy in the creating thread, so every copy starts on the main
# thread's node.  advise pins the workers; run --policy=profile.db moves
# each pinned worker's copy to its node at its start: >= 95% of all the
# copies' pages, >= 90% of the worst, local.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
guest_profile_advise_run tls-workers 20
native=$(vm_section native | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
run=$(vm_section run | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
worst=$(vm_section run | sed -n 's/.*worst block \([0-9.]*\)%.*/\1/p')
[[ -n $native && -n $run && -n $worst ]] || { show_vm_output; fail "missing figures"; }
vm_section advise | grep -q "more on threads' stacks and thread-local variables" ||
	{ show_vm_output; fail "advise did not count the samples on the thread-local copies"; }
echo "local thread-local pages: native $native%, under numamma run $run% (worst worker $worst%)"
awk -v a="$run" -v w="$worst" 'BEGIN { exit !(a >= 95 && w >= 90) }' ||
	{ show_vm_output; fail "placement: $run% local (worst $worst%), want >= 95% (>= 90%)"; }
