# tests/access-lib.sh — for the t03xx sampler tests; source it after lib.sh.
#
# The access-*.c programs give each worker (rank r = 1..N, in creation
# order; main is rank 0) block r-1 of one malloc'd array: BLOCK_PAGES pages
# from the array's first page boundary on, so no page is shared.

PAGE=4096

# access_profile DB SAMPLER PROG ARGS...: build tests/progs/PROG.c (-O2)
# and profile it with SAMPLER; its output goes to $TMPD/out.
access_profile() {
	local db=$1 sampler=$2 prog=$3; shift 3
	[[ -x $TMPD/$prog ]] || build_prog "$prog" -O2
	timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s "$sampler" -o "$db" \
		-- "$TMPD/$prog" "$@" >"$TMPD/out" ||
		fail "numamma profile -s $sampler $prog $* exited $?"
}

# blocks_profile DB SAMPLER PROG NTHREADS BLOCK_PAGES SECONDS: access_profile
# a program whose workers write their own blocks (access-blocks,
# access-serial-init) and check the sum it prints: blocks_sum() adds the
# last word of each block, which is (words per block - 1).
blocks_profile() {
	local db=$1 sampler=$2 prog=$3 n=$4 p=$5 seconds=$6
	access_profile "$db" "$sampler" "$prog" "$n" "$p" "$seconds"
	assert_eq "program output" "sum $((n * (p * PAGE / 8 - 1)))" "$(cat "$TMPD/out")"
}

# sampler_available NAME: skip unless numamma says NAME works here.
sampler_available() {
	local list
	list=$("$NUMAMMA" profile --list-samplers)
	grep -q "^$1 *yes" <<<"$list" || skip "sampler $1 unavailable: $(grep "^$1 " <<<"$list")"
}

# The array: the heap object of SIZE bytes; its first page boundary.
array_cte() {
	echo "arr AS (SELECT id, pid, alloc_ns, free_ns, (address + $((PAGE - 1))) / $PAGE * $PAGE AS base
		     FROM objects WHERE kind = 'heap' AND size = $1)"
}

# block_samples DB NTHREADS BLOCK_PAGES: one row per block with samples:
# block|distinct pages sampled|samples not by the block's owner.
block_samples() {
	local bytes=$(($3 * PAGE))
	sql "$1" "WITH $(array_cte $(($2 * bytes + PAGE))),
		 s AS (SELECT (x.address - arr.base) / $bytes AS block,
			      (x.address - arr.base) / $PAGE AS page, t.rank
		       FROM samples x JOIN arr ON x.pid = arr.pid
		       JOIN threads t ON t.pid = x.pid AND t.tid = x.tid
		       WHERE x.address >= arr.base AND x.address < arr.base + $(($2 * bytes)))
		 SELECT block, count(DISTINCT page), sum(rank != block + 1) FROM s
		 GROUP BY block ORDER BY block"
}

# worker_share DB NTHREADS WHERE SIZE: per worker rank, "rank|samples|
# samples matching WHERE", a condition on the sample s (its rank: s.r) and
# arr, the heap object of SIZE bytes.
worker_share() {
	sql "$1" "WITH $(array_cte "$4"),
		 s AS (SELECT x.*, t.rank AS r FROM samples x
		       JOIN threads t ON t.pid = x.pid AND t.tid = x.tid WHERE t.rank > 0)
		 SELECT s.r, count(*), sum(CASE WHEN $3 THEN 1 ELSE 0 END)
		 FROM s JOIN arr ON s.pid = arr.pid GROUP BY s.r ORDER BY s.r"
}

# assert_share WHAT ROWS MIN_SAMPLES PERCENT: each worker 1..N has at
# least MIN_SAMPLES samples and PERCENT% of them match (worker_share rows).
assert_share() {
	local what=$1 rows=$2 min=$3 pct=$4 n=$5 r total match
	assert_eq "$what: workers with samples" "$(seq 1 "$n" | tr '\n' ' ')" \
		"$(echo "$rows" | cut -d'|' -f1 | tr '\n' ' ')"
	while IFS='|' read -r r total match; do
		[[ -n $r ]] || continue
		echo "$what: worker $r: $match of $total samples"
		((total >= min)) || { echo "FAIL: $what: worker $r has $total samples, want >= $min" >&2; FAILED=1; }
		((match * 100 >= total * pct)) ||
			{ echo "FAIL: $what: worker $r: $match of $total, want >= $pct%" >&2; FAILED=1; }
	done <<<"$rows"
}

# sample_shares DB WHERE A B: "total a b", the samples matching WHERE and,
# of them, those matching A and B; conditions on s (the sample), o (its
# object, NULL when none) and t (its thread: t.rank).
sample_shares() {
	sql "$1" "SELECT count(*), coalesce(sum($3), 0), coalesce(sum($4), 0)
		  FROM samples s LEFT JOIN objects o ON o.id = s.object_id
		  JOIN threads t ON t.pid = s.pid AND t.tid = s.tid WHERE $2" | tr '|' ' '
}
