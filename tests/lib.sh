# tests/lib.sh — shared by the tests/tNNNN-*.sh scripts; source it, don't run it.
#
# Gives: $TOP (repo root), $NUMAMMA (the binary under test), $TMPD (a scratch
# folder removed on exit), and the helpers below.  A test exits 0 to pass,
# 77 to skip (the reason on its last output line), anything else to fail.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROGS=$TOP/tests/progs
NUMAMMA=${NUMAMMA:-$TOP/numamma}
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/numamma-test.XXXXXX")
# The assert_* helpers report a mismatch and let the test go on, so that
# one run shows every mismatch; the test then exits 1.
FAILED=0
# at_exit CMD: CMD (shell code) runs when the test ends, however it ends.
AT_EXIT=
at_exit() { AT_EXIT+="$1;"; }
trap 'status=$?; eval "$AT_EXIT"; rm -rf "$TMPD"; ((FAILED && status == 0)) && status=1; exit $status' EXIT

# NUMAMMA_INTERCEPT=agent|trap|auto runs the profiles of the allocation,
# fidelity and attach tests with that --intercept mode (both are tested:
# tests/run-tests with each).
INTERCEPT_OPT=(${NUMAMMA_INTERCEPT:+--intercept=$NUMAMMA_INTERCEPT})

# Seconds one profiled run may take before the test gives up on it.
PROFILE_TIMEOUT=${PROFILE_TIMEOUT:-60}

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -x $NUMAMMA ]] || skip "$NUMAMMA is not built (run: make numamma)"
command -v sqlite3 >/dev/null || skip "sqlite3 shell not installed"

# library_path SONAME: the x86-64 library's path as the loader finds it
# (empty when it is not installed).
library_path() {
	ldconfig -p | awk -v l="$1" '$1 == l && /x86-64/ { print $NF; exit }'
}

# build_prog NAME [CC FLAGS...]: compile tests/progs/NAME.c into $TMPD/NAME,
# without optimisation and with debug info so that call sites stay where the
# source puts them.  Later flags override the defaults.
build_prog() {
	local name=$1; shift
	cc -O0 -g -pthread -o "$TMPD/$name" "$PROGS/$name.c" "$@" ||
		fail "cannot compile tests/progs/$name.c"
}

# sql DB QUERY: print the query's rows, '|'-separated.
sql() {
	[[ -f $1 ]] || fail "no database $1"
	sqlite3 -batch "$1" "$2" || fail "query failed on $1: $2"
}

# sql_basename COLUMN: the SQL expression for the last '/' component of COLUMN.
sql_basename() {
	echo "replace($1, rtrim($1, replace($1, '/', '')), '')"
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[[ "$2" == "$3" ]] && return 0
	echo "FAIL: $1: expected '$2', got '$3'" >&2
	FAILED=1
}

# assert_diff WHAT EXPECTED_FILE ACTUAL_FILE: identical, else show diff -u.
assert_diff() {
	diff -u "$2" "$3" >&2 && return 0
	echo "FAIL: $1 differs (- expected, + actual)" >&2
	FAILED=1
}

# profile DB [OPTIONS] -- PROG ARGS: numamma profile without a sampler
# (none of these tests needs access samples), every block a row (these
# tests check small ones too; OPTIONS may say otherwise), under a timeout.  Returns
# numamma's exit status.
profile() {
	local db=$1; shift
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" --all-objects \
		-o "$db" "$@"
}

# profile_ok DB [OPTIONS] -- PROG ARGS: profile, which must exit 0.
profile_ok() {
	local status=0
	profile "$@" || status=$?
	((status == 0)) || fail "numamma profile $* exited $status"
}

# counted_run PROG FUNCTION ROUNDS: the program of tests/progs/counted-calls.h
# run alone and profiled (into $TMPD/p.db), its output the same, and the
# calls it counted (made in FUNCTION) all in callsite_totals.
counted_run() {
	local prog=$1 fn=$2 rounds=$3 allocs frees
	"$TMPD/$prog" "$rounds" >"$TMPD/native"
	profile_ok "$TMPD/p.db" -- "$TMPD/$prog" "$rounds" >"$TMPD/out"
	assert_diff "output" "$TMPD/native" "$TMPD/out"
	read -r _ allocs _ frees <"$TMPD/out"
	assert_eq "allocations|frees counted" "$allocs|$frees" \
		"$(sql "$TMPD/p.db" "SELECT sum(t.allocations), sum(t.frees) FROM callsite_totals t
					JOIN frames f ON f.callsite_id = t.callsite_id AND f.depth = 0
					WHERE f.function = '$fn'")"
}

# check_alloc_threads DB: DB is a profile of tests/progs/alloc-threads.c.
# Every allocation is recorded with its size, allocator, thread rank and
# depth-0 function, and is freed.
check_alloc_threads() {
	local r i f
	# The threads: main is rank 0 (pid = tid), the workers 1..8 in creation order.
	assert_eq "thread ranks" "$(seq 0 8 | tr '\n' ' ')" \
		"$(sql "$1" "SELECT rank FROM threads ORDER BY rank" | tr '\n' ' ')"
	assert_eq "main thread rank" "0" \
		"$(sql "$1" "SELECT rank FROM threads WHERE tid = pid")"

	# What the program allocates: worker rank r, step i, size 16 + r*1000 + i,
	# calloc on odd steps, malloc on even ones.
	for r in $(seq 1 8); do
		for i in $(seq 0 49); do
			if ((i % 2)); then f=calloc; else f=malloc; fi
			echo "$r|$((16 + r * 1000 + i))|$f|sizes_from_$f|freed"
		done
	done >"$TMPD/expected"

	sql "$1" "SELECT t.rank, o.size, o.name, f.function,
			  CASE WHEN o.free_ns >= o.alloc_ns THEN 'freed' ELSE 'live' END
		   FROM objects o
		   JOIN threads t ON t.pid = o.pid AND t.tid = o.tid
		   JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
		   WHERE o.kind = 'heap' AND f.function LIKE 'sizes_from_%'
		   ORDER BY t.rank, o.size" >"$TMPD/actual"
	assert_diff "allocations (rank|size|allocator|function|freed)" \
		"$TMPD/expected" "$TMPD/actual"

	# The depth-0 frames carry the source file from DWARF.
	assert_eq "source file of the call sites" "alloc-threads.c" \
		"$(sql "$1" "SELECT DISTINCT $(sql_basename f.file)
			     FROM frames f WHERE f.depth = 0 AND f.function LIKE 'sizes_from_%'")"
}
