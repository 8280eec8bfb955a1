#!/bin/sh
# Run by bench/placement.sh inside the 4-node guest (busybox sh): each
# pattern under first touch, numactl --interleave=all, the kernel's
# automatic NUMA balancing and numamma (profile, then run with the
# profile as policy); one row per pattern.
#
# Owned patterns: the share of the workers' own pages on their node (a
# queue's pages belong to its consumer).
# Unowned ones (every thread reads or takes any chunk): the share of the
# pages on the busiest node, 25% being an even spread over 4 nodes.

ROUNDS=${ROUNDS:-100}
BALANCE_ROUNDS=${BALANCE_ROUNDS:-250}   # about 4 s in the guest

owned() { sed -n 's/^all blocks: \([0-9.]*\)%.*/\1%/p' | tail -n 1; }
busiest() {
	sed -n 's/^grid: pages per node: //p' | tr ' :' '\n ' |
		awk 'NF == 2 { all += $2; if ($2 > top) top = $2 }
		     END { if (all) printf "busiest %.1f%%", 100 * top / all }'
}

# measure KIND PROG ARGS...: the figure for this pattern's report, "?"
# when it printed none
measure() {
	kind=$1; shift
	if [ "$kind" = owned ]; then fig=$("$@" | owned); else fig=$("$@" | busiest); fi
	echo "${fig:-?}"
}

balancing() {
	[ -w /proc/sys/kernel/numa_balancing ] || { echo "n/a"; return; }
	echo 1 >/proc/sys/kernel/numa_balancing
	measure "$@"
	echo 0 >/proc/sys/kernel/numa_balancing
}

numamma_run() {
	kind=$1 prog=$2; shift 2
	numamma profile -q -o "p-$prog-$1.db" -- "./$prog" "$@" >/dev/null 2>&1
	measure "$kind" numamma run -q --policy="p-$prog-$1.db" -- "./$prog" "$@"
}

row() {
	name=$1 kind=$2 prog=$3 mode=$4
	ft=$(measure "$kind" "./$prog" "$mode" "$ROUNDS")
	il=$(measure "$kind" numactl --interleave=all "./$prog" "$mode" "$ROUNDS")
	ab=$(balancing "$kind" "./$prog" "$mode" "$BALANCE_ROUNDS")
	nm=$(numamma_run "$kind" "$prog" "$mode" "$ROUNDS")
	printf '%-34s %-16s %-16s %-16s %-16s\n' "$name" "$ft" "$il" "$ab" "$nm"
}

# The plan advise makes for the most sampled site from a profile of
# ROUNDS rounds, the figure under it and how long the profiled run took:
# "cyclic 100.0% 1.2s".
plan_at() {
	kind=$1 prog=$2 mode=$3 rounds=$4
	numamma profile -q -o m.db -- "./$prog" "$mode" "$rounds" >/dev/null 2>&1
	action=$(numamma advise m.db | awk '/^  [a-z]+ +(heap|mmap|static) / { print $1; exit }')
	took=$(numamma report m.db | awk '$1 == "duration" { printf "%.1fs", $2 / ($3 == "ms" ? 1000 : 1); exit }')
	echo "$action $(measure "$kind" numamma run -q --policy=m.db -- "./$prog" "$mode" "$rounds") $took"
}

# MINPROFILE=1: per pattern, the plan from profiles of growing length
# (ROUNDS_LIST rounds; 100 rounds run about 1.8 s in the guest), with
# how long each profiled run took.
if [ -n "$MINPROFILE" ]; then
	list=${ROUNDS_LIST:-5 10 25 50 100}
	printf '%-34s' "pattern \\ rounds profiled"; for r in $list; do printf ' %-24s' "$r"; done; echo
	for spec in "serial-init array owned" "patterns cyclic owned" "patterns cyclic-header owned" \
		    "patterns stencil owned" \
		    "patterns table shared" "patterns dynamic shared" "patterns spmv owned" "patterns stream owned" \
		    "patterns pools owned" "patterns queue owned" "patterns mpmc shared" \
		    "patterns tiles owned" "serial-init forked owned"; do
		set -- $spec
		printf '%-34s' "$1 $2"
		for r in $list; do printf ' %-24s' "$(plan_at "$3" "$1" "$2" "$r")"; done
		echo
	done
	exit 0
fi

printf '%-34s %-16s %-16s %-16s %-16s\n' pattern "first touch" "interleave=all" \
	"autonuma (4 s)" "numamma run"
row "blocks (serial init)" owned serial-init array
row "cyclic chunks (static, 16 pages)" owned patterns cyclic
row "cyclic chunks behind a header" owned patterns cyclic-header
row "2-D stencil, halo rows" owned patterns stencil
row "read-mostly table" shared patterns table
row "dynamic schedule" shared patterns dynamic
row "SpMV, rows in blocks" owned patterns spmv
row "a = b + s * c (stream)" owned patterns stream
row "per-thread pools per phase" owned patterns pools
row "queue, 1 producer -> 1 consumer" owned patterns queue
row "queue, 2 producers -> 2 consumers" shared patterns mpmc
row "2-D array in 2 x 2 tiles" owned patterns tiles
row "forked workers, shared mapping" owned serial-init forked
