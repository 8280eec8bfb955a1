#!/bin/bash
# What `numamma profile` costs a program that allocates little, the
# sampler off (NUMAMMA_OPTS replaces -s none): short programs (the tracer's start, hooks, unwind tables,
# the profile's creation, symbolisation and aggregates at the end) and
# bench/compute (a compute-heavy program: the tracer should cost nothing
# while it computes).  Each the median of RUNS runs, natively and under
# numamma taking turns, printed as the time added and the ratio to native,
# wall and cpu (user + sys of the process tree: steadier on a loaded
# machine).
#
# COLD=SECONDS waits that long before each run: a profile started alone,
# as a user starts one, not within a second of another (the kernel's perf
# scheduling hooks are then off, and the first per-thread event waits for
# them; numamma's events on every cpu do not).
#
# FRESH=1 writes each profile under a name nothing has (as a first profile
# in a folder): numamma then makes it while the program execs, where the
# same -o again (the default numamma.db rerun) keeps the previous as .old
# and makes the new one in the exec's stop.
#
#   bench/fixed-costs.sh            RUNS=5 by default; NUMAMMA overrides the binary.
#   COLD=1.5 bench/fixed-costs.sh   each run alone, NUMAMMA_OPTS='-s clock' for the default sampler
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

make -s -C "$top" bench/compute numamma >&2
"$top/bench/host.sh"
. "$top/bench/lib.sh"
bench_init 5
echo 'int f(int x) { return 2 * x; }' >"$tmp/small.c"

programs=(
	"true|/bin/true"
	"git --version|git --version"
	"gcc -c small.c|gcc -c -o $tmp/small.o $tmp/small.c"
	"compute 1 thread|$top/bench/compute 1 1000 256"
	"compute 4 threads|$top/bench/compute 4 2000 256"
)

# Symbolisation reads libc's separate debug info when it is installed
# (libc6-dbg, which valgrind depends on): say which case this is.
libc_id=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | awk '/Build ID/ { print $3 }')
libc_debug=/usr/lib/debug/.build-id/${libc_id:0:2}/${libc_id:2}.debug
if [ -n "$libc_id" ] && [ -r "$libc_debug" ]; then
	echo "libc's separate debug info: $libc_debug"
else
	echo "libc's separate debug info: none"
fi
printf "%-18s %8s %8s %7s %8s %8s %7s\n" program "wall" "+ms" "ratio" "cpu" "+ms" "ratio"
for p in "${programs[@]}"; do
	label=${p%%|*}
	read -r -a cmd <<<"${p#*|}"
	: >"$tmp/native" && : >"$tmp/numamma"
	for ((i = 0; i < runs; i++)); do
		[ -n "${COLD-}" ] && sleep "$COLD"
		seconds "${cmd[@]}" >>"$tmp/native"
		[ -n "${COLD-}" ] && sleep "$COLD"
		[ -n "${FRESH-}" ] && rm -f "$tmp/p.db" "$tmp/p.db.old"
		# shellcheck disable=SC2086
		seconds "$numamma" profile -q ${NUMAMMA_OPTS--s none} -o "$tmp/p.db" -- "${cmd[@]}" >>"$tmp/numamma"
	done
	awk -v l="$label" -v nw="$(median "$tmp/native" 1)" -v nc="$(median "$tmp/native" 2)" \
		-v w="$(median "$tmp/numamma" 1)" -v c="$(median "$tmp/numamma" 2)" \
		'function r(a, b) { return b > 0 ? sprintf("x%.2f", a / b) : "-" }
		 BEGIN { printf "%-18s %7.3fs %8.0f %7s %7.3fs %8.0f %7s\n", l, w, 1000 * (w - nw),
			 r(w, nw), c, 1000 * (c - nc), r(c, nc) }'
done
