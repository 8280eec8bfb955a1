#!/bin/bash
# Every option that 'numamma --help' and 'numamma COMMAND --help' print is
# documented in man/numamma.1.
. "$(dirname "$0")/lib.sh"

man=$TOP/man/numamma.1
[[ -f $man ]] || fail "man/numamma.1 does not exist"

# Long options as groff writes them: \-\-name, \fB\-\-name\fR, or plain --name.
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(em/--/g' "$man")

missing=0
for cmd in "" profile report advise run stat; do
	help=$("$NUMAMMA" $cmd --help 2>&1) ||
		fail "numamma $cmd --help exited $?"
	opts=$(grep -oE '(^|[[:space:],[])--[a-z][a-z0-9-]*' <<<"$help" |
	       sed 's/^[[:space:],[]*//' | sort -u)
	[[ -n $opts ]] || fail "numamma $cmd --help lists no option"
	for o in $opts; do
		if ! grep -qE -- "$o([^a-z0-9-]|$)" <<<"$man_text"; then
			echo "numamma $cmd $o is not in man/numamma.1" >&2
			missing=$((missing + 1))
		fi
	done
	[[ -z $cmd ]] || grep -qE "^\.S[HS] .*$cmd|^\.TP.*$cmd|numamma $cmd" <<<"$man_text" ||
		{ echo "man/numamma.1 does not describe 'numamma $cmd'" >&2
		  missing=$((missing + 1)); }
done
((missing == 0)) || fail "$missing undocumented option(s) or command(s)"
