#!/bin/bash
# vfork + exec and posix_spawn (clone with CLONE_VM|CLONE_VFORK): the
# child's exec'd image is traced under its own pid, the parent is unharmed.
. "$(dirname "$0")/lib.sh"

build_prog fork-exec
prog=$TMPD/fork-exec

for how in vfork spawn; do
	"$prog" $how >"$TMPD/native" || fail "native $how run failed"
	db=$TMPD/$how.db
	profile_ok "$db" -- "$prog" $how >"$TMPD/out"
	assert_diff "$how: output under numamma" "$TMPD/native" "$TMPD/out"
	assert_eq "$how: processes (child of the first|exit status)" \
		"$(printf 'root|0\nchild|7')" \
		"$(sql "$db" "SELECT CASE WHEN ppid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)
				      THEN 'child' ELSE 'root' END, exit_status
			     FROM processes ORDER BY start_ns, rowid")"
	# Each allocation once, in the process that made it.
	assert_eq "$how: allocations (root or child|size|function)" \
		"$(printf 'root|1111|parent_alloc\nchild|3333|after_exec')" \
		"$(sql "$db" "SELECT CASE WHEN o.pid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)
				      THEN 'root' ELSE 'child' END, o.size, f.function
			     FROM objects o
			     JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			     WHERE f.function IN ('parent_alloc', 'after_exec')
			       AND o.tid IN (SELECT tid FROM threads WHERE pid = o.pid)
			     ORDER BY o.alloc_ns")"
done
