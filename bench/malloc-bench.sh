#!/bin/bash
# Native vs `numamma profile` on bench/malloc-storm (2 threads, 16 B..1 MiB,
# sampler off, then the default sampler), with each interception mode and
# heaptrack, and linked statically, measured in this
# run: wall-time ratios (medians of 3), numamma's peak RSS and the profile's
# size.  The trap path costs tens of µs per call, so it runs fewer
# iterations (its ratio is against native at the same count).
#
# Usage: bench/malloc-bench.sh [ITERATIONS [TRAP_ITERATIONS]]
#   (per thread; defaults 200000 and 5000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200000}
ntrap=${2:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" numamma bench/malloc-storm >/dev/null
"$top/bench/host.sh"
storm=$top/bench/malloc-storm

if ! command -v heaptrack >/dev/null && [[ $(id -u) == 0 ]]; then
	apt-get install -y -qq heaptrack >/dev/null 2>&1 || true
fi

# wall CMD...: microseconds
wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | sed -n 2p; }
median3() { for i in 1 2 3; do wall "$@"; done | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

native=$(median3 "$storm" "$n")
agent=$(median3 "$top/numamma" profile -q -s none --intercept=agent -o "$tmp/a.db" -- "$storm" "$n")
# Peak RSS of numamma itself (the program is its child, not counted).
rss=$(/usr/bin/time -f %M "$top/numamma" profile -q -s none --intercept=agent -o "$tmp/a.db" \
	-- "$storm" "$n" 2>&1 >/dev/null | tail -1)
size=$(stat -c %s "$tmp/a.db")
printf "malloc-storm, 2 threads x %d iterations (%d calls)\n" "$n" $((4 * n))
printf "  native     %8.3f s\n" "$(awk -v t="$native" 'BEGIN { print t / 1e6 }')"
printf "  agent, sampler off (rows for blocks of 1 MiB or more)  %.3f s  %s  numamma peak RSS %d MiB, profile %d MiB\n" \
	"$(awk -v t="$agent" 'BEGIN { print t / 1e6 }')" "$(ratio "$agent" "$native")" \
	$((rss / 1024)) $((size / 1048576))
# The default run: the default sampler too, which keeps small blocks
# findable by address for its samples.
sampled=$(median3 "$top/numamma" profile -q -o "$tmp/d.db" -- "$storm" "$n")
printf "  agent, default sampler  %.3f s  %s\n" \
	"$(awk -v t="$sampled" 'BEGIN { print t / 1e6 }')" "$(ratio "$sampled" "$native")"
small=$(median3 "$top/numamma" profile -q -s none --min-object-size 4096 -o "$tmp/m.db" -- "$storm" "$n")
printf "  agent, --min-object-size 4096  %.3f s  %s  profile %d MiB\n" \
	"$(awk -v t="$small" 'BEGIN { print t / 1e6 }')" "$(ratio "$small" "$native")" \
	$(( $(stat -c %s "$tmp/m.db") / 1048576 ))
count=$(median3 "$top/numamma" profile -q -s none --min-object-size 1099511627776 -o "$tmp/c.db" -- "$storm" "$n")
printf "  agent, counting only (no block big enough for a row)  %.3f s  %s\n" \
	"$(awk -v t="$count" 'BEGIN { print t / 1e6 }')" "$(ratio "$count" "$native")"
if command -v heaptrack >/dev/null; then
	heap=$(median3 heaptrack -o "$tmp/ht" "$storm" "$n")
	printf "  heaptrack  %8.3f s  %s\n" "$(awk -v t="$heap" 'BEGIN { print t / 1e6 }')" \
		"$(ratio "$heap" "$native")"
fi
# The same program linked statically (where libc.a is installed): the
# agent as in a dynamic one; heaptrack, a preloaded library, cannot trace
# it at all.
if cc -O2 -static -o "$tmp/storm-static" "$top/bench/malloc-storm.c" -lpthread 2>/dev/null; then
	native_static=$(median3 "$tmp/storm-static" "$n")
	static=$(median3 "$top/numamma" profile -q -s none -o "$tmp/s.db" -- "$tmp/storm-static" "$n")
	printf "  static program: native %.3f s, agent, sampler off %.3f s  %s\n" \
		"$(awk -v t="$native_static" 'BEGIN { print t / 1e6 }')" \
		"$(awk -v t="$static" 'BEGIN { print t / 1e6 }')" "$(ratio "$static" "$native_static")"
fi
native_small=$(median3 "$storm" "$ntrap")
traps=$(median3 "$top/numamma" profile -q -s none --intercept=trap -o "$tmp/t.db" -- "$storm" "$ntrap")
printf "  trap       %8.3f s  %s  (2 x %d iterations, native %.3f s)\n" \
	"$(awk -v t="$traps" 'BEGIN { print t / 1e6 }')" "$(ratio "$traps" "$native_small")" \
	"$ntrap" "$(awk -v t="$native_small" 'BEGIN { print t / 1e6 }')"
