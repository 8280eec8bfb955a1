#!/bin/bash
# The per-rank cost of `numamma profile` under mpirun as the job grows:
# bench/mpi-work.c (the same work on every rank) at 1, 2 and 4 ranks,
# natively and with every rank profiled into its own file
# (mpirun ... numamma profile -o prof.db: prof.rank<R>.db).  Each rank
# writes its own database and traces only its own process: nothing is
# shared between ranks, so the ratio should not grow with the ranks
# (on a machine with fewer cores than ranks, --oversubscribe shares them,
# and both columns grow alike).
#
#   bench/mpi-scale.sh                 (after make; a minute or two)
#   RANKS="1 2 4 8" REPS=5 SAMPLER=clock bench/mpi-scale.sh
#
# Prints, per rank count, medians over REPS runs: the job's wall time
# (mpirun to exit, numamma's symbolising and aggregation included), the
# CPU time (user + sys, every process of the job) per rank and what
# profile adds to it per rank, and the slowest rank's time inside the
# program (MPI_Init to the reduction: what tracing costs the program
# itself) with profile/native.  Constant extra CPU per rank is the
# claim: nothing a rank does under numamma waits for another rank.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
NUMAMMA=${NUMAMMA:-$TOP/numamma}
RANKS=${RANKS:-1 2 4}
REPS=${REPS:-3}
SAMPLER=${SAMPLER:-}
command -v mpicc >/dev/null && command -v mpirun >/dev/null ||
	{ echo "mpi-scale: needs Open MPI (make deps installs openmpi-bin and libopenmpi-dev)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/numamma-mpiscale.XXXXXX")
trap 'rm -rf "$T"' EXIT
mpicc -O2 -g -o "$T/mpi-work" "$TOP/bench/mpi-work.c"
cd "$T"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one MODE N: prints "WALL CPU INSIDE" for one job of N ranks
one() {
	local mode=$1 n=$2 out
	local mpi=(mpirun --allow-run-as-root --oversubscribe -np "$n")
	local cmd=("${mpi[@]}" ./mpi-work)
	local TIMEFORMAT='%R %U %S'

	[[ $mode == native ]] ||
		cmd=("${mpi[@]}" "$NUMAMMA" profile -q ${SAMPLER:+-s "$SAMPLER"} -o prof.db -- ./mpi-work)
	rm -f prof*.db*
	{ time "${cmd[@]}" >out; } 2>times
	[[ $mode == native || $(ls prof.rank*.db | wc -l) == "$n" ]] ||
		{ echo "mpi-scale: not $n profiles" >&2; exit 1; }
	read -r wall user sys <times
	echo "$wall $(echo "$user + $sys" | bc -l) $(sed -n 's/.*slowest rank \([0-9.]*\) s.*/\1/p' out)"
}

sampler=$("$NUMAMMA" profile -q ${SAMPLER:+-s "$SAMPLER"} -o s.db -- /bin/true >/dev/null 2>&1 &&
	sqlite3 s.db "SELECT sampler FROM runs" 2>/dev/null || echo "?")
echo "numamma profile per rank, sampler $sampler, $(nproc) cpus, median of $REPS runs"
printf "%5s %8s %8s  %9s %9s %9s  %9s %9s %6s\n" ranks "wall" "wall" "cpu/rank" "cpu/rank" \
	"+cpu/rank" "in-prog" "in-prog" ""
printf "%5s %8s %8s  %9s %9s %9s  %9s %9s %6s\n" "" native profile native profile profile \
	native profile ratio
for n in $RANKS; do
	for mode in native profile; do
		: >"$mode.$n"
		for ((i = 0; i < REPS; i++)); do
			one "$mode" "$n" >>"$mode.$n"
		done
	done
	col() { cut -d' ' -f"$1" "$2.$n" | median; }
	nc=$(echo "$(col 2 native) / $n" | bc -l); pc=$(echo "$(col 2 profile) / $n" | bc -l)
	printf "%5d %8.2f %8.2f  %9.2f %9.2f %9.2f  %9.3f %9.3f %6.2f\n" "$n" "$(col 1 native)" \
		"$(col 1 profile)" "$nc" "$pc" "$(echo "$pc - $nc" | bc -l)" "$(col 3 native)" \
		"$(col 3 profile)" "$(echo "$(col 3 profile) / $(col 3 native)" | bc -l)"
done
