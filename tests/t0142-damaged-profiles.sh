#!/bin/bash
# A damaged profile, another program's SQLite file, a profile of a newer
# schema, a stack whose list of frames is not one or names a location the
# profile lacks: refused with one distinct line each (exit 125) by every
# reader (report, advise, run --policy), never read as an empty profile or
# with a stack cut short.
. "$(dirname "$0")/lib.sh"

cd "$TMPD" || fail "no scratch folder"
"$NUMAMMA" profile -q -s none -o good.db -- sh -c 'ls / >/dev/null' ||
	fail "profile failed"
pages=$(($(stat -c %s good.db) / 4096))
((pages > 8)) || fail "profile too small to damage: $pages pages"
cp good.db zeroed.db
dd if=/dev/zero of=zeroed.db bs=4096 seek=$((pages / 2)) count=1 conv=notrunc 2>/dev/null
sqlite3 other.db "PRAGMA user_version = 1; CREATE TABLE notes(t TEXT)"
sqlite3 negative.db "PRAGMA user_version = -1; CREATE TABLE notes(t TEXT)"
cp good.db newer.db
sqlite3 newer.db "PRAGMA user_version = 99"
echo "plain text" >text.db
site=$(sqlite3 good.db "SELECT min(id) FROM callsites")
[[ -n $site ]] || fail "the profile has no call stack"
cp good.db frames.db
sqlite3 frames.db "UPDATE callsites SET frames = '[1,x]' WHERE id = $site"
cp good.db location.db
sqlite3 location.db "UPDATE callsites SET frames = '[1,' || (SELECT max(id) + 1 FROM locations) || ']'
		     WHERE id = $site"

expect_refusal() {   # FILE LINE [no-run]: run --policy reads a text file as a policy
	local cmd status cmds=("report $1" "advise $1")
	[[ $3 == no-run ]] || cmds+=("run -q --policy=$1 -- /bin/true")
	for cmd in "${cmds[@]}"; do
		status=0
		"$NUMAMMA" $cmd >out 2>err || status=$?
		assert_eq "$cmd: exit status" 125 "$status"
		assert_eq "$cmd: message" "$2" "$(head -1 err)"
		[[ ! -s out ]] || fail "$cmd printed a report of a bad profile: $(head -3 out)"
	done
}

"$NUMAMMA" report good.db >/dev/null || fail "report of the good profile failed"
expect_refusal zeroed.db "$(printf "numamma: 'zeroed.db': damaged profile: %s" "$(sqlite3 zeroed.db 'PRAGMA quick_check(1)' | tr '\n' ' ' | sed 's/ $//')")"
grep -q "damaged profile: ." err || fail "no reason given for the damage"
expect_refusal other.db "numamma: 'other.db': not a numamma profile (no numamma tables)"
expect_refusal negative.db "numamma: 'negative.db': not a numamma profile"
expect_refusal newer.db "numamma: 'newer.db': newer schema (version 99): this numamma reads version 2"
expect_refusal frames.db \
	"numamma: 'frames.db': damaged profile: call site $site: its frames are not a list of location ids"
expect_refusal location.db \
	"numamma: 'location.db': damaged profile: call site $site: a frame names a location the profile lacks"
expect_refusal text.db "numamma: 'text.db': not a numamma profile: file is not a database" no-run
