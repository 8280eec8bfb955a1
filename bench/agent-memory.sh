#!/bin/bash
# The memory numamma's agent adds to a program (the issue's bound: 8 MiB
# plus its rings), against heaptrack's in-process part, measured in this
# run: bench/agent-memory (THREADS threads, each CALLS malloc/free calls
# from STACKS stacks) prints its peak RSS and the RSS of the agent's
# mapping.  Rings: 1 MiB for each of the first 31 threads, 256 KiB for
# each of the next 96, once it has wrapped (the threads past them share
# one more of 1 MiB); "rest" is the agent's
# mapping less those: its caches and tables.
#
#   bench/agent-memory.sh [CALLS [STACKS]]     (200000 200)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
bench_init 1
calls=${1:-200000}
stacks=${2:-200}
make -s -C "$top" numamma bench/agent-memory >&2
prog=$top/bench/agent-memory

# field NAME LINE: the number after NAME in the program's line.
field() { sed -n "s/.*$1 KiB \([0-9]*\).*/\1/p" <<<"$2"; }

printf "%7s %11s %11s %11s %9s %9s %11s\n" threads "native KiB" "numamma" "agent" "rings" "rest" "heaptrack"
for threads in 1 4 16 32 64; do
	native=$("$prog" "$threads" "$calls" "$stacks")
	traced=$("$numamma" profile -q -s none -o "$tmp/p.db" -- "$prog" "$threads" "$calls" "$stacks")
	peer=-
	if command -v heaptrack >/dev/null; then
		peer=$(field peak "$(heaptrack -o "$tmp/ht" "$prog" "$threads" "$calls" "$stacks" 2>/dev/null |
				     grep '^peak')")
	fi
	agent=$(field agent "$traced")
	big=$(( (threads < 31 ? threads : 31) + (threads > 127 ? 1 : 0) ))
	small=$(( threads > 31 ? (threads < 127 ? threads : 127) - 31 : 0 ))
	rings=$((big * 1024 + small * 256))
	printf "%7d %11s %11s %11s %9d %9d %11s\n" "$threads" "$(field peak "$native")" \
		"$(field peak "$traced")" "$agent" "$rings" $((agent - rings)) "$peer"
done
