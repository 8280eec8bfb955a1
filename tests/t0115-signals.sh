#!/bin/bash
# Signals reach the program untouched: 100 queued SIGUSR1 from a child,
# each with its value, sender and code, are all counted by the handler,
# as natively.  The signal mask and ignored signals numamma is started
# with are the program's (numamma cleared the mask).
. "$(dirname "$0")/lib.sh"

build_prog sigcount
"$TMPD/sigcount" >"$TMPD/native" || fail "native run failed"
profile_ok "$TMPD/p.db" -- "$TMPD/sigcount" >"$TMPD/out"
assert_diff "output under numamma" "$TMPD/native" "$TMPD/out"

build_prog masked-exec
# grep itself, not under a shell: dash clears the mask it starts with.
status=(grep -E "^Sig(Blk|Ign):" /proc/self/status)
"$TMPD/masked-exec" "${status[@]}" >"$TMPD/native" || fail "native run failed"
grep -q "^SigBlk:.*a00$" "$TMPD/native" || fail "the launcher blocked nothing: $(cat "$TMPD/native")"
"$TMPD/masked-exec" "$NUMAMMA" profile -q -s none "${INTERCEPT_OPT[@]}" -o "$TMPD/m.db" -- \
	"${status[@]}" >"$TMPD/out" || fail "numamma profile exited $?"
assert_diff "blocked and ignored signals under numamma" "$TMPD/native" "$TMPD/out"
