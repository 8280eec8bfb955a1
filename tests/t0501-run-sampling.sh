#!/bin/bash
# numamma run -o samples the program's accesses as profile does (the
# sampler options are profile's): a run profile has samples on the same
# array as the profile it is compared with, and report --diff matches the
# two by call site with samples on both sides.  Without -o the sampler
# options are refused before the program starts; -s none records none;
# without -s the run says which sampler auto chose, like profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

build_prog access-blocks -O2
prog=$TMPD/access-blocks
N=4 P=256

"$NUMAMMA" profile -q -s clock -o "$TMPD/p.db" -- "$prog" $N $P 1 >"$TMPD/out.p" ||
	fail "profile exited $?"
"$NUMAMMA" run -q --bind=0 -s clock --frequency 100 -o "$TMPD/r.db" -- "$prog" $N $P 1 >"$TMPD/out.r" ||
	fail "run -o -s clock exited $?"
assert_diff "the program's output under run" "$TMPD/out.p" "$TMPD/out.r"
assert_eq "run profile: mode and sampler" "run|clock" "$(sql "$TMPD/r.db" "SELECT mode, sampler FROM runs")"
size=$((N * P * PAGE + PAGE))
array_samples=$(sql "$TMPD/r.db" "SELECT count(*) FROM samples s JOIN objects o ON s.object_id = o.id
				  WHERE o.kind = 'heap' AND o.size = $size")
((array_samples >= 20)) || fail "run -o: $array_samples samples on the array, want >= 20"
# --frequency reached the sampler: a tenth of profile's default rate, a
# tenth of the samples for the same work (a wide margin: on a shared
# machine the two runs may get different shares of the cpus).
profile_samples=$(sql "$TMPD/p.db" "SELECT count(*) FROM samples")
run_samples=$(sql "$TMPD/r.db" "SELECT count(*) FROM samples")
awk -v p="$profile_samples" -v r="$run_samples" 'BEGIN { exit !(3 * r < p) }' ||
	fail "--frequency 100: $run_samples samples under run, $profile_samples under profile at 1000 Hz"

# report --diff: the array matched, with samples before and after.
"$NUMAMMA" report --diff -f csv "$TMPD/p.db" "$TMPD/r.db" >"$TMPD/diff.csv" || fail "report --diff exited $?"
read -r s_before s_after < <(awk -F, -v b=$size '$3 == b && $2 == 1 { print $4, $5 }' "$TMPD/diff.csv")
((s_before >= 100 && s_after >= 20)) ||
	fail "diff: array samples before $s_before, after $s_after: want >= 100 and >= 20"

# Default sampler with -o: auto, said on stderr; -s none: no samples.
"$NUMAMMA" run --bind=0 -o "$TMPD/a.db" -- "$prog" 2 16 0 >/dev/null 2>"$TMPD/err" || fail "run -o exited $?"
grep -q "^numamma: sampler: " "$TMPD/err" || fail "run -o did not say its sampler: $(cat "$TMPD/err")"
[[ $(sql "$TMPD/a.db" "SELECT sampler FROM runs") != none ]] || fail "run -o did not sample by default"
"$NUMAMMA" run -q --bind=0 -s none -o "$TMPD/n.db" -- "$prog" 2 16 0 >/dev/null || fail "run -s none exited $?"
assert_eq "-s none: samples" "none|0" "$(sql "$TMPD/n.db" "SELECT sampler, (SELECT count(*) FROM samples) FROM runs")"

# Sampler options without -o, or a bad one: 125, and the program never ran.
for args in "-s clock" "--frequency 100" "-o $TMPD/x.db -s bogus" "-o $TMPD/x.db --period 0"; do
	status=0
	"$NUMAMMA" run --bind=0 $args -- touch "$TMPD/ran" 2>"$TMPD/err" || status=$?
	assert_eq "run $args: exit status" 125 "$status"
	[[ ! -e $TMPD/ran ]] || fail "run $args: the program ran"
	[[ $(wc -l <"$TMPD/err") -le 2 ]] && grep -q "^numamma: run: " "$TMPD/err" ||
		fail "run $args: error '$(cat "$TMPD/err")'"
done
[[ ! -e $TMPD/x.db ]] || fail "a refused run left $TMPD/x.db"
exit 0
