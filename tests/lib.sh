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
trap 'status=$?; rm -rf "$TMPD"; ((FAILED && status == 0)) && status=1; exit $status' EXIT

# Seconds one profiled run may take before the test gives up on it.
PROFILE_TIMEOUT=${PROFILE_TIMEOUT:-60}

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -x $NUMAMMA ]] || skip "$NUMAMMA is not built (run: make numamma)"
command -v sqlite3 >/dev/null || skip "sqlite3 shell not installed"

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
# (none of these tests needs access samples), under a timeout.  Returns
# numamma's exit status.
profile() {
	local db=$1; shift
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s none -o "$db" "$@"
}

# profile_ok DB [OPTIONS] -- PROG ARGS: profile, which must exit 0.
profile_ok() {
	local status=0
	profile "$@" || status=$?
	((status == 0)) || fail "numamma profile $* exited $status"
}
