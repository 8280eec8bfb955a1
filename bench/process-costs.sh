#!/bin/bash
# What numamma costs per process: a shell running /bin/true 20 times (a
# fork, an exec and an exit each: a build's or a script's pattern), and
# 200 subshells that exit at once (a fork and an exit each).  Natively,
# under `numamma profile` with the sampler off and with the default
# sampler, and under `strace -f` (the ptrace peer: a stop per syscall,
# nothing injected) when installed; the configurations take turns, RUNS
# rounds, each the median.  Printed: wall time, the ratio to native, and
# the milliseconds added per process.
#
#   bench/process-costs.sh            RUNS=9 by default; NUMAMMA overrides the binary.
#   BASELINE=/tmp/numamma.old bench/process-costs.sh
#                                     that build too, in the same rounds: two
#                                     builds compared minutes apart moved with
#                                     the host's load as much as strace did.
# Last, where `perf trace` works, numamma's own system calls per exec (the
# shell running /bin/true 21 times against once, sampler off): a count
# the host's load does not move, where the times above move by 10-20%.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

make -s -C "$top" numamma >&2
"$top/bench/host.sh"
. "$top/bench/lib.sh"
bench_init 9
printf '/bin/true\n%.0s' $(seq 20) >"$tmp/execs.sh"
echo 'for i in $(seq 200); do (:); done' >"$tmp/forks.sh"

configs=(
	"native|"
	"numamma, sampler off|$numamma profile -q -s none -o $tmp/p.db --"
	"numamma, default|$numamma profile -q -o $tmp/p.db --"
)
command -v strace >/dev/null && configs+=("strace -f|strace -f -qq -o /dev/null")
[[ -n ${BASELINE:-} ]] && configs+=(
	"baseline, sampler off|$BASELINE profile -q -s none -o $tmp/b.db --"
	"baseline, default|$BASELINE profile -q -o $tmp/b.db --"
)

for w in "20 execs|execs.sh|21" "200 forks|forks.sh|201"; do
	IFS='|' read -r label script procs <<<"$w"
	for c in "${configs[@]}"; do : >"$tmp/${c%%|*}"; done
	for ((i = 0; i < runs; i++)); do
		for c in "${configs[@]}"; do
			read -r -a pre <<<"${c#*|}"
			seconds "${pre[@]}" sh "$tmp/$script" >>"$tmp/${c%%|*}"
		done
	done
	native=$(median "$tmp/native" 1)
	printf "%s (%s processes), native %.1f ms:\n" "$label" "$procs" "$(awk -v n="$native" 'BEGIN { print 1000 * n }')"
	for c in "${configs[@]:1}"; do
		awk -v l="${c%%|*}" -v w="$(median "$tmp/${c%%|*}" 1)" -v n="$native" -v p="$procs" \
			'BEGIN { printf "  %-22s %7.1f ms  x%.2f  %+.2f ms per process\n", l, 1000 * w, w / n,
				 1000 * (w - n) / p }'
	done
done

# syscalls NUMAMMA N: the system calls numamma's processes (those named
# as the binary NUMAMMA: a baseline's too) made while profiling a shell
# running /bin/true N times.
syscalls() {
	local script=$tmp/true$2.sh comm
	comm=$(basename "$1" | cut -c1-15)
	printf '/bin/true\n%.0s' $(seq "$2") >"$script"
	perf trace -s -o "$tmp/trace" -- "$1" profile -q -s none -o "$tmp/s.db" -- sh "$script" \
		>/dev/null 2>&1 || return 1
	awk -v comm="$comm" '/^ *[^ ]+ \([0-9]+\), [0-9]+ events/ { mine = $1 == comm }
	     mine && /^ *[a-z_0-9]+ +[0-9]+ / { n += $2 } END { print n + 0 }' "$tmp/trace"
}

per_exec() {
	local many one
	many=$(syscalls "$1" 21) && one=$(syscalls "$1" 1) &&
		awk -v m="$many" -v o="$one" 'BEGIN { printf "%.1f", (m - o) / 20 }'
}

if per_exec "$numamma" >"$tmp/sc" 2>/dev/null; then
	printf "numamma's system calls per exec: %s" "$(cat "$tmp/sc")"
	[[ -z ${BASELINE:-} ]] || printf " (baseline: %s)" "$(per_exec "$BASELINE")"
	printf "\n"
fi
