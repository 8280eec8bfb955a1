#!/bin/bash
# A real, allocation-heavy third-party program: Python building and
# sorting containers prints the same result under numamma, and its heap
# objects are recorded.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
# The interpreter itself, not a wrapper script (pyenv's shims are).
python=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 does not run"

script='
import hashlib
d = {str(i): [i] * (i % 7) for i in range(100000)}
words = sorted(d, key=lambda k: (len(d[k]), k[::-1]))
h = hashlib.sha256(" ".join(words[::97]).encode()).hexdigest()
print(len(d), sum(map(len, d.values())), h)
'
"$python" -c "$script" >"$TMPD/native" || fail "native python run failed"
db=$TMPD/p.db
profile_ok "$db" -- "$python" -c "$script" >"$TMPD/out"
assert_diff "python's output under numamma" "$TMPD/native" "$TMPD/out"
heap=$(sql "$db" "SELECT count(*) FROM objects WHERE kind = 'heap'")
((heap > 1000)) || fail "only $heap heap objects recorded for python"
