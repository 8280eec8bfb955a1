#!/bin/bash
# numamma stat under an interactive shell's job control: Ctrl-Z stops the
# whole program, every thread (a thread that goes on ticking is a job that
# only looks stopped), then numamma, so the shell says "Stopped"; fg
# resumes both, and the counts are written at the end.  A pty from
# python3 plays the terminal.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
command -v bash >/dev/null || skip "bash not installed"
build_prog ticker

python3 - "$NUMAMMA" "$TMPD" "$TMPD/ticker" <<'PY' || fail "job control: see above"
import os, pty, re, select, sys, time
numamma, tmp, ticker = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])

def read(until, limit):
    out, end = "", time.time() + limit
    while time.time() < end and not re.search(until, out):
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096).decode(errors="replace")
            except OSError:
                break
    return out

read("[#$] ", 5)
os.write(fd, f"{numamma} stat -o {tmp}/z.txt -- {ticker} 40\n".encode())
out = read(r"tick 3", 10)
os.write(fd, b"\x1a")
out = read("Stopped", 10)
assert "Stopped" in out, f"no 'Stopped' after Ctrl-Z: {out!r}"
out = read("never", 1.0)
assert not re.search(r"tick \d+", out), f"ticks while the job is stopped: {out!r}"
os.write(fd, b"fg\n")
out = read("done", 10)
assert "done" in out, f"the program did not finish after fg: {out!r}"
out = read("[#$] ", 10)
for _ in range(50):
    if os.path.exists(f"{tmp}/z.txt") and "exit 0" in open(f"{tmp}/z.txt").read():
        break
    time.sleep(0.1)
assert "exit 0" in open(f"{tmp}/z.txt").read(), "no counts after fg"
os.write(fd, b"exit\n")
PY
