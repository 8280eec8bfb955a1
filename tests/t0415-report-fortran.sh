#!/bin/bash
# Fortran names as gfortran users read them (gdb's module::name): the
# call site of a module procedure's allocation, grid::setup, not
# __grid_MOD_setup, in the frames and the report; a threadprivate module
# array, one copy per OpenMP thread (thread-local storage), each named
# grid::work in the report while the profile keeps the symbol.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"

command -v gfortran >/dev/null || skip "gfortran not installed"
gfortran -O1 -g -fopenmp -J "$TMPD" -o "$TMPD/fortran-modules" "$PROGS/fortran-modules.f90" ||
	fail "cannot compile fortran-modules.f90"
sampler=none
"$NUMAMMA" profile --list-samplers | grep -q '^clock *yes' && sampler=clock
OMP_NUM_THREADS=2 timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s $sampler -o "$TMPD/f.db" \
	-- "$TMPD/fortran-modules" >"$TMPD/out" || fail "numamma profile exited $?"
assert_eq "program output (the array's sum, the threads')" "262144.0 2.0" "$(cat "$TMPD/out")"
assert_eq "the array's allocating function" "grid::setup" \
	"$(sql "$TMPD/f.db" "SELECT f.function FROM objects o
			     JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			     WHERE o.kind = 'heap' AND o.size = 2097152")"
"$NUMAMMA" report "$TMPD/f.db" >"$TMPD/report" || fail "numamma report exited $?"
grep -Eq ' 2\.0 MiB .*grid::setup \(fortran-modules\.f90:15\)$' "$TMPD/report" ||
	fail "report: the array not shown at grid::setup (fortran-modules.f90:15): $(cat "$TMPD/report")"

[[ $sampler == clock ]] || { echo "no clock sampler: the threads' copies not sampled"; exit 0; }
assert_eq "threads with a sampled copy of work, under its symbol" 2 \
	"$(sql "$TMPD/f.db" "SELECT count(DISTINCT tid) FROM objects WHERE kind = 'tls' AND name = '__grid_MOD_work'")"
(($(sed -n '/^Most accessed/,/^$/p' "$TMPD/report" | grep -Ec '^ +[0-9]+ tls +256\.0 KiB .* grid::work ') == 2)) ||
	fail "report: not two copies of grid::work: $(sed -n '/Most accessed/,$p' "$TMPD/report")"
