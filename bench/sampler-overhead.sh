#!/bin/bash
# The cost of sampling: bench/compute run natively, then under
# `numamma profile` with the pagefault and the watch samplers (and
# --sampler=none, the tracer alone), each the median of RUNS runs, printed
# as ratios to native from the same invocation.
#
#   bench/sampler-overhead.sh [THREADS [STEPS [KWORDS]]]    (2 2000 256)
# RUNS=3 by default; NUMAMMA overrides the binary.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
numamma=${NUMAMMA:-$top/numamma}
runs=${RUNS:-3}
args=("${1:-2}" "${2:-2000}" "${3:-256}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numamma-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

make -s -C "$top" bench/compute numamma >&2

# seconds CMD...: wall-clock seconds of one run (output discarded).
seconds() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}

# median CMD...: the median of $runs runs.
median() {
	local i
	for ((i = 0; i < runs; i++)); do seconds "$@"; done | sort -g | awk '
		{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

native=$(median "$top/bench/compute" "${args[@]}")
printf "%-12s %8.3f s\n" native "$native"
for sampler in none pagefault watch; do
	t=$(median "$numamma" profile -q -s "$sampler" -o "$tmp/$sampler.db" -- \
		"$top/bench/compute" "${args[@]}")
	awk -v s="$sampler" -v t="$t" -v n="$native" 'BEGIN { printf "%-12s %8.3f s  x%.2f\n", s, t, t / n }'
done
