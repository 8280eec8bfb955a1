#!/bin/bash
# Every allocator call of real third-party programs counted, against an
# independent count: uprobes on the C library's allocator entries (perf
# probe), the same programs run natively with the same environment.
# realloc(NULL, n) enters malloc from inside realloc: that malloc is the
# same call, counted once by numamma (the outermost), so it is taken off
# the uprobes' count.  Skipped where perf or uprobes are not there.
. "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || skip "perf not installed (apt-get install linux-perf)"
libc=$(ldd /bin/true | awk '$1 ~ /^libc\.so/ { print $3 }')
[[ -f $libc ]] || skip "no C library found by ldd /bin/true"
# Each probe at its function's address: by name, perf also puts one on
# the library's PLT stub of the same name, which the library's own calls
# through its PLT pass before the function itself (counted twice).  perf
# wants event names unique in all groups: a run killed before its end
# left these; they are taken off first.
group=numamma_t0132
perf probe -q -d "$group:*" >/dev/null 2>&1
at_exit 'perf probe -q -d "$group:*" >/dev/null 2>&1'
events=
for f in malloc calloc posix_memalign memalign realloc; do
	addr=$(nm -D --defined-only "$libc" | awk -v f="$f" '$3 ~ "^" f "@@" { print "0x" $1; exit }')
	[[ -n $addr ]] || skip "no $f in the dynamic symbols of $libc"
	arg=
	[[ $f == realloc ]] && arg=" p=%di:u64"
	perf probe -q -x "$libc" -a "$group:t0132_$f=$addr$arg" >/dev/null 2>&1 ||
		skip "perf probe cannot place a uprobe on $f in $libc (root and tracefs needed)"
	events+=${events:+,}$group:t0132_$f
done

# uprobe_calls CMD...: the allocator calls CMD makes, by the uprobes.
uprobe_calls() {
	local all nested
	all=$(perf stat -x, -e "$events" -- "$@" 2>&1 >/dev/null | awk -F, '$3 ~ /:/ { n += $1 } END { print n + 0 }')
	nested=$(perf stat -x, -e "$group:t0132_realloc" --filter 'p == 0' -- "$@" 2>&1 >/dev/null |
		 awk -F, '$3 ~ /:/ { print $1 }')
	echo $((all - nested))
}

seq 1 2000 | sed 's/$/ line/' >"$TMPD/lines"
rows=2000
[[ ${NUMAMMA_INTERCEPT:-auto} == trap ]] && rows=300
# Each under sh -c, natively and profiled (both count the shell's calls
# too), in one environment: perf adds variables to its child's (the
# shell copies each, a call), and perl hashes at random unless told.
clean=(env -i PATH=/usr/bin:/bin PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 sh -c)
programs=(
	"sed|sed -e s/1/one/g $TMPD/lines"
	"perl|perl -e 'my %h; \$h{\$_} = \"x\$_\" for 1..$rows; print scalar(keys %h)'"
	"sqlite3|sqlite3 :memory: 'create table t(a); insert into t select value from generate_series(1, $rows); select count(*) from t;'"
)
for p in "${programs[@]}"; do
	name=${p%%|*} cmd=${p#*|}
	command -v "$name" >/dev/null || continue
	want=$(uprobe_calls "${clean[@]}" "$cmd")
	((want > 100)) || skip "$name: the uprobes counted $want calls: perf stat does not count them here"
	profile_ok "$TMPD/$name.db" -- "${clean[@]}" "$cmd" >/dev/null
	assert_eq "$name: allocations counted" "$want" \
		"$(sql "$TMPD/$name.db" "SELECT sum(t.allocations) - (SELECT count(*) FROM objects
					 WHERE kind = 'mmap') FROM callsite_totals t")"
	echo "$name: $want calls, as the uprobes counted"
done
