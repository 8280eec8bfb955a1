# Helpers of the bench scripts that time configurations against native.

# bench_init DEFAULT_RUNS: $numamma (NUMAMMA, else the tree's), $runs
# (RUNS, else DEFAULT_RUNS) and $tmp, a directory removed at exit.  The
# caller has set $top.
bench_init() {
	numamma=${NUMAMMA:-$top/numamma}
	runs=${RUNS:-$1}
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/numamma-bench.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
}

# seconds CMD...: "wall cpu" seconds of one run (output discarded); cpu is
# user + sys of the whole process tree.
seconds() {
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'
}

# median FILE COLUMN: the median of a column of FILE.
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
