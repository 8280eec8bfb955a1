#!/bin/bash
# The cost of sampling: bench/compute run natively, then under
# `numamma profile` with the pagefault, watch and clock samplers (and
# --sampler=none, the tracer alone), each the median of RUNS runs, printed
# as ratios to native from the same invocation.  As a peer for clock,
# `perf record` of the same cpu-clock event at the same rate with the
# same user registers, when perf works here, timed from inside: the
# program alone (perf's start and its writing of perf.data are not the
# sampling's cost), what the kernel's side of sampling costs it, the
# floor under any sampler of that event; and numamma's clock sampler timed
# the same way ("clock*"), to compare like with like.
# The configurations take turns, round after round, so that a change in
# the machine's load reaches all of them alike.  Besides wall time, the
# cpu time (user + sys) of the whole process tree, the work sampling adds:
# on a machine others load, it varies less.  Then numamma's own cpu with
# --sampler=none and clock (the tree's less the program's, which the
# program's parent times from inside): what each clock sample costs
# numamma, taken from the workers on a machine with fewer cores than
# threads; the rest of clock's cost is the kernel's, a timer interrupt
# per sample in the workers.  Last, the clock samples each worker got per
# second of its own cpu (bench/compute says its workers' cpu times).
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
"$top/bench/host.sh"
. "$top/bench/lib.sh"

# inner CMD...: "wall cpu" seconds of the program alone, run under CMD.
inner() {
	"$@" bash -c '. "$1"; seconds "${@:3}" >"$2"' sh "$top/bench/lib.sh" "$tmp/inner" \
		"$top/bench/compute" "${args[@]}" >/dev/null 2>&1
	cat "$tmp/inner"
}

# run NAME: one run of configuration NAME, its time appended to $tmp/NAME.
run() {
	local cmd
	case $1 in
	native) cmd=() ;;
	perf)   inner "${perf_rec[@]}" -- >>"$tmp/$1"; return ;;
	clock-in) inner "$numamma" profile -q -s clock -o "$tmp/$1.db" -- >>"$tmp/$1"; return ;;
	*) cmd=("$numamma" profile -q -s "$1" -o "$tmp/$1.db" --) ;;
	esac
	seconds ${cmd[@]+"${cmd[@]}"} "$top/bench/compute" "${args[@]}" >>"$tmp/$1"
}

regs=AX,BX,CX,DX,SI,DI,BP,SP,IP,FLAGS,CS,SS,R8,R9,R10,R11,R12,R13,R14,R15
perf_rec=(perf record -q -e cpu-clock -F 1000 --user-regs=$regs -o "$tmp/perf.data")
configs=(native none)
# A sampler this machine refuses (watch where breakpoints never fire) is
# left out, said so, rather than timed as a run that ended at once.
for c in pagefault watch clock; do
	if "$numamma" profile --list-samplers | grep -q "^$c  *yes"; then
		configs+=("$c")
	else
		echo "$c: unavailable here ($("$numamma" profile --list-samplers | sed -n "s/^$c  *no  *//p"))"
	fi
done
"${perf_rec[@]}" -- true >/dev/null 2>&1 && configs+=(perf)
# The clock sampler timed as perf record is, from inside: the program's
# own cost of being sampled, apart from numamma's start and end.
[[ " ${configs[*]} " != *" clock "* ]] || configs+=(clock-in)

for ((i = 0; i < runs; i++)); do
	for c in "${configs[@]}"; do run "$c"; done
done
wall=$(median "$tmp/native" 1)
cpu=$(median "$tmp/native" 2)
printf "%-12s %8s %6s %8s %6s\n" "" wall "" cpu ""
for c in "${configs[@]}"; do
	case $c in
	perf) label="perf record*" ;;
	clock-in) label="clock*" ;;
	*) label=$c ;;
	esac
	awk -v s="$label" \
		-v w="$(median "$tmp/$c" 1)" -v c="$(median "$tmp/$c" 2)" -v nw="$wall" -v nc="$cpu" \
		'BEGIN { printf "%-12s %7.3fs x%.2f %7.3fs x%.2f\n", s, w, w / nw, c, c / nc }'
done
[[ " ${configs[*]} " != *" perf "* && " ${configs[*]} " != *" clock-in "* ]] ||
	echo "* the program's own time, timed inside, under perf record (the kernel's cost of its" \
	     "samples) or numamma's clock sampler (the same, and its agent's)"
# own NAME: numamma's own cpu seconds in one run of NAME, appended to
# $tmp/own-NAME with the samples stored.
own() {
	local TIMEFORMAT='%U %S' tree
	tree=$( { time "$numamma" profile -q -s "$1" -o "$tmp/own-$1.db" -- bash -c \
		'TIMEFORMAT="%U %S"; { time "${@:2}" >/dev/null 2>&1; } 2>"$1"' sh "$tmp/prog" \
		"$top/bench/compute" "${args[@]}" >/dev/null 2>&1; } 2>&1)
	awk -v t="$tree" -v n="$(sqlite3 "$tmp/own-$1.db" 'SELECT count(*) FROM samples')" \
		'{ split(t, x, " "); printf "%.4f %d\n", x[1] + x[2] - $1 - $2, n }' "$tmp/prog" >>"$tmp/own-$1"
}

for ((i = 0; i < runs; i++)); do
	for c in none clock; do own "$c"; done
done
awk -v n="$(median "$tmp/own-none" 1)" -v c="$(median "$tmp/own-clock" 1)" \
	-v k="$(median "$tmp/own-clock" 2)" 'BEGIN { printf "numamma'"'"'s own cpu: none %.1f ms, clock %.1f ms:" \
	" %.1f us per clock sample (%d)\n", n * 1e3, c * 1e3, (c - n) * 1e6 / k, k }'
# Samples per worker per second of its cpu, the clock sampler's density
# (issue 9 asks 900 at least): one more run, each worker's cpu time from
# bench/compute itself.
if [[ " ${configs[*]} " == *" clock "* ]]; then
	COMPUTE_CPU_TIMES=1 "$numamma" profile -q -s clock -o "$tmp/rate.db" -- \
		"$top/bench/compute" "${args[@]}" >/dev/null 2>"$tmp/worker-cpu"
	sqlite3 -separator ' ' "$tmp/rate.db" 'SELECT tid, count(*) FROM samples GROUP BY tid' \
		>"$tmp/per-tid" 2>/dev/null
	awk 'NR == FNR { n[$1] = $2; next } $1 == "worker" && $3 > 0 { printf "%.0f\n", n[$2] / $3 }' \
		"$tmp/per-tid" "$tmp/worker-cpu" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "clock: %d to %d samples per worker per" \
			" cpu-second (%d workers)\n", v[1], v[NR], NR }'
fi
# What the clock sampler took and kept (the last run).
# A sample in numamma's agent is counted, not stored (the report says how
# many: its own cost, not the program's accesses).
sqlite3 "$tmp/clock.db" "SELECT 'clock: ' || count(*) || ' samples stored of ' ||
	(SELECT sum(value) FROM sampler_stats WHERE name = 'samples') || ' (' ||
	(SELECT coalesce(sum(value), 0) FROM sampler_stats WHERE name = 'agent') ||
	' in numamma''s agent), ' ||
	(SELECT sum(value) FROM sampler_stats WHERE name = 'lost') || ' lost'
	FROM samples" 2>/dev/null || true
