#!/bin/bash
# The cost of counting: bench/compute natively, under `numamma stat` and
# under `perf stat` (when installed), in interleaved rounds so that the
# machine's drift hits all three alike.  Prints each one's median wall
# time and the median of the per-round ratios to native (target: <= 1.01).
#
#   bench/stat-overhead.sh [THREADS [STEPS [KWORDS]]]    (2 4000 256)
# RUNS=7 rounds by default; NUMAMMA overrides the binary, PERF perf's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
numamma=${NUMAMMA:-$top/numamma}
perf=${PERF:-$(command -v perf || true)}
runs=${RUNS:-7}
args=("${1:-2}" "${2:-4000}" "${3:-256}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numamma-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

make -s -C "$top" bench/compute numamma >&2
work=("$top/bench/compute" "${args[@]}")
# perf stat is the peer only where it can count here.
[[ -n $perf ]] && "$perf" stat -o /dev/null -- true 2>/dev/null || perf=

# seconds CMD...: wall-clock seconds of one run (output and counts discarded).
seconds() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

"${work[@]}" >/dev/null    # warm the caches once
for ((i = 0; i < runs; i++)); do
	n=$(seconds "${work[@]}")
	s=$(seconds "$numamma" stat -- "${work[@]}")
	echo "$n" >>"$tmp/native"
	echo "$s" >>"$tmp/numamma"
	awk -v a="$s" -v b="$n" 'BEGIN { print a / b }' >>"$tmp/numamma.ratio"
	if [[ -n $perf ]]; then
		p=$(seconds "$perf" stat -- "${work[@]}")
		echo "$p" >>"$tmp/perf"
		awk -v a="$p" -v b="$n" 'BEGIN { print a / b }' >>"$tmp/perf.ratio"
		awk -v a="$s" -v b="$p" 'BEGIN { print a / b }' >>"$tmp/vs-perf.ratio"
	fi
done

printf "%-14s %8.3f s\n" native "$(median <"$tmp/native")"
printf "%-14s %8.3f s  x%.3f native (median of %d paired rounds)\n" "numamma stat" \
	"$(median <"$tmp/numamma")" "$(median <"$tmp/numamma.ratio")" "$runs"
if [[ -n $perf ]]; then
	printf "%-14s %8.3f s  x%.3f native\n" "perf stat" "$(median <"$tmp/perf")" \
		"$(median <"$tmp/perf.ratio")"
	printf "%-14s %8s    x%.3f perf stat\n" "numamma stat" "" "$(median <"$tmp/vs-perf.ratio")"
else
	echo "perf stat: not installed or cannot count here"
fi
