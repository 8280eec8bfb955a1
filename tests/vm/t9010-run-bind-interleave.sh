#!/bin/bash
# numamma run --bind / --interleave in the 4-node guest: heap, mmap and
# static objects (the static placed before main) land where asked.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
numamma_bin >/dev/null
build_guest_prog where

# Transparent huge pages are interleaved 2 MiB at a time: off, so that the
# check can be page-exact.  Two binds, so one differs from the native node.
vm --copy "$T/where" -- sh -c '
	echo never > /sys/kernel/mm/transparent_hugepage/enabled
	echo "== native"; ./where
	echo "== bind1"; numamma run -q --bind=1 -- ./where
	echo "== bind3"; numamma run -q --bind=3 -- ./where
	echo "== interleave"; numamma run -q --interleave=all -- ./where'
((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }

count() { sed -n "s/.* $2:\([0-9]*\).*/\1/p" <<<"$1"; }

# bind=N: every page of every object on node N.
for node in 1 3; do
	while read -r name rest; do
		line="$name $rest"
		total=$(( $(count "$line" 0) + $(count "$line" 1) + $(count "$line" 2) + $(count "$line" 3) ))
		[[ $total -gt 0 && $(count "$line" $node) -eq $total && $(count "$line" other) -eq 0 ]] ||
			{ show_vm_output; fail "bind $node: $line"; }
	done < <(vm_section bind$node)
	[[ $(vm_section bind$node | wc -l) -eq 3 ]] || { show_vm_output; fail "bind $node: want 3 objects"; }
done

# interleave=all: each node holds 20-30% of every object's pages.
while read -r name rest; do
	line="$name $rest"
	total=$(( $(count "$line" 0) + $(count "$line" 1) + $(count "$line" 2) + $(count "$line" 3) ))
	for n in 0 1 2 3; do
		c=$(count "$line" $n)
		(( c * 100 >= total * 20 && c * 100 <= total * 30 )) ||
			{ show_vm_output; fail "interleave: node $n has $c of $total: $line"; }
	done
done < <(vm_section interleave)
[[ $(vm_section interleave | wc -l) -eq 3 ]] || { show_vm_output; fail "interleave: want 3 objects"; }
cat "$T/out"
