#!/bin/bash
# numamma profile's live status line, on a pseudo-terminal (24 x 80):
# after a second, at most 4 redraws a second of "numamma: profile: T s,
# N objects, N samples, N records pending" on the last row (taken out of
# the scroll region), each one write that saves and restores the cursor;
# the row is cleared and the screen given back before the summary line.
# The program's bytes are untouched: the terminal's stream with numamma's
# sequences taken out is the program's own output and numamma's summary.
# Nothing when stderr is not a terminal, with -q, for a program that
# ends within the second, or while the terminal is not in canonical mode
# (a full-screen program's); the line is cut to the terminal's width.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed: no pseudo-terminal to test with"

build_prog ticker
ticker=$TMPD/ticker
"$ticker" 40 >"$TMPD/native.out"

# on_pty COLS OUT CMD...: CMD on a 24 x COLS pseudo-terminal (its stdin,
# stdout and stderr, as in a shell, TERM=xterm unless set otherwise),
# what the terminal got into OUT.  The
# profile written before is removed (numamma would say it kept it as .old).
on_pty() {
	rm -f "$TMPD"/p.db*
	python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
cols, out, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.environ.setdefault("TERM", "xterm")
    os.execvp("sh", ["sh", "-c", 'exec "$@"', "sh"] + argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

# check_stream FILE COLS: the sequences as described above, the program's
# output intact; prints the number of redraws.
check_stream() {
	python3 - "$1" "$2" "$TMPD/native.out" <<'PY'
import re, sys
data, cols = open(sys.argv[1], "rb").read(), int(sys.argv[2])
native = open(sys.argv[3], "rb").read().replace(b"\n", b"\r\n")
setup = b"\x1bD\x1bM\x1b7\x1b[1;23r\x1b8"
draw = re.compile(rb"\x1b7\x1b\[24;1H\x1b\[0m\x1b\[2K([^\x1b]*)\x1b8")
end = b"\x1b7\x1b[r\x1b[24;1H\x1b[2K\x1b8"
def fail(why):
    sys.exit("FAIL: " + why + ": " + repr(data[-600:]))
if data.count(setup) != 1 or data.count(end) != 1 or data.index(setup) > data.index(end):
    fail("want one set-up and one end")
texts = [m.group(1).decode() for m in draw.finditer(data)]
if not texts:
    fail("no status line drawn")
for t in texts:
    full = "numamma: profile: 0.0 s, 0 objects, 0 samples, 0 records pending"
    shape = re.sub(r"\d+\.\d|\d+", lambda m: "0.0" if "." in m.group() else "0", t)
    if not (shape == full or (len(t) == cols - 1 and full.startswith(shape[:-2]))):
        fail("status line %r" % t)
    if len(t) > cols - 1:
        fail("status line %r wider than %d columns" % (t, cols - 1))
first = float(re.search(r"(\d+\.\d) s", texts[0]).group(1)) if cols >= 80 else 1.0
if first < 1.0:
    fail("drawn after %.1f s, want >= 1 s" % first)
before_end, after_end = data.split(end)
if draw.search(after_end) or b"\x1b" in after_end:
    fail("drawn after the end")
if not re.fullmatch(rb"numamma: profile: profile written to .* \(\d+ objects, \d+ samples\)\r\n", after_end):
    fail("after the end: %r, want the summary line" % after_end)
rest = draw.sub(b"", before_end.replace(setup, b""))
if rest != native:
    fail("the program's output, numamma's sequences taken out, differs from its native output")
print(len(texts))
PY
}

# On a terminal: drawn, throttled, erased; the output intact.
on_pty 80 "$TMPD/tty" "$NUMAMMA" profile -s none -o "$TMPD/p.db" -- "$ticker" 40 ||
	fail "profile on a terminal exited $?"
draws=$(check_stream "$TMPD/tty" 80) || fail "${draws:-no stream check}"
# ticker runs 2 s: redraws from 1 s on, 4 a second (a loaded machine may
# stretch the run: at most 4 a second of it).
seconds=$(sql "$TMPD/p.db" "SELECT (end_ns - start_ns) / 1e9 FROM runs")
awk -v d="$draws" -v s="$seconds" 'BEGIN { exit !(d >= 2 && d <= 4 * s + 1) }' ||
	fail "$draws redraws in a run of $seconds s: want 2 .. 4 a second"

# A narrow terminal: the line cut to 39 columns.
on_pty 40 "$TMPD/narrow" "$NUMAMMA" profile -s none -o "$TMPD/p.db" -- "$ticker" 40 ||
	fail "profile on a narrow terminal exited $?"
check_stream "$TMPD/narrow" 40 >/dev/null || fail "narrow terminal: $(check_stream "$TMPD/narrow" 40)"

# stdout to a file, stderr the terminal: the file is the program's output.
on_pty 80 "$TMPD/tty" sh -c "exec '$NUMAMMA' profile -s none -o '$TMPD/p.db' -- '$ticker' 40 >'$TMPD/stdout'" ||
	fail "profile with stdout to a file exited $?"
cmp "$TMPD/native.out" "$TMPD/stdout" || fail "the program's stdout differs from its native output"
grep -q "numamma: profile: [0-9.]* s, " "$TMPD/tty" || fail "no status line with stdout to a file"

# No status line: stderr a file, -q, a short program, a raw terminal, a
# dumb one.
no_line() {   # WHAT OUT
	! grep -q $'\e' "$2" || fail "$1: escape sequences on the terminal: $(od -c "$2" | head)"
}
on_pty 80 "$TMPD/tty" sh -c "exec '$NUMAMMA' profile -s none -o '$TMPD/p.db' -- '$ticker' 40 2>'$TMPD/stderr'" ||
	fail "profile with stderr to a file exited $?"
no_line "stderr to a file" "$TMPD/tty"
no_line "stderr to a file (the file)" "$TMPD/stderr"
on_pty 80 "$TMPD/tty" "$NUMAMMA" profile -q -s none -o "$TMPD/p.db" -- "$ticker" 40 || fail "profile -q exited $?"
no_line "-q" "$TMPD/tty"
on_pty 80 "$TMPD/tty" "$NUMAMMA" profile -s none -o "$TMPD/p.db" -- "$ticker" 4 || fail "a short profile exited $?"
no_line "a program of 0.2 s" "$TMPD/tty"
on_pty 80 "$TMPD/tty" "$NUMAMMA" profile -s none -o "$TMPD/p.db" -- sh -c "stty -icanon; '$ticker' 40" ||
	fail "profile of a program that leaves canonical mode exited $?"
no_line "a terminal in raw mode" "$TMPD/tty"
TERM=dumb on_pty 80 "$TMPD/tty" "$NUMAMMA" profile -s none -o "$TMPD/p.db" -- "$ticker" 40 ||
	fail "profile on a dumb terminal exited $?"
no_line "TERM=dumb" "$TMPD/tty"
exit 0
