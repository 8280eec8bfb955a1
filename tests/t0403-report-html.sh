#!/bin/bash
# numamma report --format=html: one self-contained page (nothing fetched:
# no external script, style, font or image), rendered by headless
# Chromium with no script error in its console; after the scripts ran,
# the DOM holds the plots (local vs remote bars, samples per node, a heat
# map of pages by thread per hot object) and the sortable tables; the
# screenshot is a real picture.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault
command -v chromium >/dev/null || skip "chromium not installed (make deps installs it)"

N=4 P=1024
db=$TMPD/p.db
blocks_profile "$db" pagefault access-blocks $N $P 0.2
"$NUMAMMA" report --format=html -o "$TMPD/r.html" "$db" || fail "report --format=html exited $?"

grep -Eiq '<(script|link|img|iframe)[^>]* (src|href)=|url\(|@import' "$TMPD/r.html" &&
	fail "the page loads something: $(grep -Eio '<(script|link|img|iframe)[^>]* (src|href)=[^>]*' "$TMPD/r.html" | head -3)"

# chromium: one profile directory of our own, no network, no first-run
# or background fetches.
chrome() {
	timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMPD/chrome" --enable-logging=stderr --v=0 "$@"
}
chrome --dump-dom "file://$TMPD/r.html" >"$TMPD/dom.html" 2>"$TMPD/console.log" ||
	fail "chromium --dump-dom exited $?: $(tail -3 "$TMPD/console.log")"
grep -E 'CONSOLE|Uncaught' "$TMPD/console.log" >&2 && fail "script errors in the console"
grep -q '<body data-ready="1"' "$TMPD/dom.html" || fail "the page's script did not run to the end"
for plot in remote nodes; do
	assert_eq "SVG plots '$plot'" 1 "$(grep -c "<svg class=\"plot $plot\"" "$TMPD/dom.html")"
done
# One heat map per most accessed object, the array's first.
assert_eq "heat maps" "$("$NUMAMMA" report -f csv --section accessed "$db" | sed 1d | wc -l)" \
	"$(grep -c '<svg class="plot heatmap"' "$TMPD/dom.html")"
grep -q '<table class="sort" id="t-accessed">' "$TMPD/dom.html" || fail "no table of the most accessed objects"
grep -q 'main (access-blocks.c:' "$TMPD/dom.html" || fail "the array's call site is not on the page"
assert_eq "the array's heat-map rows (one per worker)" $N \
	"$(awk '/<svg class="plot heatmap"/ { on = 1 } on && /<\/svg>/ { exit } on' "$TMPD/dom.html" |
	   grep -o '<text x="0" y="[0-9]*">tid [0-9]*</text>' | wc -l)"

chrome --window-size=1200,1600 --screenshot="$TMPD/shot.png" "file://$TMPD/r.html" 2>>"$TMPD/console.log" ||
	fail "chromium --screenshot exited $?"
[[ $(head -c 8 "$TMPD/shot.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "the screenshot is not a PNG"
(($(stat -c %s "$TMPD/shot.png") > 20000)) || fail "the screenshot is nearly empty ($(stat -c %s "$TMPD/shot.png") bytes)"

# A run profile: the page shows the placement outcome of each object.
build_prog marker
"$NUMAMMA" run -q --interleave=all -o "$TMPD/run.db" -- "$TMPD/marker" "$TMPD/ran" 0 >/dev/null 2>&1 ||
	fail "numamma run exited $?"
"$NUMAMMA" report --format=html -o "$TMPD/run.html" "$TMPD/run.db" || fail "report --format=html of a run exited $?"
chrome --dump-dom "file://$TMPD/run.html" >"$TMPD/run-dom.html" 2>"$TMPD/console.log" || fail "chromium exited $?"
grep -E 'CONSOLE|Uncaught' "$TMPD/console.log" >&2 && fail "script errors in the console (run profile)"
grep -q '<table class="sort" id="t-placement">' "$TMPD/run-dom.html" || fail "no placement table for a run profile"
grep -q '<td class="n" data-v="100.00">100.0%</td>' "$TMPD/run-dom.html" || fail "no object on its intended nodes"
