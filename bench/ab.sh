#!/bin/bash
# Builds of numamma compared on one command, taking turns round after
# round: on a VM whose speed moves by a third within the hour (the PVM
# guest's native malloc storm: 0.10 s, then 0.18 s), only runs made in
# turn compare.  Each build's median wall and cpu (user + sys of the
# whole process tree, steadier than wall on a shared machine), and the
# first build's as a ratio of each (after a warm-up run of each, whose
# exit status must match the first's).  A build named "native" runs the
# command alone: {} is then dropped with the options after it up to "--".
#
#   bench/ab.sh [-n ROUNDS] 'COMMAND, {} where numamma goes' BUILD...
#   bench/ab.sh -n 9 '{} profile -q -o /tmp/p.db -- bench/malloc-storm 2000000' \
#       native /tmp/numamma.before ./numamma
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"

rounds=7
if [[ ${1:-} == -n ]]; then
	rounds=$2
	shift 2
fi
if (($# < 2)) || [[ $1 != *'{}'* ]]; then
	echo "usage: bench/ab.sh [-n ROUNDS] 'COMMAND with {}' BUILD..." >&2
	exit 2
fi
template=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numamma-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# command BUILD: the template with BUILD in place of {} ("native": the
# program alone, what follows {} up to the first "--" dropped).
command_of() {
	local rest=${template#*\{\}}

	if [[ $1 != native ]]; then
		printf '%s\n' "${template//\{\}/$1}"
	elif [[ $rest == *' -- '* ]]; then
		printf '%s%s\n' "${template%%\{\}*}" "${rest#* -- }"
	else
		echo "bench/ab.sh: native: no ' -- ' after {} in the command" >&2
		exit 2
	fi
}

# A warm-up run of each, whose exit status must be the first build's: a
# build that fails at once (a relative path after a cd) would time well.
for ((b = 1; b <= $#; b++)); do
	cmd[b]=$(command_of "${!b}") || exit 2
	status=0
	bash -c "${cmd[b]}" >/dev/null 2>&1 || status=$?
	((b == 1)) && first_status=$status
	if ((status != first_status)); then
		echo "bench/ab.sh: ${!b} exits with $status, $1 with $first_status" >&2
		exit 1
	fi
done
"$top/bench/host.sh"
for ((r = 0; r < rounds; r++)); do
	for ((b = 1; b <= $#; b++)); do
		seconds bash -c "${cmd[b]}" >>"$tmp/$b"
	done
done
first_wall=$(median "$tmp/1" 1)
first_cpu=$(median "$tmp/1" 2)
printf "%-40s %9s %7s %9s %7s\n" build wall "" cpu ""
for ((b = 1; b <= $#; b++)); do
	awk -v n="${!b}" -v w="$(median "$tmp/$b" 1)" -v c="$(median "$tmp/$b" 2)" \
		-v fw="$first_wall" -v fc="$first_cpu" 'BEGIN {
		printf "%-40s %8.3fs x%.2f %8.3fs x%.2f\n", n, w, w / fw, c, c / fc }'
done
echo "(medians of $rounds rounds in turn; ratios to the first build)"
