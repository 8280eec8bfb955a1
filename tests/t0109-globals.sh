#!/bin/bash
# Global variables (STT_OBJECT symbols, global and file-static, in .bss,
# .data and .rodata) are 'static' objects with their symbol's name, size
# and runtime address.
. "$(dirname "$0")/lib.sh"

build_prog globals
db=$TMPD/p.db
profile_ok "$db" -- "$TMPD/globals" >"$TMPD/printed"
sort "$TMPD/printed" >"$TMPD/expected"
sql "$db" "SELECT name, size, address FROM objects
	   WHERE kind = 'static' AND callsite_id IS NULL AND name IN
	     ('global_counter', 'global_table', 'global_message',
	      'file_static_buf', 'file_static_init')" | sort >"$TMPD/actual"
assert_diff "static objects (name|size|address)" "$TMPD/expected" "$TMPD/actual"
