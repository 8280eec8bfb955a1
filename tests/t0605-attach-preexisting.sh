#!/bin/bash
# Blocks that exist before the attach: the large ones glibc mmapped are
# recognised by their chunk headers and listed as heap objects (with no
# call site: nobody saw them allocated); the program is untouched.
. "$(dirname "$0")/lib.sh"

build_prog attach-large
"$TMPD/attach-large" >"$TMPD/out" &
pid=$!
for _ in $(seq 50); do [[ $(wc -l <"$TMPD/out") -eq 3 ]] && break; sleep 0.1; done
timeout -k 5 30 "$NUMAMMA" profile -q -s none -d 0.5 -o "$TMPD/p.db" -p "$pid" 2>"$TMPD/err" ||
	fail "attach failed: $(cat "$TMPD/err")"
wait "$pid"
assert_eq "program status" 0 "$?"
while read -r addr size; do
	got=$(sql "$TMPD/p.db" "SELECT size FROM objects WHERE kind = 'heap' AND address = $addr
				AND callsite_id IS NULL AND free_ns IS NULL")
	[[ -n $got ]] || { echo "FAIL: block $addr ($size bytes) not recovered" >&2; FAILED=1; continue; }
	# The header gives the usable size: the request rounded up to pages.
	((got >= size && got < size + 8192)) ||
		{ echo "FAIL: block $addr: size $got for a request of $size" >&2; FAILED=1; }
done <"$TMPD/out"
