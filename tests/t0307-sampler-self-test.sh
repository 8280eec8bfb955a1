#!/bin/bash
# Every sampler proves its events fire before it is chosen: one whose
# events open but count nothing (hardware breakpoints on some hypervisors)
# is listed as not working with what was seen, skipped by auto, and
# refused by name.  NUMAMMA_TEST_IDLE_PROBE makes a self-test run without
# its workload, so its events really count nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"

# The machine's own answer must be that breakpoints open (whether they fire
# or not): the refusal tested is the one for events that open.
"$NUMAMMA" profile --list-samplers | grep -Eq "^watch *(yes|no .*never fire)" ||
	skip "hardware breakpoints cannot be opened here: $("$NUMAMMA" profile --list-samplers | grep ^watch)"
export NUMAMMA_TEST_IDLE_PROBE=breakpoint

"$NUMAMMA" profile --list-samplers >"$TMPD/list" || fail "--list-samplers failed"
grep -q "^watch *no .*: hardware breakpoints open but never fire on this machine" "$TMPD/list" ||
	fail "a silent watch self-test is not listed as such: $(grep ^watch "$TMPD/list")"

status=0
"$NUMAMMA" profile -s watch -o "$TMPD/w.db" -- true 2>"$TMPD/err" || status=$?
assert_eq "--sampler=watch refused" 125 "$status"
assert_eq "refusal line" "numamma: sampler watch: hardware breakpoints open but never fire on this machine (the hypervisor does not deliver debug exceptions)" \
	"$(head -1 "$TMPD/err")"
grep -q "^numamma: hint: .*--list-samplers" "$TMPD/err" || fail "no hint after the refusal: $(cat "$TMPD/err")"
[[ ! -e $TMPD/w.db ]] || fail "a refused profile left a database"

# With the clock's events silent too, auto must not fall to watch.
export NUMAMMA_TEST_IDLE_PROBE=breakpoint,cpu-clock
status=0
"$NUMAMMA" profile -s clock -o "$TMPD/c.db" -- true 2>"$TMPD/err" || status=$?
assert_eq "--sampler=clock refused when its events never fire" 125 "$status"
grep -q "^numamma: sampler clock: cpu-clock events open but delivered no sample" "$TMPD/err" ||
	fail "clock refusal: $(cat "$TMPD/err")"
build_prog access-blocks -O2
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -o "$TMPD/a.db" -- "$TMPD/access-blocks" 2 4 0.1 \
	>/dev/null 2>"$TMPD/err" || fail "profile with auto exited $?: $(cat "$TMPD/err")"
chosen=$(sql "$TMPD/a.db" "SELECT sampler FROM runs")
[[ $chosen != watch ]] || fail "auto chose the watch sampler whose events never fire"
grep -q "watch: hardware breakpoints open but never fire" "$TMPD/err" ||
	fail "auto does not say why it skipped watch: $(cat "$TMPD/err")"
assert_eq "the reason recorded in the run" 1 \
	"$(sql "$TMPD/a.db" "SELECT count(*) FROM runs WHERE sampler_reason LIKE '%watch: hardware breakpoints open but never fire%'")"
