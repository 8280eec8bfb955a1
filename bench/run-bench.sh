#!/bin/bash
# What `numamma run` costs: start-up (/bin/true) and per placed object
# (bench/place-objects: N allocations of 256 KiB, each one mbind), then
# allocation-heavy programs (node's start, python building JSON, perl's
# hash, cc1 on numamma's src/store/db.c), natively, under `numactl
# --interleave=all` (the peer: a process-wide policy, nothing placed per
# object, nothing checked) and under `numamma run --interleave=all`, with
# the agent (a stop only per block holding a page) and, with TRAP=1, on
# the trap path (a stop at every call: minutes); then under `numamma run
# --policy` of the program's own profile (advice derived for this
# machine: its blocks stop only where a rule may place them).  Medians of
# 5 (3 for the programs), measured in this invocation.
# Usage: bench/run-bench.sh [N]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" numamma bench/place-objects >/dev/null
"$top/bench/host.sh"

wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | sed -n "$(( ($1 + 1) / 2 ))p"; }
runs() { local k=$1; shift; for ((i = 0; i < k; i++)); do wall "$@"; done | median "$k"; }

true_native=$(runs 5 /bin/true)
true_run=$(runs 5 "$top/numamma" run -q --interleave=all -- /bin/true)
true_profile=$(runs 5 "$top/numamma" profile -q -s none -o /tmp/numamma-bench.db -- /bin/true)
obj_native=$(runs 5 "$top/bench/place-objects" "$n")
obj_run=$(runs 5 "$top/numamma" run -q --interleave=all -- "$top/bench/place-objects" "$n")
rm -f /tmp/numamma-bench.db /tmp/numamma-bench.db.old
awk -v tn="$true_native" -v tr="$true_run" -v tp="$true_profile" -v on="$obj_native" \
    -v or="$obj_run" -v n="$n" 'BEGIN {
	printf "start-up: native /bin/true %.1f ms, numamma run %.1f ms (+%.1f ms), numamma profile %.1f ms (+%.1f ms)\n",
		tn / 1e3, tr / 1e3, (tr - tn) / 1e3, tp / 1e3, (tp - tn) / 1e3
	printf "placement: %d objects, native %.3f s, numamma run --interleave=all %.3f s, ratio %.1fx, %.0f us per placed object\n",
		n, on / 1e6, or / 1e6, or / on, (or - on) / n }'

# program NAME ARGS...: native, numactl, run (and run on the trap path),
# run with the policy of its profile.
program() {
	local name=$1 native peer agent trap="" policy
	shift
	native=$(runs 3 "$@")
	peer=$(runs 3 numactl --interleave=all "$@")
	agent=$(runs 3 "$top/numamma" run -q --interleave=all -- "$@")
	[[ ${TRAP:-} ]] && trap=$(runs 1 "$top/numamma" run -q --intercept=trap --interleave=all -- "$@")
	"$top/numamma" profile -q -o "$tmp/p.db" -- "$@" >/dev/null 2>&1
	policy=$(runs 3 "$top/numamma" run -q --policy="$tmp/p.db" -- "$@")
	awk -v name="$name" -v n="$native" -v p="$peer" -v a="$agent" -v t="$trap" -v pol="$policy" 'BEGIN {
		printf "%-22s native %.3f s, numactl %.2fx, numamma run %.2fx", name, n / 1e6, p / n, a / n
		if (t != "") printf ", trap path %.1fx", t / n
		printf ", run --policy=its profile %.2fx\n", pol / n }'
}
if command -v numactl >/dev/null; then
	program "node -e (start)" node -e 'console.log(1)'
	program "python3 JSON" python3 -c 'import json; d = {str(i): [i] * 5 for i in range(200000)}; print(len(json.dumps(d)))'
	program "perl hash" perl -e 'my %h; $h{$_} = $_ * 2 for 1 .. 300000; print scalar(keys %h), "\n"'
	program "gcc -O2 -c db.c" gcc -O2 -c -I"$top/include" -o /tmp/numamma-bench.o "$top/src/store/db.c"
	rm -f /tmp/numamma-bench.o
else
	echo "programs: numactl not installed (the peer): skipped"
fi
