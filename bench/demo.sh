#!/bin/sh
# make demo: profile the bundled example, then show the report and the
# placement advice.  Files go to a temporary directory, not the cwd.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/numamma-demo.XXXXXX)
echo "== numamma profile -o $out/demo.db -- bench/demo-app"
"$top/numamma" profile -o "$out/demo.db" -- "$top/bench/demo-app"
echo
echo "== numamma report $out/demo.db"
"$top/numamma" report "$out/demo.db"
echo
echo "== numamma advise $out/demo.db"
"$top/numamma" advise "$out/demo.db" || true
echo
echo "(profile kept in $out/demo.db)"
