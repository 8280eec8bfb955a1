#!/bin/bash
# clock sampler: a sample that lands just after the instruction that
# stalled is placed on that instruction's access, looked back to, even in
# the module's last function (whose end no FDE after it gives; its symbol
# does).  Two workers add to random counters of a 16 MiB table through a
# global pointer reloaded at each add: looking ahead instead would place
# them on the pointer, 8 bytes always in cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock
command -v readelf >/dev/null || skip "readelf not installed"

access_profile "$TMPD/a.db" clock access-atomic-last 2 4096 1
assert_eq "program output" "counters add up" "$(cat "$TMPD/out")"
last_fde=$(readelf --debug-dump=frames "$TMPD/access-atomic-last" |
	   sed -n 's/.* FDE .* pc=0*\([0-9a-f]*\)\.\..*/\1/p' | sort | tail -1)
updater=$(nm "$TMPD/access-atomic-last" | awk '$3 == "updater" { sub(/^0*/, "", $1); print $1 }')
[[ -n $updater && $updater == "$last_fde" ]] ||
	skip "updater (${updater:-?}) is not the last FDE (${last_fde:-?}) with this compiler"

read -r workers on_table on_pointer <<<"$(sample_shares "$TMPD/a.db" "t.rank > 0" \
	"o.kind = 'heap' AND o.size = $((4096 * PAGE))" "o.kind = 'static' AND o.name = 'counters'")"
echo "workers' samples: $workers, on the table $on_table, on the pointer $on_pointer"
((workers >= 500)) || fail "only $workers samples of the workers"
((on_table * 10 >= workers * 8)) || fail "$on_table of $workers samples on the table, want >= 80%"
((on_pointer * 10 <= workers)) || fail "$on_pointer of $workers samples on the pointer, want <= 10%"
