#!/bin/bash
# stdin, stdout and stderr pass through numamma untouched: text, binary
# data, and a closed stdin.
. "$(dirname "$0")/lib.sh"

db=$TMPD/p.db
assert_eq "text through cat" abc "$(printf 'abc\n' | profile "$db" -- cat)"

head -c 100000 /dev/urandom | tee "$TMPD/in" | profile "$db" -- cat >"$TMPD/out" ||
	fail "profiling cat of binary data failed"
cmp "$TMPD/in" "$TMPD/out" || fail "binary data changed through numamma"

assert_eq "stderr of the program" "to stderr" \
	"$(profile "$db" -- sh -c 'echo to stderr >&2' 2>&1 >/dev/null)"
assert_eq "closed stdin" "$(wc -c <&- 2>&1; echo "status $?")" \
	"$(profile "$db" -- wc -c <&- 2>&1; echo "status $?")"
