# tests/vm/lib.sh — shared by the tests/vm/t*.sh tests; source it, don't run it.
#
# Gives: $VM_DIR (this folder), $TOP (repo root), $T (a scratch folder removed
# on exit), skip REASON (exit 77, reason on the last line as tests/run-tests
# wants), fail MSG (exit 1), and vm ARGS... (tests/vm/run, with a skip of
# its own passed on as ours).

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$VM_DIR/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/numamma-vmtest.XXXXXX")
trap 'rm -rf "$T"' EXIT

skip() { echo "$*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Run tests/vm/run; its stdout/stderr go to $T/out and $T/err, its status to
# $VM_STATUS.  Exits 77 (with run's reason) when run skips.
vm() {
    VM_STATUS=0
    "$VM_DIR/run" "$@" >"$T/out" 2>"$T/err" || VM_STATUS=$?
    if ((VM_STATUS == 77)); then
        skip "$(grep -v '^$' "$T/err" | tail -n 1)"
    fi
}

# Show what the guest printed, for a failure's log.
show_vm_output() {
    echo "---- guest stdout ----" >&2; cat "$T/out" >&2
    echo "---- guest stderr ----" >&2; cat "$T/err" >&2
}

# The numamma binary under test: $NUMAMMA (set by tests/run-tests) or ./numamma.
numamma_bin() {
    local bin=${NUMAMMA:-$TOP/numamma}
    [[ -x $bin ]] || skip "$bin is not built (run: make)"
    echo "$bin"
}

# build_guest_prog NAME [CFLAGS...]: tests/vm/progs/NAME.c into $T/NAME
# (with libnuma and threads), or skip when it cannot be built here.
build_guest_prog() {
    local name=$1; shift
    cc -O2 -pthread "$@" -o "$T/$name" "$VM_DIR/progs/$name.c" -lnuma 2>"$T/cc.err" ||
        skip "cannot build $name.c (libnuma-dev missing?): $(tail -n 1 "$T/cc.err")"
}

# guest_profile_advise_run PROG "ARGS" [CFLAGS...]: tests/vm/progs/PROG.c
# run with ARGS natively, profiled, advised, and run with the profile as
# policy in the guest; each step's output in its vm_section (native,
# profile, advise, run).
guest_profile_advise_run() {
    local prog=$1 args=$2
    shift 2
    numamma_bin >/dev/null
    build_guest_prog "$prog" "$@"
    vm --copy "$T/$prog" -- sh -c "
	echo '== native'; ./$prog $args
	echo '== profile'; numamma profile -q -o p.db -- ./$prog $args >/dev/null
	echo '== advise'; numamma advise p.db
	echo '== run'; numamma run --policy=p.db -- ./$prog $args"
    ((VM_STATUS == 0)) || { show_vm_output; fail "guest run exited $VM_STATUS"; }
}

# profile_advise_run PROG "ARGS" ACTION [CFLAGS...]: tests/vm/progs/PROG.c
# (a serial initialisation, then workers on their own blocks, reporting
# each block's locality through blocks.h) run with ARGS natively,
# profiled, advised and run with the profile as policy in the guest.
# advise must choose ACTION for the blocks' site, and the run must put
# >= 95% of all block pages, and >= 90% of the worst block, on their
# worker's node.
profile_advise_run() {
    local prog=$1 args=$2 action=$3 native_all run_all run_worst predicted
    shift 3
    guest_profile_advise_run "$prog" "$args" "$@"
    native_all=$(vm_section native | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
    run_all=$(vm_section run | sed -n 's/^all blocks: \([0-9.]*\)%.*/\1/p')
    run_worst=$(vm_section run | sed -n 's/.*worst block \([0-9.]*\)%.*/\1/p')
    predicted=$(vm_section advise | sed -n 's/^  after: *\([0-9]*\)% predicted.*/\1/p')
    [[ -n $native_all && -n $run_all && -n $run_worst && -n $predicted ]] ||
	{ show_vm_output; fail "missing figures"; }
    vm_section advise | grep -q "^  $action " || { show_vm_output; fail "advise chose no $action plan"; }
    echo "local block pages: native $native_all%, under numamma run $run_all% (worst block $run_worst%), advise predicted $predicted%"
    awk -v a="$run_all" -v w="$run_worst" 'BEGIN { exit !(a >= 95 && w >= 90) }' ||
	{ show_vm_output; fail "placement: $run_all% local (worst $run_worst%), want >= 95% (>= 90%)"; }
}

# at_most_mbind_calls MAX: the guest run's summary counts at most MAX
# mbind calls.
at_most_mbind_calls() {
    local calls
    calls=$(sed -n 's/^numamma: run: placed .*; \([0-9]*\) mbind calls, .*/\1/p' "$T/err" | tail -n 1)
    echo "mbind calls: $calls"
    [[ -n $calls ]] && ((calls <= $1)) || { show_vm_output; fail "run made ${calls:-?} mbind calls, want <= $1"; }
}

# busiest_share SECTION: the share (%) of the grid's pages on its busiest
# node, from the "grid: pages per node: 0:N 1:N ..." line of SECTION.
busiest_share() {
    vm_section "$1" | sed -n 's/^grid: pages per node: //p' | tr ' :' '\n ' |
	awk 'NF == 2 { all += $2; if ($2 > top) top = $2 } END { if (all) printf "%.1f", 100 * top / all }'
}

# profile_advise_run_shared PROG "ARGS": as profile_advise_run, for data
# no thread owns (PROG prints "grid: pages per node: ..."): advise must
# interleave it, and the run must spread its pages no worse than first
# touch, and about evenly: the busiest node holds <= 40% of them (not 25:
# transparent huge pages interleave 2 MiB at a time, 4 of the 8 MiB).
profile_advise_run_shared() {
    local prog=$1 args=$2 native run
    guest_profile_advise_run "$prog" "$args"
    native=$(busiest_share native)
    run=$(busiest_share run)
    [[ -n $native && -n $run ]] || { show_vm_output; fail "missing figures"; }
    vm_section advise | grep -q "^  interleave .*up to 8388608 bytes" ||
	{ show_vm_output; fail "advise did not interleave the grid"; }
    echo "grid pages on the busiest node: native $native%, under numamma run $run%"
    awk -v n="$native" -v r="$run" 'BEGIN { exit !(r <= n && r <= 40) }' ||
	{ show_vm_output; fail "run left $run% of the pages on one node (native $native%)"; }
}

# vm_section NAME: the guest's stdout between "== NAME" and the next "== ".
vm_section() { awk -v s="== $1" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$T/out"; }
