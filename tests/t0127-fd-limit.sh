#!/bin/bash
# numamma raises its own descriptor limit (a perf event and its ring per
# thread), never the program's: under `ulimit -Sn 256` the program sees
# 256, and 400 threads alive at once are all sampled without "Too many
# open files".  Under `ulimit -v` the program keeps its limit too, all of
# it (its calls caught with breakpoints, not the agent, said once: t0163).  A hard limit too
# low for numamma's own needs (two descriptors per module) is said, not
# left to an empty profile.  A small soft stack limit is the program's
# too: numamma's own stack and threads take what they need (under
# `ulimit -Ss 16` its tracer died of SIGSEGV, the program unprofiled).
. "$(dirname "$0")/lib.sh"

hard=$(ulimit -Hn)
[[ $hard == unlimited ]] || ((hard > 1024)) || skip "the hard descriptor limit is $hard: nothing to raise to"
(ulimit -Sn 256; sh -c 'ulimit -Sn; ulimit -Hn') >"$TMPD/native"
(ulimit -Sn 256; profile_ok "$TMPD/l.db" -- sh -c 'ulimit -Sn; ulimit -Hn') >"$TMPD/out" ||
	fail "profile exited $?"
assert_diff "the program's limits" "$TMPD/native" "$TMPD/out"

(ulimit -v 4000000; sh -c 'ulimit -v; /bin/true') >"$TMPD/native"
(ulimit -v 4000000; "$NUMAMMA" profile -q -s none -o "$TMPD/v.db" -- sh -c 'ulimit -v; /bin/true') \
	>"$TMPD/out" 2>"$TMPD/err" || fail "profile under ulimit -v exited $?: $(cat "$TMPD/err")"
assert_diff "the program's address-space limit" "$TMPD/native" "$TMPD/out"
assert_eq "the limit's warnings (one a run, two processes)" 1 \
	"$(grep -c "has an address-space limit (ulimit -v, 3906 MiB): its allocator calls are caught with breakpoints" "$TMPD/err")"
grep -q "^numamma: hint: --intercept=agent is faster, and takes 71 MiB of the limit" "$TMPD/err" ||
	fail "no hint: $(cat "$TMPD/err")"
assert_eq "intercepted under the limit" trap "$(sql "$TMPD/v.db" "SELECT intercept FROM runs")"
"$NUMAMMA" profile -q -s none -o "$TMPD/nv.db" -- /bin/true 2>"$TMPD/err" || fail "profile exited $?"
grep -q "address-space limit" "$TMPD/err" && fail "a limit said where none is set: $(cat "$TMPD/err")"

(ulimit -n 12; "$NUMAMMA" profile -q -s none -o "$TMPD/n.db" -- sh -c 'echo ok') >"$TMPD/out" 2>"$TMPD/err" ||
	fail "profile under ulimit -n 12 exited $?: $(cat "$TMPD/err")"
assert_eq "the program's output under ulimit -n 12" ok "$(cat "$TMPD/out")"
grep -q "^numamma: warning: cannot open .*: Too many open files: the allocator calls and code of modules numamma cannot open are not recorded" "$TMPD/err" ||
	fail "descriptors run out unsaid: $(cat "$TMPD/err")"
grep -q "^numamma: hint: raise the limit with .ulimit -n." "$TMPD/err" || fail "no hint: $(cat "$TMPD/err")"

# Fewer still: the profile itself (its WAL's two files) may not be
# created.  The program runs on all the same, to its own end, and no
# file is left but a whole profile (under ulimit -n 9 numamma died
# creating the WAL, its program stopped at its exec for good).
for n in 6 7 8 9 10 11; do
	rm -f "$TMPD"/f.db*
	(ulimit -n $n; timeout -s KILL 20 "$NUMAMMA" profile -q -s none -o "$TMPD/f.db" -- sh -c 'echo ok; exit 3') \
		>"$TMPD/out" 2>"$TMPD/err"
	st=$?
	assert_eq "the program's status under ulimit -n $n" 3 "$st"
	assert_eq "the program's output under ulimit -n $n" ok "$(cat "$TMPD/out")"
	if [[ -e $TMPD/f.db ]]; then
		sql "$TMPD/f.db" "SELECT count(*) FROM runs" >/dev/null || fail "a damaged profile under ulimit -n $n"
	else
		grep -q "no profile can be written: the program runs on untraced" "$TMPD/err" ||
			fail "no profile under ulimit -n $n, unsaid: $(cat "$TMPD/err")"
		[[ -e $TMPD/f.db-wal ]] && fail "a WAL left without its profile under ulimit -n $n"
	fi
done

(ulimit -Ss 16; sh -c 'ulimit -Ss; ulimit -Hs') >"$TMPD/native"
(ulimit -Ss 16; "$NUMAMMA" profile -s none -o "$TMPD/s.db" -- sh -c 'ulimit -Ss; ulimit -Hs') \
	>"$TMPD/out" 2>"$TMPD/err" || fail "profile under ulimit -Ss 16 exited $?: $(cat "$TMPD/err")"
assert_diff "the program's stack limits" "$TMPD/native" "$TMPD/out"
grep -q "^numamma: profile: profile written to" "$TMPD/err" ||
	fail "no profile under ulimit -Ss 16: $(cat "$TMPD/err")"
assert_eq "processes recorded under ulimit -Ss 16" 1 "$(sql "$TMPD/s.db" "SELECT count(*) FROM processes")"

build_prog count-storm
(ulimit -Sn 256; "$NUMAMMA" profile -q -o "$TMPD/c.db" -- "$TMPD/count-storm" crowd 400 1) \
	>"$TMPD/out" 2>"$TMPD/err" || fail "profile exited $?: $(cat "$TMPD/err")"
[[ $(sql "$TMPD/c.db" "SELECT sampler FROM runs") == clock ]] ||
	skip "the default sampler is not clock here: $(sql "$TMPD/c.db" "SELECT sampler_reason FROM runs")"
grep -q "Too many open files" "$TMPD/err" && fail "threads left unsampled: $(cat "$TMPD/err")"
assert_eq "threads of the crowd" 401 "$(sql "$TMPD/c.db" "SELECT count(*) FROM threads")"
