#!/bin/bash
# The profile is written only where the user said, never through a link,
# never over a profile another numamma is writing; it is private (0600);
# an existing one is kept as .old, said aloud; and readers of a live
# profile neither wait for numamma nor disturb the program.
. "$(dirname "$0")/lib.sh"

cd "$TMPD" || fail "no scratch folder"
status=0
"$NUMAMMA" profile -s none -o '' -- /bin/true 2>err || status=$?
assert_eq "-o '' refused" 125 "$status"
assert_eq "-o '' message" "numamma: cannot create '': empty file name" "$(cat err)"

ln -s "$TMPD/planted" link.db
status=0
"$NUMAMMA" profile -s none -o link.db -- /bin/true 2>err || status=$?
assert_eq "dangling link refused" 125 "$status"
grep -q "^numamma: cannot create 'link.db': it is a symbolic link" err || fail "link: $(cat err)"
[[ ! -e planted ]] || fail "numamma created the file a planted link points to"

"$NUMAMMA" profile -q -s none -o p.db -- /bin/true 2>err || fail "profile failed: $(cat err)"
assert_eq "profile mode" 600 "$(stat -c %a p.db)"
"$NUMAMMA" profile -s none -o p.db -- /bin/true 2>err || fail "second profile failed: $(cat err)"
assert_eq "previous kept, said" "numamma: kept the previous 'p.db' as 'p.db.old'" "$(head -1 err)"
"$NUMAMMA" profile -s none -o p.db -- /bin/true 2>err || fail "third profile failed: $(cat err)"
assert_eq "older .old replaced, said" \
	"numamma: kept the previous 'p.db' as 'p.db.old' (the older one is gone)" "$(head -1 err)"
"$NUMAMMA" profile -q -s none -o p.db -- /bin/true 2>err || fail "quiet profile failed: $(cat err)"
assert_eq "-q: nothing said" "" "$(cat err)"
for f in p.db p.db.old; do
	assert_eq "$f is one plain file" delete "$(sql $f "PRAGMA journal_mode")"
done

# A profile killed with its journal beside it: the next profile keeps the
# two together as .old (a complete file for sqlite3); a journal whose
# profile was then removed is refused, never applied to the new one.
"$NUMAMMA" profile -q -s none -o k.db -- sleep 30 2>/dev/null &
front=$!
tracer=
for ((i = 0; i < 100; i++)); do
	[[ -e k.db-wal ]] && tracer=$(pgrep -P $front -x numamma) && break
	sleep 0.05
done
[[ -n $tracer ]] || fail "no profile being written to k.db"
kill -KILL "$tracer" $front
pkill -KILL -x sleep -P 1 2>/dev/null
wait $front 2>/dev/null
[[ -e k.db-wal ]] || fail "the killed profile left no journal"
"$NUMAMMA" profile -q -s none -o k.db -- /bin/true 2>err || fail "profile over a killed one failed: $(cat err)"
[[ -e k.db.old-wal && ! -e k.db-wal ]] || fail "the killed profile's journal did not move with it"
cp k.db.old-wal orphan.db-wal           # sqlite3 below folds the journal in
assert_eq "the killed profile's run, read with its journal" 1 "$(sql k.db.old "SELECT count(*) FROM runs")"
assert_eq "the new profile, complete" 1 "$(sql k.db "SELECT count(*) FROM runs WHERE end_ns IS NOT NULL")"
status=0
"$NUMAMMA" profile -s none -o orphan.db -- /bin/echo ran >out 2>err || status=$?
assert_eq "an orphan journal: refused" 125 "$status"
grep -q "^numamma: cannot create 'orphan.db': 'orphan.db-wal' is a journal left without its database" err ||
	fail "orphan journal: $(cat err)"
[[ ! -s out && ! -e orphan.db && -e orphan.db-wal ]] ||
	fail "the refused profile ran, or touched orphan.db or its journal"

# A live profile: a reader holds a transaction for 3 s, a second numamma
# asks for the same name.  The program runs on with its own output.
prog=(sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 0.4; done; exit 3')
"${prog[@]}" >expected
timeout -k 5 60 "$NUMAMMA" profile -q -s none -o live.db -- "${prog[@]}" >out 2>err &
tracer=$!
for ((i = 0; i < 100 && ! -s live.db; i++)); do sleep 0.05; done
sleep 0.5
(echo 'BEGIN; SELECT count(*) > 0 FROM runs;'; sleep 3; echo 'COMMIT;') |
	sqlite3 live.db >reader 2>reader.err || fail "reader failed: $(cat reader.err)"
status=0
"$NUMAMMA" profile -s none -o live.db -- /bin/echo second >second.out 2>second.err || status=$?
assert_eq "second numamma on a live profile refused" 125 "$status"
grep -q "^numamma: cannot create 'live.db': another numamma is writing it" second.err ||
	fail "second numamma: $(cat second.err)"
[[ ! -s second.out ]] || fail "the refused program ran: $(cat second.out)"
status=0
wait $tracer || status=$?
assert_eq "the program's exit status" 3 "$status"
assert_diff "the program's output" expected out
assert_eq "numamma's stderr" "" "$(cat err)"
assert_eq "the reader saw the live profile" 1 "$(cat reader)"
assert_eq "the profile is complete" 3 "$(sql live.db "SELECT exit_status FROM runs WHERE end_ns IS NOT NULL")"
[[ ! -e live.db.old ]] || fail "the refused numamma moved the live profile"

# advise -o and run -o follow the same rules, and never write an input.
status=0
"$NUMAMMA" advise -o p.db p.db >/dev/null 2>err || status=$?
assert_eq "advise -o its own input" "125|numamma: cannot create 'p.db': it is also an input of this command" \
	"$status|$(cat err)"
status=0
"$NUMAMMA" advise -o link.db p.db >/dev/null 2>err || status=$?
assert_eq "advise -o through a link refused" 125 "$status"
[[ ! -e planted ]] || fail "advise created the file a planted link points to"
"$NUMAMMA" advise -o a.policy p.db >/dev/null 2>err || fail "advise -o failed: $(cat err)"
"$NUMAMMA" advise -o a.policy p.db >/dev/null 2>err || fail "second advise -o failed: $(cat err)"
assert_eq "previous policy kept, said" "numamma: kept the previous 'a.policy' as 'a.policy.old'" "$(cat err)"
assert_eq "policy mode" 600 "$(stat -c %a a.policy)"
status=0
"$NUMAMMA" run -q --policy=p.db -o p.db -- /bin/true 2>err || status=$?
assert_eq "run -o its own policy" "125|numamma: cannot create 'p.db': it is also an input of this command" \
	"$status|$(cat err)"
