#!/bin/bash
# Thread stacks: one 'stack' object per thread (main included), owned by
# that thread, holding the thread's locals, at least as large as the stack
# size the program asked for.
. "$(dirname "$0")/lib.sh"

build_prog stacks
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/stacks" >"$TMPD/printed"

assert_eq "stack objects per thread (rank|count)" \
	"$(printf '0|1\n1|1\n2|1\n3|1')" \
	"$(sql "$db" "SELECT t.rank, count(o.id) FROM threads t
		      LEFT JOIN objects o ON o.kind = 'stack' AND o.tid = t.tid AND o.pid = t.pid
		      GROUP BY t.rank ORDER BY t.rank")"

while IFS='|' read -r rank local asked; do
	assert_eq "rank $rank: stack holding local $local, of size >= $asked" 1 \
		"$(sql "$db" "SELECT count(*) FROM objects o
			      JOIN threads t ON t.tid = o.tid AND t.pid = o.pid
			      WHERE o.kind = 'stack' AND t.rank = $rank
				AND $local >= o.address AND $local < o.address + o.size
				AND o.size >= $asked")"
done <"$TMPD/printed"
assert_eq "threads printed" 4 "$(wc -l <"$TMPD/printed")"
