#!/bin/bash
# vfork + exec and posix_spawn (clone with CLONE_VM|CLONE_VFORK): the
# child's exec'd image is traced under its own pid, the parent is unharmed.
# Once the child is done, the parent's walks are on its own stack again
# (a posix_spawn child runs on a stack of its own): they ask the kernel
# about no page, and are whole.
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
	[[ ${NUMAMMA_INTERCEPT-agent} == trap ]] && continue
	asked=$("$NUMAMMA" profile -v -s none --all-objects -o "$TMPD/v$how.db" -- "$prog" $how 2>&1 \
		>/dev/null | sed -n 's/.* \([0-9]*\) stack pages asked of the kernel$/\1/p' | tail -1)
	assert_eq "$how: the parent's stack pages asked of the kernel after its child" 0 "$asked"
	assert_eq "$how: the parent's block after its child, its frames" \
		"$(printf 'parent_after%.0s ' {0..12})main" \
		"$(sql "$TMPD/v$how.db" "SELECT group_concat(l.function, ' ') FROM (SELECT l.function
			FROM objects o JOIN callsite_frames f ON f.callsite_id = o.callsite_id
			JOIN locations l ON l.id = f.location_id
			WHERE o.size = 4444 AND f.depth <= 13 ORDER BY f.depth) l")"
done
