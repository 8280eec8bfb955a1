#!/bin/bash
# stdin, stdout and stderr pass through numamma untouched: text, binary
# data, a closed stdin; closed stdout and stderr stay closed for the
# program, and numamma's own descriptors never take their numbers (its
# messages went into libunwind's pipe under `2>&-`: the tracer, the
# program's parent, must have /dev/null there).
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

fds='for fd in 0 1 2; do if [ -e /proc/$$/fd/$fd ]; then s=open; else s=closed; fi; echo "$fd $s" >&3; done'
sh -c "$fds" <&- >&- 2>&- 3>"$TMPD/native"
profile "$db" -- sh -c "$fds" <&- >&- 2>&- 3>"$TMPD/traced"
assert_eq "closed stdin, stdout and stderr, for the program" "0 closed|1 closed|2 closed" \
	"$(paste -sd'|' "$TMPD/native")"
assert_diff "closed stdin, stdout and stderr, for the program" "$TMPD/native" "$TMPD/traced"
assert_eq "numamma's own stderr, with it closed" /dev/null \
	"$(profile "$db" -- sh -c 'readlink /proc/$PPID/fd/2 >&3' 2>&- 3>&1)"
