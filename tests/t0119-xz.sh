#!/bin/bash
# A real multithreaded third-party program: xz -T2 compresses a generated
# file into exactly the bytes it writes natively, with its worker threads
# traced.
. "$(dirname "$0")/lib.sh"

command -v xz >/dev/null || skip "xz not installed"
seq 1 400000 | sed 's/$/ numamma/' >"$TMPD/in"
# Small blocks so that both threads compress.
xz_cmd=(xz -T2 --block-size=256KiB -c "$TMPD/in")
"${xz_cmd[@]}" >"$TMPD/native.xz" || fail "native xz failed"
db=$TMPD/p.db
profile_ok "$db" -- "${xz_cmd[@]}" >"$TMPD/out.xz"
cmp "$TMPD/native.xz" "$TMPD/out.xz" || fail "xz output differs under numamma"
threads=$(sql "$db" "SELECT count(*) FROM threads")
((threads >= 3)) || fail "$threads threads recorded, xz -T2 runs at least 3"
