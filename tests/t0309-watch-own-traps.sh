#!/bin/bash
# Under the watch sampler, whose watchpoints' traps numamma drops (a VM may
# report one without its cause, as the kernel reports an icebp), the
# program's own SIGTRAPs still reach its handler: its int3s, its icebps,
# raise(SIGTRAP).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available watch

build_prog own-trap
native=$("$TMPD/own-trap")
assert_eq "native" "traps 15" "$native"
profile_ok "$TMPD/p.db" -s watch -- "$TMPD/own-trap" >"$TMPD/out"
assert_eq "under numamma -s watch" "$native" "$(cat "$TMPD/out")"
