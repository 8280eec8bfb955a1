#!/bin/bash
# Signals reach the program untouched: 100 queued SIGUSR1 from a child,
# each with its value, sender and code, are all counted by the handler,
# as natively.
. "$(dirname "$0")/lib.sh"

build_prog sigcount
"$TMPD/sigcount" >"$TMPD/native" || fail "native run failed"
profile_ok "$TMPD/p.db" -- "$TMPD/sigcount" >"$TMPD/out"
assert_diff "output under numamma" "$TMPD/native" "$TMPD/out"
