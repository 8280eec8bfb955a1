#!/bin/bash
# What `numamma run` costs: start-up (/bin/true) and per placed object
# (bench/place-objects: N allocations of 256 KiB, each one mbind), against
# native runs measured in the same invocation; medians of 5.
# Usage: bench/run-bench.sh [N]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
make -s -C "$top" numamma bench/place-objects >/dev/null

wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | sed -n 3p; }
five() { for i in 1 2 3 4 5; do wall "$@"; done | median; }

true_native=$(five /bin/true)
true_run=$(five "$top/numamma" run -q --interleave=all -- /bin/true)
true_profile=$(five "$top/numamma" profile -q -s none -o /tmp/numamma-bench.db -- /bin/true)
obj_native=$(five "$top/bench/place-objects" "$n")
obj_run=$(five "$top/numamma" run -q --interleave=all -- "$top/bench/place-objects" "$n")
rm -f /tmp/numamma-bench.db /tmp/numamma-bench.db.old
awk -v tn="$true_native" -v tr="$true_run" -v tp="$true_profile" -v on="$obj_native" \
    -v or="$obj_run" -v n="$n" 'BEGIN {
	printf "start-up: native /bin/true %.1f ms, numamma run %.1f ms (+%.1f ms), numamma profile %.1f ms (+%.1f ms)\n",
		tn / 1e3, tr / 1e3, (tr - tn) / 1e3, tp / 1e3, (tp - tn) / 1e3
	printf "placement: %d objects, native %.3f s, numamma run --interleave=all %.3f s, ratio %.1fx, %.0f us per placed object\n",
		n, on / 1e6, or / 1e6, or / on, (or - on) / n }'
