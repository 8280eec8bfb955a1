#!/bin/bash
# Many threads allocating at once: bench/malloc-storm with THREADS threads
# sharing CALLS malloc+free pairs (each thread CALLS / THREADS), natively,
# under `numamma profile` (sampler off), under a BASELINE build in the same
# rounds, and under heaptrack: medians of RUNS wall times, ratios to
# native.  The agent gives 127 threads rings of their own; the rest share
# one, with a stack walk at every call.
#
#   bench/threads-bench.sh [CALLS [THREADS...]]     (800000; 8 32 100 200)
#   RUNS=5 BASELINE=/tmp/numamma.before bench/threads-bench.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
bench_init 3
calls=${1:-800000}
shift || true
counts=("$@")
((${#counts[@]})) || counts=(8 32 100 200)
make -s -C "$top" numamma bench/malloc-storm >&2
storm=$top/bench/malloc-storm
base=${BASELINE:-}

# ratio FILE NATIVE: the median wall time of FILE against NATIVE, "-" when empty.
ratio() {
	[[ -s $1 ]] || { echo -; return; }
	awk -v t="$(median "$1" 1)" -v n="$2" 'BEGIN { printf "%.2fx", t / n }'
}

printf "%8s %9s %9s %9s %10s\n" threads native numamma "base" heaptrack
for threads in "${counts[@]}"; do
	per=$((calls / threads))
	: >"$tmp/native" && : >"$tmp/numamma" && : >"$tmp/base" && : >"$tmp/heap"
	for ((i = 0; i < runs; i++)); do
		seconds "$storm" "$per" "$threads" >>"$tmp/native"
		seconds "$numamma" profile -q -s none -o "$tmp/p.db" -- "$storm" "$per" "$threads" >>"$tmp/numamma"
		[[ -z $base ]] || seconds "$base" profile -q -s none -o "$tmp/b.db" -- "$storm" "$per" "$threads" >>"$tmp/base"
		! command -v heaptrack >/dev/null ||
			seconds heaptrack -o "$tmp/ht" "$storm" "$per" "$threads" >>"$tmp/heap"
		rm -f "$tmp"/ht*
	done
	native=$(median "$tmp/native" 1)
	printf "%8d %8.3fs %9s %9s %10s\n" "$threads" "$native" "$(ratio "$tmp/numamma" "$native")" \
		"$(ratio "$tmp/base" "$native")" "$(ratio "$tmp/heap" "$native")"
done
