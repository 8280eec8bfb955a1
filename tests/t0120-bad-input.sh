#!/bin/bash
# What numamma cannot profile: one clear "numamma: " line on stderr (and
# perhaps "numamma: hint: " lines after it), exit
# status 127 (no such program), 126 (not runnable here) or 125 (bad usage),
# the program not run, no database written and an existing one untouched.
. "$(dirname "$0")/lib.sh"

cd "$TMPD" || fail "cannot enter $TMPD"
mkdir work
printf 'echo ran >%s/ran\n' "$TMPD" >work/script-no-shebang
chmod 755 work/script-no-shebang
cp /bin/true work/not-executable
chmod 644 work/not-executable
# A minimal i386 executable that calls exit(0): numamma traces x86-64 only.
printf '\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00\x01\x00\x00\x00\x54\x80\x04\x08\x34\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x34\x00\x20\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x80\x04\x08\x00\x80\x04\x08\x60\x00\x00\x00\x60\x00\x00\x00\x05\x00\x00\x00\x00\x10\x00\x00\xb8\x01\x00\x00\x00\xbb\x00\x00\x00\x00\xcd\x80' >work/elf32
chmod 755 work/elf32
# Scripts whose interpreter the kernel would not find, or not run.
printf '#!/no/such/interpreter\n%s\n' "$marker" >work/lost-interpreter
printf '#! work/not-executable -x\n%s\n' "$marker" >work/mute-interpreter
chmod 755 work/lost-interpreter work/mute-interpreter
marker="touch $TMPD/ran"

# check_error_message WHAT FILE: FILE holds one "numamma: " line that is
# not a hint, then only hints.
check_error_message() {
	assert_eq "$1: stderr, one error line then hints" "numamma: error" \
		"$(sed -n '1{/^numamma: hint: /{s/^/hint first: /p;d}
			      /^numamma: /{s/.*/numamma: error/p;d}
			      s/^/no prefix: /p;d}
			   /^numamma: hint: /d; s/^/extra line: /p' "$2")"
}

# refused STATUS ARGS...: numamma profile -o work/p.db ARGS must exit STATUS
# with one "numamma: " line, leaving work/p.db (a precious file) and
# work/p.db.old (an older one: numamma, which makes the new profile while
# the program execs, moved the two aside and must put them back) as they
# were, and nothing new in work/.
refused() {
	local want=$1 status=0; shift
	local what="numamma profile $*"
	echo precious >work/p.db
	echo older >work/p.db.old
	chmod 640 work/p.db.old
	touch -d '2020-01-02 03:04:05' work/p.db.old
	rm -f ran
	ls -l --time-style=+%F.%T work >listing.before
	timeout -k 5 30 "$NUMAMMA" profile -o work/p.db "$@" >out 2>err || status=$?
	assert_eq "$what: exit status" "$want" "$status"
	check_error_message "$what" err
	assert_eq "$what: stdout" "" "$(cat out)"
	assert_eq "$what: existing database" precious "$(cat work/p.db)"
	assert_eq "$what: the older one" older "$(cat work/p.db.old)"
	ls -l --time-style=+%F.%T work >listing.after
	assert_diff "$what: files in the output folder" listing.before listing.after
	assert_eq "$what: the program ran" no "$([[ -e ran ]] && echo yes || echo no)"
}

refused 127 -- /nonexistent/program
refused 127 -- no-such-program-in-path-numamma
refused 126 -- work/not-executable
refused 126 -- work/script-no-shebang
refused 126 -- work/elf32
refused 126 -- ./work
refused 126 -- work/lost-interpreter
grep -qx "numamma: cannot run 'work/lost-interpreter': its interpreter /no/such/interpreter (#! line): No such file or directory" err ||
	fail "a missing interpreter: $(cat err)"
refused 126 -- work/mute-interpreter
grep -qx "numamma: cannot run 'work/mute-interpreter': its interpreter work/not-executable (#! line): Permission denied" err ||
	fail "an interpreter that is not executable: $(cat err)"
# An exec that fails past numamma's checks (a program open for writing:
# ETXTBSY) is said by numamma, whose child shares its memory until the
# exec and cannot print.
cp /bin/true work/busy
exec 3>>work/busy
if work/busy 2>/dev/null; then
	echo "this kernel runs a program open for writing: the failed exec is not tested"
else
	refused 126 -q -- work/busy   # -q: the sampler chosen is not said
	grep -qx "numamma: cannot run 'work/busy': Text file busy" err ||
		fail "an exec that fails: $(cat err)"
fi
exec 3>&-
rm -f work/busy
# An ELF header and nothing after it: the kernel refuses the exec
# (ENOEXEC).  Where no profile was there before, numamma made one while
# the program execed: it takes it back, journal files and all.
head -c 64 /bin/true >work/truncated-elf
chmod 755 work/truncated-elf
refused 126 -q -- work/truncated-elf
grep -qx "numamma: cannot run 'work/truncated-elf': Exec format error" err ||
	fail "an ELF the kernel cannot run: $(cat err)"
ls work >listing.before
status=0
timeout -k 5 30 "$NUMAMMA" profile -q -o work/fresh.db -- work/truncated-elf >out 2>err || status=$?
assert_eq "a failed exec, no profile before: exit status" 126 "$status"
check_error_message "a failed exec, no profile before" err
ls work >listing.after
assert_diff "a failed exec, no profile before: files in the output folder" listing.before listing.after
rm -f work/truncated-elf
refused 125 --bogus-option -- sh -c "$marker"
refused 125 --sampler=bogus -- sh -c "$marker"
refused 125 -s bogus -- sh -c "$marker"
refused 125 --call-depth=-3 -- sh -c "$marker"

# An output folder that does not exist: refused before the program runs.
status=0
timeout -k 5 30 "$NUMAMMA" profile -o "$TMPD/no/such/dir/p.db" -- sh -c "$marker" \
	>out 2>err || status=$?
assert_eq "output in a missing folder: exit status" 125 "$status"
check_error_message "output in a missing folder" err
assert_eq "output in a missing folder: the program ran" no "$([[ -e ran ]] && echo yes || echo no)"

# A profile actually written keeps the previous file as FILE.old.
echo precious >work/p.db
profile_ok work/p.db -- true
assert_eq "previous database after a profile" precious "$(cat work/p.db.old)"
assert_eq "new database" 1 "$(sql work/p.db "SELECT count(*) FROM runs")"

# A text file without #!: a shell would run it; numamma says how.
timeout -k 5 30 "$NUMAMMA" profile -o work/p.db -- work/script-no-shebang 2>err >/dev/null
grep -q "^numamma: hint: a shell would run it as a shell script: numamma ... -- sh work/script-no-shebang" err ||
	fail "no hint for a script without #!: $(cat err)"

# run: placements that contradict each other, --duration without -p.
for args in "--bind=0 --interleave=all" "--duration 1 --bind=0"; do
	status=0
	"$NUMAMMA" run $args -- /bin/true 2>err || status=$?
	assert_eq "run $args: exit status" 125 "$status"
	grep -q "^numamma: run: \(--interleave and --bind: give one of them\|--duration is for -p PID\)" err ||
		fail "run $args: $(cat err)"
done

# Policies: a NUL byte is an error where it is (not the silent end of the
# file), a node beyond any machine is named, the policy's control bytes are
# not sent to the terminal.
printf 'numamma-policy 1\ndefault x\0 bind 0\n' >nul.policy
printf 'numamma-policy 1\ndefault bind 99\n' >b99.policy
printf 'numamma-policy 1\n\033[31mgarbage\a line\n' >esc.policy
while IFS='|' read -r file want; do
	status=0
	"$NUMAMMA" run --policy="$file" -- /bin/true 2>err || status=$?
	assert_eq "run --policy=$file: exit status" 125 "$status"
	assert_eq "run --policy=$file: message" "$want" "$(cat err)"
done <<'END'
nul.policy|numamma: policy 'nul.policy' line 2 column 10: a NUL byte (not a text file?)
b99.policy|numamma: policy 'b99.policy' line 2: node 99 does not exist (numamma places on nodes 0-63)
esc.policy|numamma: policy 'esc.policy' line 2: unknown directive '\x1b[31mgarbage\x07'
END
status=0
"$NUMAMMA" run --bind=99 -- /bin/true 2>err || status=$?
assert_eq "--bind=99" "125|numamma: --bind=99: node 99 does not exist on this machine" "$status|$(cat err)"
