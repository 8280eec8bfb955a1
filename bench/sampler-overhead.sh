#!/bin/bash
# The cost of sampling: bench/compute run natively, then under
# `numamma profile` with the pagefault, watch and clock samplers (and
# --sampler=none, the tracer alone), each the median of RUNS runs, printed
# as ratios to native from the same invocation.  As a peer for clock,
# `perf record` of the same cpu-clock event at the same rate with the
# same user registers (what the kernel side costs), when perf works here.
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
# ratio NAME SECONDS: one line of the table.
ratio() {
	awk -v s="$1" -v t="$2" -v n="$native" 'BEGIN { printf "%-12s %8.3f s  x%.2f\n", s, t, t / n }'
}

for sampler in none pagefault watch clock; do
	ratio "$sampler" "$(median "$numamma" profile -q -s "$sampler" -o "$tmp/$sampler.db" -- \
		"$top/bench/compute" "${args[@]}")"
done
# How many clock samples each worker got per second of the run, and how
# many of them were placed (the last run's database).
sqlite3 "$tmp/clock.db" "SELECT 'clock: ' || count(*) || ' samples stored, ' ||
	(SELECT sum(value) FROM sampler_stats WHERE name = 'samples') || ' taken, ' ||
	(SELECT sum(value) FROM sampler_stats WHERE name = 'lost') || ' lost'
	FROM samples" 2>/dev/null || true
regs=AX,BX,CX,DX,SI,DI,BP,SP,IP,FLAGS,CS,SS,R8,R9,R10,R11,R12,R13,R14,R15
perf_rec=(perf record -q -e cpu-clock -F 1000 --user-regs=$regs -o "$tmp/perf.data")
if "${perf_rec[@]}" -- true >/dev/null 2>&1; then
	ratio "perf record" "$(median "${perf_rec[@]}" -- "$top/bench/compute" "${args[@]}")"
fi
