#!/bin/bash
# fork + exec: the parent's and the child's allocations are recorded under
# their own pids, before and after exec; the child's pre-exec objects die at
# exec.  --no-follow records only the parent, and the child still runs.
. "$(dirname "$0")/lib.sh"

build_prog fork-exec
prog=$TMPD/fork-exec

# by_pid DB: "who|size|function|fate" for the program's own allocations,
# who being parent or child.  The program frees none: the child's pre-exec
# allocation dies at exec, the others live to the end.
by_pid() {
	sql "$1" "SELECT CASE WHEN o.pid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)
			      THEN 'parent' ELSE 'child' END,
			 o.size, f.function,
			 CASE WHEN o.free_ns IS NULL THEN 'live' ELSE 'freed' END
		  FROM objects o
		  JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
		  WHERE f.function IN ('parent_alloc', 'child_alloc', 'after_exec')
		    AND o.tid IN (SELECT tid FROM threads WHERE pid = o.pid)
		  ORDER BY 1 DESC, 2"
}

# Objects of the child allocated before its exec'd image allocated must be
# freed by then: exec replaced the address space.
check_exec_frees() {
	local db=$1 stale
	stale=$(sql "$db" "SELECT count(*) FROM objects o, objects x
			   JOIN frames f ON f.callsite_id = x.callsite_id AND f.depth = 0
			   WHERE f.function = 'after_exec' AND o.pid = x.pid
			     AND o.kind = 'heap' AND o.alloc_ns < x.alloc_ns
			     AND (o.free_ns IS NULL OR o.free_ns > x.alloc_ns)")
	assert_eq "child heap objects still live after its exec" 0 "$stale"
}

"$prog" fork >"$TMPD/native" || fail "native run failed"
db=$TMPD/p.db
profile_ok "$db" -- "$prog" fork >"$TMPD/out"
assert_diff "output under numamma" "$TMPD/native" "$TMPD/out"

assert_eq "processes (ppid is the parent|exit status|exe)" \
	"$(printf 'root|0|%s\nchild|7|%s' "$prog" "$prog")" \
	"$(sql "$db" "SELECT CASE WHEN ppid = (SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1)
				  THEN 'child' ELSE 'root' END,
			     exit_status, exe FROM processes ORDER BY start_ns, rowid")"
cat >"$TMPD/expected" <<'END'
parent|1111|parent_alloc|live
child|2222|child_alloc|freed
child|3333|after_exec|live
END
by_pid "$db" >"$TMPD/actual"
assert_diff "allocations by process" "$TMPD/expected" "$TMPD/actual"
check_exec_frees "$db"

# fork then exec /bin/true: the child's exe is true's.
db=$TMPD/true.db
profile_ok "$db" -- "$prog" fork-true >"$TMPD/out"
assert_eq "output" "child exited 0" "$(cat "$TMPD/out")"
assert_eq "child exe" "$(readlink -f /bin/true)" \
	"$(readlink -f "$(sql "$db" "SELECT exe FROM processes ORDER BY start_ns, rowid LIMIT 1 OFFSET 1")")"
assert_eq "child exit status" 0 \
	"$(sql "$db" "SELECT exit_status FROM processes ORDER BY start_ns, rowid LIMIT 1 OFFSET 1")"

# --no-follow: the child runs untraced.
db=$TMPD/nofollow.db
profile_ok "$db" --no-follow -- "$prog" fork >"$TMPD/out"
assert_diff "output under --no-follow" "$TMPD/native" "$TMPD/out"
assert_eq "processes under --no-follow" 1 "$(sql "$db" "SELECT count(*) FROM processes")"
assert_eq "allocations under --no-follow" "parent|1111|parent_alloc|live" "$(by_pid "$db")"
