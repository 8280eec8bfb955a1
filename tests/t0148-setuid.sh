#!/bin/bash
# A set-user-ID program run by an unprivileged user: the kernel runs it
# without its privilege under a tracer (as under strace or gdb).  The one
# launched, numamma profile says so, one line naming the program; one a
# profiled process execs later (through libc's execve: a shell's, sudo
# or ping in a script; syscall(SYS_execve, ...); fexecve, execveat from
# the file's descriptor or its directory's, syscall(SYS_execveat, ...)),
# numamma lets that process go at its call, one line, and the program
# runs with its privilege, unprofiled; an exec that loses nothing does
# not stop (under a seccomp filter the program installed, each one
# stops: the agent's own questions could be what the filter kills for).  numamma
# stat does not trace it (its pages are not read, and the line says why),
# so it runs with its privilege.  A program set-user-ID to the user
# itself loses nothing: no word.  As root nothing is lost: no word.
# One that stat's traced program execs later does lose it: numamma says
# so after the exec.
. "$(dirname "$0")/lib.sh"

[[ $(id -u) == 0 ]] || skip "not root: cannot make a set-user-ID root program to run"
as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
command -v setpriv >/dev/null && "${as[@]}" test -x "$NUMAMMA" ||
	skip "numamma not run as nobody: no setpriv, or $NUMAMMA out of its reach"
chmod 0711 "$TMPD"
dir=$TMPD/nobody
mkdir -m 0777 "$dir"
cp "$(command -v id)" "$dir/suid-id"
chown root:root "$dir/suid-id"
chmod 4755 "$dir/suid-id"
"${as[@]}" "$dir/suid-id" | grep -q "euid=0" ||
	skip "a set-user-ID program gets no privilege in $TMPD (mounted nosuid?)"

lost="process [0-9]*: $dir/suid-id is set-user-ID: under a tracer the kernel runs it without that privilege, and it may behave otherwise than alone (run numamma as root)"
let_go="process [0-9]* is about to run $dir/suid-id, which is set-user-ID: numamma lets it go there, so that it runs with that privilege (what it does after is not profiled)"
build_prog exec-how
for how in launched "exec'd" syscall fexecve execveat-fd execveat-dir syscall-execveat "a child's"; do
	case $how in
	launched)    cmd=("$dir/suid-id") said=$lost euid= ;;
	"exec'd")    cmd=(sh -c "true; exec $dir/suid-id") said=$let_go euid=0 ;;
	"a child's") cmd=(sh -c "$dir/suid-id; $dir/suid-id; echo after") said=$let_go euid=0 ;;
	*)           cmd=("$TMPD/exec-how" "$how" "$dir/suid-id") said=$let_go euid=0 ;;
	esac
	"${as[@]}" "$NUMAMMA" profile -q -s none -o "$dir/p.db" -- "${cmd[@]}" >"$TMPD/out" 2>"$TMPD/err" ||
		fail "numamma profile ($how) exited $?: $(cat "$TMPD/err")"
	assert_eq "numamma's messages ($how)" 1 "$(grep -c "^numamma: warning: $said\$" "$TMPD/err")"
	assert_eq "other messages ($how)" 0 "$(grep -vc "$said" "$TMPD/err")"
	# id names the effective uid only where it is not the real one.
	assert_eq "$how: effective uid" "$euid" "$(grep -o "euid=[0-9]*" "$TMPD/out" | sort -u | cut -d= -f2)"
done
assert_eq "the shell, profiled on after its children were let go" "after" "$(tail -n 1 "$TMPD/out")"
assert_eq "its processes (ended|status)" "1|0
1|
1|" "$(sql "$dir/p.db" "SELECT end_ns IS NOT NULL, exit_status FROM processes ORDER BY start_ns, rowid")"

# Only an exec that would lose a privilege stops: the agent asks the
# kernel about the program first (the trap path's breakpoint stops at
# each, and numamma looks), from its path or its descriptor.
true=$(readlink -f /bin/true)
for mode in agent trap; do
	"${as[@]}" "$NUMAMMA" profile -v -s none --intercept=$mode -o "$dir/p.db" -- \
		sh -c "for i in 1 2 3; do /bin/true; done; $TMPD/exec-how fexecve /bin/true;
		       $TMPD/exec-how execveat-dir $true; $dir/suid-id" >"$TMPD/out" 2>"$TMPD/err" ||
		fail "numamma profile ($mode) exited $?: $(cat "$TMPD/err")"
	want=0
	[[ $mode == trap ]] && want=3
	assert_eq "stops at an execve of /bin/true ($mode)" $want \
		"$(grep -c "stopped at its exec of /bin/true, which loses nothing traced" "$TMPD/err")"
	[[ $mode == trap ]] && want=2
	assert_eq "stops at an fexecve or execveat of $true ($mode)" $want \
		"$(grep -c "stopped at its exec of $true, which loses nothing traced" "$TMPD/err")"
	assert_eq "the set-user-ID program's effective uid ($mode)" 0 \
		"$(grep -o "euid=[0-9]*" "$TMPD/out" | cut -d= -f2)"
done

# A program that installs a seccomp filter killing for getxattr, then
# execs: from the filter on, the agent asks the kernel nothing about an
# exec's program (its own getxattr would kill the process): each exec
# stops, and numamma looks.
build_prog deny-syscall
cmd=("$TMPD/deny-syscall" getxattr kill -- sh -c "echo ok")
"${as[@]}" "${cmd[@]}" >"$TMPD/native.out" 2>&1
assert_eq "native run under the filter" "ok" "$(cat "$TMPD/native.out")"
"${as[@]}" "$NUMAMMA" profile -v -s none --intercept=agent -o "$dir/p.db" -- "${cmd[@]}" \
	>"$TMPD/out" 2>"$TMPD/err" || fail "numamma profile (filtered) exited $?: $(tail -n 3 "$TMPD/err")"
assert_eq "the filtered program's output" "ok" "$(cat "$TMPD/out")"
grep -q "stopped at its exec of [^ ]*/sh, which loses nothing traced" "$TMPD/err" ||
	fail "the filtered program's execve of sh did not stop: $(grep execve "$TMPD/err")"

"${as[@]}" "$NUMAMMA" stat -- "$dir/suid-id" >"$TMPD/out" 2>&1 || fail "numamma stat exited $?"
grep -q "euid=0" "$TMPD/out" || fail "stat ran the program without its privilege: $(cat "$TMPD/out")"
grep -q "Resident pages per node: unknown: not read: tracing '$dir/suid-id' would run it without its setuid bit or file capabilities" \
	"$TMPD/out" || fail "stat did not say why the pages were not read: $(cat "$TMPD/out")"

# One that stat's traced program execs later: run without its privilege
# (stat's trace stops only after an exec), and numamma says so; an exec
# that loses nothing, nothing said.
"${as[@]}" "$NUMAMMA" stat -- sh -c "exec $dir/suid-id" >"$TMPD/out" 2>"$TMPD/err" ||
	fail "numamma stat (exec'd) exited $?"
assert_eq "stat's messages (exec'd)" 1 "$(grep -c "^numamma: warning: $lost\$" "$TMPD/err")"
"${as[@]}" "$NUMAMMA" stat -- sh -c "exec /bin/true" >/dev/null 2>"$TMPD/err" ||
	fail "numamma stat (true) exited $?"
assert_eq "stat's warnings (true)" 0 "$(grep -c "warning" "$TMPD/err")"

# Set-user-ID to nobody itself, or numamma root: nothing lost, nothing said.
chown 65534 "$dir/suid-id" && chmod 4755 "$dir/suid-id"
"${as[@]}" "$NUMAMMA" profile -q -s none -o "$dir/p.db" -- "$dir/suid-id" >/dev/null 2>"$TMPD/err"
assert_eq "messages, set-user-ID to nobody" "" "$(cat "$TMPD/err")"
chown root "$dir/suid-id" && chmod 4755 "$dir/suid-id"
"$NUMAMMA" profile -q -s none -o "$dir/p.db" -- "$dir/suid-id" >/dev/null 2>"$TMPD/err"
assert_eq "messages, numamma root" "" "$(cat "$TMPD/err")"
