#!/bin/bash
# What reading a profile costs where it has many distinct stacks (a
# recursive program's): bench/stacks (8^LEVELS stacks, each of LEVELS + 1
# frames and main's) profiled once, then `numamma report` in its text
# format and in the collapsed one (every stack printed), each the median
# of RUNS rounds, with the reader's peak resident memory.  As the peer,
# heaptrack_print on heaptrack's recording of the same program (heaptrack
# is installed by the script when root); BASELINE= another numamma build
# reads the same profile in the same rounds.  The time to profile the
# program is printed too (numamma and heaptrack, against native): it is
# the path of a new stack, each call's here.
#
#   bench/report-read.sh [LEVELS]    (6: 262,144 stacks)
# RUNS=5 by default; NUMAMMA overrides the binary.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
bench_init 5
levels=${1:-6}
baseline=${BASELINE:-}

make -s -C "$top" bench/stacks numamma >&2
"$top/bench/host.sh"
if ! command -v heaptrack >/dev/null && [[ $(id -u) == 0 ]]; then
	apt-get install -y -qq heaptrack >/dev/null 2>&1 || true
fi
peer=$(command -v heaptrack_print || true)

# timed NAME CMD...: appends "wall cpu" of one run to $tmp/NAME; the
# first time, its peak resident KiB to $tmp/NAME.rss, from a run of its
# own under GNU time where installed (its start would weigh on the times).
timed() {
	local name=$1
	shift
	seconds "$@" >>"$tmp/$name"
	[[ -e $tmp/$name.rss || ! -x /usr/bin/time ]] ||
		/usr/bin/time -f '%M' -o "$tmp/$name.rss" "$@" >/dev/null 2>&1 || true
}

prog=("$top/bench/stacks" "$levels")
"$numamma" profile -q -s none -o "$tmp/p.db" -- "${prog[@]}" >/dev/null
[[ -z $peer ]] || heaptrack -o "$tmp/ht" "${prog[@]}" >/dev/null 2>&1 || peer=
for ((i = 0; i < runs; i++)); do
	timed native "${prog[@]}"
	timed profile "$numamma" profile -q -s none -o "$tmp/again.db" -- "${prog[@]}"
	[[ -z $peer ]] || timed heaptrack heaptrack -o "$tmp/ht-again" "${prog[@]}"
	rm -f "$tmp"/ht-again*
	timed text "$numamma" report "$tmp/p.db"
	timed collapsed "$numamma" report --format=collapsed "$tmp/p.db"
	if [[ -n $baseline ]]; then
		timed base-text "$baseline" report "$tmp/p.db"
		timed base-collapsed "$baseline" report --format=collapsed "$tmp/p.db"
	fi
	[[ -z $peer ]] || timed heaptrack_print "$peer" "$tmp"/ht.*
done

echo "bench/stacks $levels: $(sqlite3 "$tmp/p.db" 'SELECT count(*) FROM callsites' 2>/dev/null ||
	echo '?') stacks; medians of $runs rounds in turn"
row() {   # NAME LABEL [REFERENCE]
	local wall peak=?
	wall=$(median "$tmp/$1" 1)
	[[ ! -s $tmp/$1.rss ]] || peak=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/$1.rss")
	printf "  %-28s %8.3f s  cpu %7.3f s  peak %7s MiB" "$2" "$wall" "$(median "$tmp/$1" 2)" "$peak"
	[[ -z ${3:-} ]] || printf "  x%.2f %s" "$(awk -v a="$wall" -v b="$(median "$tmp/$3" 1)" \
		'BEGIN { print a / b }')" "$3"
	echo
}
row native "the program alone"
row profile "numamma profile" native
[[ -z $peer ]] || row heaptrack "heaptrack" native
row text "numamma report" "${peer:+heaptrack_print}"
row collapsed "numamma report (collapsed)" "${peer:+heaptrack_print}"
if [[ -n $baseline ]]; then
	row base-text "BASELINE report" text
	row base-collapsed "BASELINE report (collapsed)" collapsed
fi
[[ -z $peer ]] || row heaptrack_print "heaptrack_print"
