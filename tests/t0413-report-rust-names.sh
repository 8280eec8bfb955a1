#!/bin/bash
# Rust functions are named as the source names them (rust_names::store::fill,
# <rust_names::store::Table>::new), compiled with either symbol mangling:
# rustc's default, legacy (_ZN...17h<hash>E), and v0 (_R...); the report
# shows them as the blocks' call sites, not the standard library's
# lang_start, which has line tables where the program has none.
. "$(dirname "$0")/lib.sh"

command -v rustc >/dev/null || skip "rustc not installed"
for mangling in legacy v0; do
	prog=$TMPD/rust_names_$mangling
	flags=()
	[[ $mangling == v0 ]] && flags=(-C symbol-mangling-version=v0)
	rustc -O "${flags[@]}" -o "$prog" "$PROGS/rust-names.rs" 2>"$TMPD/err" ||
		fail "rustc ${flags[*]}: $(head -3 "$TMPD/err")"
	nm "$prog" | grep -q "$([[ $mangling == v0 ]] && echo ' _RNv' || echo ' _ZN')[0-9a-zA-Z_]*store" ||
		skip "rustc did not mangle as $mangling (its default changed?)"
	db=$TMPD/$mangling.db
	profile_ok "$db" -- "$prog" >"$TMPD/out"
	assert_eq "$mangling: program output" "1 2" "$(cat "$TMPD/out")"
	want="rust_names::store::fill"
	[[ $mangling == legacy ]] && want_new="rust_names::store::Table::new" ||
		want_new="<rust_names::store::Table>::new"
	assert_eq "$mangling: functions on the 2 MiB blocks' stacks" \
		"$(printf '%s\n%s' "$want_new" "$want")" \
		"$(sql "$db" "SELECT DISTINCT f.function FROM objects o
			      JOIN frames f ON f.callsite_id = o.callsite_id
			      WHERE o.kind = 'heap' AND o.size IN (2097152)
				AND f.function LIKE '%store::%' ORDER BY f.function")"
	"$NUMAMMA" report "$db" >"$TMPD/report" || fail "report exited $?"
	for name in "$want" "$want_new"; do
		grep -qF " $name+0x" "$TMPD/report" ||
			fail "$mangling: the report does not show $name: $(grep -A4 'call sites' "$TMPD/report")"
	done
done
exit ${FAILED:-0}
