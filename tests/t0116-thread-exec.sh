#!/bin/bash
# execve from a non-main thread while the main thread allocates: the
# exec'd image keeps the pid, is traced, and its allocations are recorded
# under that pid; the exec'ing thread's earlier allocation stays its own.
. "$(dirname "$0")/lib.sh"

build_prog thread-exec
prog=$TMPD/thread-exec
db=$TMPD/p.db
profile_ok "$db" -- "$prog" >"$TMPD/out"
assert_eq "output" "exec'd image, same pid: yes" "$(cat "$TMPD/out")"
assert_eq "processes (exit status|exe)" "0|$prog" \
	"$(sql "$db" "SELECT exit_status, exe FROM processes")"
assert_eq "allocations (size|function|allocating thread's rank|main thread's tid)" \
	"$(printf '5555|exec_from_thread|1|no\n7777|after_exec|0|yes')" \
	"$(sql "$db" "SELECT o.size, f.function, t.rank,
			     CASE WHEN o.tid = o.pid THEN 'yes' ELSE 'no' END
		      FROM objects o
		      JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
		      JOIN threads t ON t.tid = o.tid AND t.pid = o.pid
		      WHERE o.kind = 'heap' AND o.size IN (5555, 7777) ORDER BY o.size")"
