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

# build_guest_prog NAME: tests/vm/progs/NAME.c into $T/NAME (with libnuma
# and threads), or skip when it cannot be built here.
build_guest_prog() {
    cc -O2 -pthread -o "$T/$1" "$VM_DIR/progs/$1.c" -lnuma 2>"$T/cc.err" ||
        skip "cannot build $1.c (libnuma-dev missing?): $(tail -n 1 "$T/cc.err")"
}
