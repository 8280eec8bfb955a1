#!/bin/bash
# Global variables (STT_OBJECT symbols, global and file-static, in .bss,
# .data and .rodata) are 'static' objects with their symbol's name, size
# and runtime address, within their module's span (.bss past the file's
# pages included, or advise could not name their module).
. "$(dirname "$0")/lib.sh"

build_prog globals
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/globals" >"$TMPD/printed"
sort "$TMPD/printed" >"$TMPD/expected"
sql "$db" "SELECT name, size, address FROM objects
	   WHERE kind = 'static' AND callsite_id IS NULL AND name IN
	     ('global_counter', 'global_table', 'global_message',
	      'file_static_buf', 'file_static_init', 'big_bss')" | sort >"$TMPD/actual"
assert_diff "static objects (name|size|address)" "$TMPD/expected" "$TMPD/actual"
assert_eq "statics inside the executable's module span" "6" \
	"$(sql "$db" "SELECT count(*) FROM objects o JOIN modules m ON m.pid = o.pid
		     AND o.address >= m.start AND o.address + o.size <= m.end
		     WHERE m.path = '$TMPD/globals' AND o.kind = 'static' AND o.name IN
		       ('global_counter', 'global_table', 'global_message',
			'file_static_buf', 'file_static_init', 'big_bss')")"

# Without --all-objects, a static gets a row as a heap block does: from
# --min-object-size (1 MiB by default: big_bss), or once a sample hits it
# (none here).  The smaller ones are still tracked, not stored.
"$NUMAMMA" profile -q -s none -o "$TMPD/default.db" -- "$TMPD/globals" >/dev/null ||
	fail "numamma profile without --all-objects failed"
assert_eq "statics with a row by default" "big_bss" \
	"$(sql "$TMPD/default.db" "SELECT name FROM objects WHERE kind = 'static' AND name IN
		('global_counter', 'global_table', 'global_message',
		 'file_static_buf', 'file_static_init', 'big_bss')")"
