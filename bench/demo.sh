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
# On a one-node machine, placement is moot: plan for a 4-node one to show
# what advise would do there.
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
if [ "$nodes" -le 1 ]; then
	echo "== numamma advise --nodes 4 $out/demo.db   (this machine has one node: planning for four)"
	"$top/numamma" advise --nodes 4 "$out/demo.db" || true
else
	echo "== numamma advise $out/demo.db"
	"$top/numamma" advise "$out/demo.db" || true
fi
echo
echo "(profile kept in $out/demo.db)"
