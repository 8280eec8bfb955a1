#!/bin/bash
# Native vs `numamma profile` on bench/malloc-storm (2 threads, 16 B..1 MiB):
# wall time ratio and the cost per intercepted call, medians of 3 runs,
# measured in this run.  Usage: bench/malloc-bench.sh [ITERATIONS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" numamma bench/malloc-storm >/dev/null

wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | sed -n 2p; }

native=$(for i in 1 2 3; do wall "$top/bench/malloc-storm" "$n"; done | median)
for sampler in none pagefault; do
	traced=$(for i in 1 2 3; do
		wall "$top/numamma" profile -q -s $sampler -o "$tmp/b.db" -- "$top/bench/malloc-storm" "$n"
	done | median)
	calls=$((4 * n))
	awk -v n="$native" -v t="$traced" -v c="$calls" -v s=$sampler 'BEGIN {
		printf "malloc-storm %d calls, sampler %-9s native %.3f s, numamma %.3f s, ratio %.1fx, %.1f us per intercepted call\n",
			c, s, n / 1e6, t / 1e6, t / n, (t - n) / c }'
done
