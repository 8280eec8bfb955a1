#!/bin/bash
# The cost of counting: bench/compute natively, under `numamma stat` and
# under `perf stat` (when installed), in interleaved rounds so that the
# machine's drift hits all three alike.  Prints each one's median wall
# time and the median of the per-round ratios to native (target: <= 1.01),
# for wall time and for CPU time (user + sys, numamma's own included):
# on a shared machine the CPU time is the steadier of the two.
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

# measure NAME CMD...: appends one run's wall and CPU seconds to $tmp/NAME.
measure() {
	local name=$1 TIMEFORMAT='%R %U %S'
	shift
	{ time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }' >>"$tmp/$name"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratios A B COLUMN: the median over rounds of A's COLUMN / B's (1 wall, 2 cpu).
ratios() { paste -d' ' "$tmp/$1" "$tmp/$2" | awk -v c="$3" '{ print $c / $(c + 2) }' | median; }
col() { awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }

"${work[@]}" >/dev/null    # warm the caches once
for ((i = 0; i < runs; i++)); do
	measure native "${work[@]}"
	measure numamma "$numamma" stat -- "${work[@]}"
	[[ -z $perf ]] || measure perf "$perf" stat -- "${work[@]}"
done

echo "bench/compute ${args[*]}, $runs interleaved rounds, medians (ratios: of per-round ratios)"
printf "%-14s wall %7.3f s  cpu %7.3f s\n" native "$(col native 1)" "$(col native 2)"
printf "%-14s wall %7.3f s  cpu %7.3f s  x%.3f / x%.3f native\n" "numamma stat" \
	"$(col numamma 1)" "$(col numamma 2)" "$(ratios numamma native 1)" "$(ratios numamma native 2)"
if [[ -n $perf ]]; then
	printf "%-14s wall %7.3f s  cpu %7.3f s  x%.3f / x%.3f native\n" "perf stat" \
		"$(col perf 1)" "$(col perf 2)" "$(ratios perf native 1)" "$(ratios perf native 2)"
	printf "%-14s x%.3f / x%.3f perf stat\n" "numamma stat" \
		"$(ratios numamma perf 1)" "$(ratios numamma perf 2)"
else
	echo "perf stat: not installed or cannot count here"
fi
