#!/bin/bash
# Real programs under `numamma profile` (sampler off) against native, with
# heaptrack on the same runs when installed: wall-time ratios, each the
# median of RUNS runs (3; the configurations take turns, so that a change
# in the machine's load reaches all of them alike), and whether output
# and exit status are identical.
#
# heaptrack follows neither fork nor exec (its preload removes itself from
# the environment), so `heaptrack sh -c CMD` would trace only the shell. Each
# command therefore names its tracer, $T, before every program that does the
# work, and $TW where gcc and tar start children (cc1, as, gzip) for
# heaptrack to trace them too. numamma follows children itself: its $TW is
# empty.  cmake runs its compilers itself: heaptrack's column traces cmake
# and ninja alone, numamma's every process of the build.
#
# Usage: bench/real-programs.sh [NUMAMMA OPTIONS...]
#   e.g. bench/real-programs.sh --min-object-size 4096
# ONLY=REGEX runs the programs whose name matches (ONLY='gcc|make');
# BASELINE=PATH adds a column, another numamma build profiling the tree in
# the same rounds (a change against the build before it: two runs minutes
# apart differ by the host's load).
#
# "calls" says how many allocator calls each tracer recorded in the
# per-program runs of the first round (numamma's callsite_totals,
# heaptrack_print's "calls to allocation functions"), with sqlite3 and
# heaptrack_print installed: a ratio is a comparison only where both saw
# the program's calls.  An executable that defines malloc itself (rustc,
# whose jemalloc is linked in) is not interposed by LD_PRELOAD.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" numamma >/dev/null
"$top/bench/host.sh"

# A 3,600-line C file, a C++ std::map program, a C program built with -g
# (below), a Makefile of $(shell)s and 3,000 rules, a project of 9 C files for
# make (31 processes: gcc, cc1 and as per file, the link's three, make), python sources
# to compile.
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
with open(f'{d}/big.c', 'w') as f:
    f.write('#include <stdio.h>\n')
    for i in range(400):
        f.write(f'static int f{i}(int x) {{ int a[16]; for (int k = 0; k < 16; k++) a[k] = x * k + {i};'
                f' int s = 0; for (int k = 0; k < 16; k++) s += a[k] % ({i} + 3); return s; }}\n')
        f.write(''.join(f'/* filler {i} {j} */\n' for j in range(8)))
    f.write('int main(void) { printf("%d\\n", f399(3)); return 0; }\n')
import os
os.mkdir(f'{d}/proj')
for n in range(8):
    with open(f'{d}/proj/u{n}.c', 'w') as f:
        for i in range(60):
            f.write(f'int u{n}_{i}(int x) {{ int a[8]; for (int k = 0; k < 8; k++) a[k] = x * k + {i};'
                    f' int s = 0; for (int k = 0; k < 8; k++) s += a[k] % ({i} + 3); return s; }}\n')
    with open(f'{d}/proj/u{n}.h', 'w') as f:
        f.write(f'int u{n}_0(int x);\n')
with open(f'{d}/proj/main.c', 'w') as f:
    f.write(''.join(f'#include "u{n}.h"\n' for n in range(8)) + '#include <stdio.h>\n'
            'int main(void) { printf("%d\\n", ' + ' + '.join(f'u{n}_0({n})' for n in range(8)) +
            '); return 0; }\n')
with open(f'{d}/proj/Makefile', 'w') as f:
    f.write('OBJS = main.o ' + ' '.join(f'u{n}.o' for n in range(8)) + '\n'
            'app: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%.o: %.c\n\t$(CC) -O2 -c -o $@ $<\n')
# A program built with -g whose one big function allocates from 3,000
# places, in turn: its line rows and its 3,000 stacks (its naming, the
# agent's set of stacks sent, its rule cache).
with open(f'{d}/sites.c', 'w') as f:
    f.write('#include <stdio.h>\n#include <stdlib.h>\nstatic void *keep[64];\n'
            '__attribute__((noinline)) static long take(int k, size_t n)'
            ' { free(keep[k & 63]); keep[k & 63] = malloc(n); return (long)n; }\n'
            'int main(void) { long s = 0;\n for (int r = 0; r < 20; r++)\n'
            '  for (int i = 0; i < 3000; i++)\n   switch (i) {\n')
    f.write(''.join(f'   case {i}: s += take({i}, {16 + i % 200}) ^ {i * 7}; break;\n'
                    for i in range(3000)))
    f.write('   }\n for (int k = 0; k < 64; k++) free(keep[k]);\n'
            ' printf("%ld\\n", s);\n return 0;\n}\n')
# C++ with the standard library's headers: cc1plus parsing and
# instantiating templates.
with open(f'{d}/stl.cc', 'w') as f:
    f.write('#include <map>\n#include <string>\n#include <vector>\n#include <algorithm>\n'
            '#include <iostream>\n#include <unordered_map>\n#include <memory>\n')
    for i in range(40):
        f.write(f'std::map<std::string, std::vector<int>> build{i}(int n) {{ std::map<std::string,'
                f' std::vector<int>> m; for (int k = 0; k < n; k++) m[std::to_string(k + {i})]'
                f'.push_back(k); return m; }}\n')
    f.write('int main() { size_t s = 0;' + ''.join(f' s += build{i}(10).size();' for i in range(40))
            + ' std::cout << s << "\\n"; }\n')
# 100,000 JSON objects for jq to parse, filter and rebuild.
with open(f'{d}/big.json', 'w') as f:
    f.write('[' + ','.join(f'{{"id":{i},"name":"n{i}","tags":["t{i % 7}","u{i % 13}"],'
                           f'"v":{(i * 7919) % 1000 / 1000}}}' for i in range(100000)) + ']')
# A CMake project: cmake's configure step runs the compiler some twenty
# times (its checks), then ninja builds it.
os.mkdir(f'{d}/cm')
with open(f'{d}/cm/CMakeLists.txt', 'w') as f:
    f.write('cmake_minimum_required(VERSION 3.10)\nproject(demo C)\nadd_executable(demo main.c)\n')
with open(f'{d}/cm/main.c', 'w') as f:
    f.write('int main(void) { return 0; }\n')
# A Makefile whose variables come from $(shell)s, then 3,000 rules:
# make runs each $(shell) with posix_spawn (a child on a stack of its
# own), and allocates for every rule after.
os.mkdir(f'{d}/mk')
with open(f'{d}/mk/Makefile', 'w') as f:
    f.write('WHO := $(shell echo make)\nWHEN := $(shell echo now)\n'
            'all:' + ''.join(f' t{i}' for i in range(3000)) + '\n'
            + ''.join(f't{i}: ; echo t{i} $(WHO) $(WHEN)\n' for i in range(3000)))
with open(f'{d}/map.cc', 'w') as f:
    f.write('#include <map>\n#include <string>\n#include <iostream>\nint main() {'
            ' std::map<std::string, std::string> m; for (int i = 0; i < 200000; i++)'
            ' m["key" + std::to_string(i)] = std::string(i % 50, \'x\') + std::to_string(i);'
            ' size_t n = 0; for (auto &kv : m) n += kv.second.size(); std::cout << n << "\\n"; }\n')
PY
g++ -O2 -o "$tmp/map" "$tmp/map.cc"
gcc -O1 -g -o "$tmp/sites" "$tmp/sites.c"
# Three threads filling hash maps of strings, then dropping them: the
# allocator at full speed on more threads than cpus, numamma's drain
# sharing them (when rustc is installed).
cat >"$tmp/maps.rs" <<'RS'
use std::collections::HashMap;
fn main() {
    let fill = |t: u64| { let mut m = HashMap::new(); for i in 0..100000u64 { m.insert(i * 3 + t, format!("v{}", i)); } m.len() };
    let threads: Vec<_> = (0..3).map(|t| std::thread::spawn(move || fill(t))).collect();
    println!("{}", threads.into_iter().map(|h| h.join().unwrap()).sum::<usize>());
}
RS
command -v rustc >/dev/null && rustc -O -o "$tmp/maps" "$tmp/maps.rs" 2>/dev/null
mkdir -p "$tmp/py" && cp -r /usr/lib/python3*/json /usr/lib/python3*/email "$tmp/py/"
(echo "create table t(a, b); begin;"; seq 1 50000 | sed 's/.*/insert into t values(&, hex(randomblob(20)));/'
 echo "commit; select count(*), sum(length(b)) from t;") >"$tmp/ins.sql"

programs=(
	"gcc -O2 -c|\$T gcc \$TW -O2 -c -o $tmp/big.o $tmp/big.c"
	"g++ -O1 -c, STL|\$T g++ \$TW -O1 -c -o $tmp/stl.o $tmp/stl.cc"
	"c++ std::map|\$T $tmp/map"
	"sqlite3 inserts|rm -f $tmp/s.sqlite; \$T sqlite3 $tmp/s.sqlite < $tmp/ins.sql"
	"perl hash|\$T perl -e 'my %h; \$h{\"k\$_\"} = [\$_, \"v\$_\"] for 1..200000; my \$n = 0; \$n += @{\$h{\$_}} for keys %h; print \$n'"
	"python3 json|\$T /usr/bin/python3 -c 'import json; d = [{str(i): [i] * 5} for i in range(100000)]; json.loads(json.dumps(d))'"
	"python3 compileall|rm -rf $tmp/py/*/__pycache__; \$T /usr/bin/python3 -m compileall -q $tmp/py"
	"tar czf|\$T tar -I \"\${TW:+\$T} gzip\" -cf $tmp/x.tgz -C /usr/lib/python3.11 json email asyncio"
	"sort --parallel=2|seq 1 300000 | \$T sort --parallel=2 -R --random-source=$tmp/big.c | \$T sort -n | md5sum"
	"xz -T2|\$T xz -T2 -c $tmp/big.c | md5sum"
	"make -n, \$(shell)s|\$T make -s -n -C $tmp/mk | md5sum"
	"make -j2, 9 files|cd $tmp/proj; rm -f *.o app; \$T make -s -j2 CC=\"\${TW:+\$T} gcc \$TW\"; ./app"
	"C -g, 3,000 sites|\$T $tmp/sites"
	"git init/add/commit|rm -rf $tmp/g; mkdir $tmp/g; cd $tmp/g; \$T git init -q; cp $tmp/big.c .; \$T git add .; \$T git -c user.email=a@b -c user.name=n commit -qm x; \$T git log --oneline | wc -l"
)
command -v jq >/dev/null &&
	programs+=("jq filter|\$T jq -c '[.[] | select(.v > 0.5) | {id, t: .tags[0]}] | length' $tmp/big.json")
command -v cmake >/dev/null && command -v ninja >/dev/null &&
	programs+=("cmake + ninja|rm -rf $tmp/cm/b; \$T cmake -S $tmp/cm -B $tmp/cm/b -G Ninja >/dev/null && \$T ninja -C $tmp/cm/b >/dev/null; ls $tmp/cm/b/demo")
[[ -x $tmp/maps ]] && programs+=("rust maps, 3 threads|\$T $tmp/maps"
				  "rustc -O|\$T rustc -O -o $tmp/maps2 $tmp/maps.rs")
# A C++ analyser of deep, varied stacks: a million calls in 0.15 s, 34,000
# distinct stacks (numamma's walks are most of its cost there).
command -v cppcheck >/dev/null &&
	programs+=("cppcheck|\$T cppcheck --quiet -I$top/include $top/src/record/objtrack.c")
# man(1) runs its pipeline's programs (col, groff's) in a seccomp sandbox
# that forbids memfd_create and opening files for writing; troff and
# grotty make 2.4 million allocator calls between them, at once.
if command -v man >/dev/null && command -v groff >/dev/null && [[ -e /usr/share/man/man1/bash.1.gz ]]; then
	zcat /usr/share/man/man1/bash.1.gz >"$tmp/bash.1"
	programs+=("man bash, sandboxed|\$T man -P cat bash 2>/dev/null | md5sum"
		   "groff: troff, grotty|\$T groff -man -Tutf8 $tmp/bash.1 | md5sum")
fi
command -v node >/dev/null &&
	programs+=("node objects|\$T node -e 'const a = []; for (let i = 0; i < 200000; i++) a.push({i, s: \"x\".repeat(i % 100)}); console.log(JSON.stringify(a).length)'")

# run LABEL CMD...: seconds; the output in $tmp/LABEL.out, status appended.
run() {
	local label=$1 s e; shift
	s=$(date +%s%N)
	"$@" >"$tmp/$label.out" 2>/dev/null
	echo "status $?" >>"$tmp/$label.out"
	e=$(date +%s%N)
	awk -v d=$((e - s)) 'BEGIN { printf "%.3f", d / 1e9 }'
}

# ratio SECONDS: SECONDS against the native median, as "1.2x".
ratio() { awk -v t="$1" -v n="$native" 'BEGIN { printf "%.1fx", t / n }'; }

# heaptrack, one file per process: its -o does not replace %p (the
# script reads the name again), and the processes of a row, some at once
# (make -j2), wrote over one file.
printf '#!/bin/sh\nexec heaptrack -o "%s/ht.$$" "$@"\n' "$tmp" >"$tmp/heaptrack-each"
chmod +x "$tmp/heaptrack-each"

# numamma_calls: allocator calls in the per-program profiles ($tmp/p.*.db).
numamma_calls() {
	command -v sqlite3 >/dev/null || { echo -; return; }
	for db in "$tmp"/p.*.db; do
		[[ -e $db ]] && sqlite3 "$db" 'SELECT coalesce(sum(allocations), 0) FROM callsite_totals'
	done | awk '{ n += $1 } END { print n + 0 }'
}

# heaptrack_calls: the same from heaptrack's files ($tmp/ht.*).
heaptrack_calls() {
	command -v heaptrack_print >/dev/null || { echo -; return; }
	for f in "$tmp"/ht.*; do
		[[ -e $f ]] && heaptrack_print -f "$f" 2>/dev/null |
			sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p'
	done | awk '{ n += $1 } END { print n + 0 }'
}

# median SECONDS...
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
runs=${RUNS:-3}

# Two numamma columns: "tree" profiles the whole `sh -c CMD`, as a user
# would; "per-prog" runs numamma where heaptrack runs, on the same
# programs, one profile each: the like-for-like comparison.
nm=("$top/numamma" profile -q -s none "$@")
base=()
[[ -n ${BASELINE:-} ]] && base=("$BASELINE" profile -q -s none "$@")
printf "%-22s %8s %9s %9s %6s %10s %21s" program native tree per-prog same heaptrack \
	"calls: numamma/heapt."
[[ ${#base[@]} == 0 ]] || printf " %9s" "base tree"
printf "\n"
for p in "${programs[@]}"; do
	name=${p%%|*} cmd=${p#*|}
	[[ $name =~ ${ONLY:-.} ]] || continue
	each="${nm[*]} -o $tmp/p.%p.db --"
	natives=() trees=() pers=() heaps=() bases=() same=yes calls_nm=- calls_ht=-
	for ((r = 0; r < runs; r++)); do
		natives+=("$(T= TW= run native sh -c "$cmd")")
		trees+=("$(T= TW= run traced "${nm[@]}" -o "$tmp/p.db" -- sh -c "$cmd")")
		cmp -s "$tmp/native.out" "$tmp/traced.out" || same=no
		if [[ ${#base[@]} != 0 ]]; then
			bases+=("$(T= TW= run base "${base[@]}" -o "$tmp/b.db" -- sh -c "$cmd")")
			cmp -s "$tmp/native.out" "$tmp/base.out" || same=no
		fi
		pers+=("$(T="$each" TW= run each sh -c "$cmd")")
		((r)) || calls_nm=$(numamma_calls)
		rm -f "$tmp"/p.*.db
		if command -v heaptrack >/dev/null; then
			heaps+=("$(T="$tmp/heaptrack-each" TW="-wrapper $tmp/heaptrack-each" \
				run heap sh -c "$cmd")")
			((r)) || calls_ht=$(heaptrack_calls)
			rm -f "$tmp"/ht.*
		fi
	done
	native=$(median "${natives[@]}") tree=$(median "${trees[@]}") per=$(median "${pers[@]}")
	heap=-
	[[ ${#heaps[@]} == 0 ]] || heap=$(ratio "$(median "${heaps[@]}")")
	printf "%-22s %7.2fs %9s %9s %6s %10s %21s" "$name" "$native" "$(ratio "$tree")" \
		"$(ratio "$per")" "$same" "$heap" "$calls_nm/$calls_ht"
	[[ ${#bases[@]} == 0 ]] || printf " %9s" "$(ratio "$(median "${bases[@]}")")"
	printf "\n"
done
