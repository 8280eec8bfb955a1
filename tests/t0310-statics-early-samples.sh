#!/bin/bash
# A module's statics hold what a sampler saw in them from the module's
# mapping on, not only from when numamma recorded them: that is done once
# the program has resumed, and ld.so writes its own statics in between
# (the longer, the more symbols the executable has: cc1's 45,000).  Every
# pagefault sample whose address lies in a data symbol (read here with
# readelf, not from numamma) of a module must be attributed to that
# static.  Before, ld.so's _rtld_global was not in 1 run of 4 (t0406
# failed then).  The modules the loader maps (libc) are read by numamma
# at the loader's stop only, after the samples of their relocation were
# drained: those wait for their modules to be known (sample_hold.h).  And
# no sample in a module's range is left without an object (--all-objects:
# each static and mapping has one): about 1 in 5 of cc1's were, its
# libraries' mappings dated from the loader's stop, not from the read of
# the maps before it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault
command -v python3 >/dev/null || skip "python3 not installed"
command -v readelf >/dev/null || skip "readelf not installed"
cc1=$(gcc -print-prog-name=cc1 2>/dev/null)
[[ -x $cc1 ]] || skip "gcc's cc1 not found"
cc1=$(readlink -f "$cc1")

checked=0
for run in 1 2 3; do
	db=$TMPD/p$run.db
	profile_ok "$db" -s pagefault --all-objects -- "$cc1" --version
	# pid, module path, bias; then each sample in a module: its address
	# less the bias, and the kind and name of the object it was given.
	sql "$db" "SELECT m.path, s.address - m.bias, coalesce(o.kind, '-'), coalesce(o.name, '-')
		   FROM samples s JOIN modules m ON m.pid = s.pid
		     AND s.address >= m.start AND s.address < m.end
		   LEFT JOIN objects o ON o.id = s.object_id" >"$TMPD/samples"
	lost=$(sql "$db" "SELECT m.path, printf('%#x', s.address - m.bias) FROM samples s
		   JOIN modules m ON m.pid = s.pid AND s.address >= m.start AND s.address < m.end
		   WHERE s.object_id IS NULL")
	[[ -z $lost ]] || fail "run $run: samples in a module left without an object (module|offset): $(head -5 <<<"$lost")"
	# Each sample in a data symbol: ok or wrong|symbol|kind|name given.
	out=$(python3 - "$TMPD/samples" <<'PY2'
import subprocess, sys
symbols = {}
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
for path in {r[0] for r in rows}:
    text = subprocess.run(["readelf", "-W", "--dyn-syms", "--syms", path],
                          capture_output=True, text=True).stdout
    symbols[path] = {(int(f[1], 16), int(f[2]), f[7].split("@")[0])
                     for f in (l.split() for l in text.splitlines())
                     if len(f) >= 8 and f[3] == "OBJECT" and f[2].isdigit() and int(f[2]) > 0}
# A static of several names (environ, _environ) is given any of them.
for path, off, kind, name in rows:
    names = sorted(sym for lo, size, sym in symbols[path] if lo <= int(off) < lo + size)
    if names:
        print(("ok" if kind == "static" and name in names else "wrong") +
              f"|{'/'.join(names)}|{kind}|{name}")
PY2
)
	wrong=$(grep "^wrong" <<<"$out")
	[[ -z $wrong ]] || fail "run $run: samples in a static not attributed to it (static|given kind|given name): $wrong"
	checked=$((checked + $(grep -c "^ok" <<<"$out")))
done
((checked > 0)) || skip "no pagefault sample fell in a static of cc1 or its libraries here: nothing to check"
echo "$checked samples in statics, each attributed to its static"
