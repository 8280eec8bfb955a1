#!/bin/bash
# clock sampler: a sample is the data access the thread stalled on.
# - A thread loads from random places of a 64 MiB table (each a cache
#   miss, its next place from the value loaded: the load changes its own
#   index register) and at once adds the value into a 512-byte array that
#   always hits: most samples belong to the table (found at the load's
#   next run), few to the array (at the sampled ip).
# - A loop reloads its scale factor from the constant pool at each turn
#   (a rip-relative read of the program's read-only pages, no data
#   access) while summing a 16 MiB array: the samples belong to the array.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

# check_shares WHAT DB A B: the main thread's samples on A (>= 80%) and on
# B (<= 5%), object conditions as sample_shares takes them.
check_shares() {
	local what=$1 total on_a on_b
	read -r total on_a on_b <<<"$(sample_shares "$2" "t.rank = 0" "$3" "$4")"
	echo "$what: $total samples of the main thread, $on_a where they belong, $on_b not"
	((total >= 500)) || fail "$what: only $total samples of the main thread"
	((on_a * 10 >= total * 8)) || fail "$what: $on_a of $total samples where they belong, want >= 80%"
	((on_b * 20 <= total)) || fail "$what: $on_b of $total samples misplaced, want <= 5%"
}

access_profile "$TMPD/c.db" clock access-chase 64 1
assert_eq "access-chase output" "chased yes" "$(cat "$TMPD/out")"
check_shares "a load that misses, then a hit" "$TMPD/c.db" \
	"o.kind = 'heap' AND o.size = $((64 << 20))" "o.kind = 'static' AND o.name = 'small'"

access_profile "$TMPD/k.db" clock access-constant 16 1
assert_eq "access-constant output" "summed yes" "$(cat "$TMPD/out")"
check_shares "a constant reloaded" "$TMPD/k.db" "o.kind = 'heap' AND o.size = $((16 << 20))" \
	"EXISTS (SELECT 1 FROM modules m WHERE m.pid = s.pid AND m.path LIKE '%/access-constant'
		 AND s.address BETWEEN m.start AND m.end)"
