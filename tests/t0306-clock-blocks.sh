#!/bin/bash
# clock sampler: each worker writes only its own block, so at least 90% of
# each worker's samples on the array are on its own block: the address
# comes from the sampled registers and the decoded code, attributed to the
# thread that was running; advise plans those blocks from it.  A main
# thread's fs-relative accesses are placed once its fs_base is.  The
# report reads the blocks of a serially initialised array as the
# workers'.  Across fork and exec, samples on each process's array belong
# to that process, and after the exec to the new program's code.  What
# the clock sampler cannot know of an access (its cache level, hops, a
# HITM, a TLB miss, the physical address) is NULL, never a made-up 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available clock

N=4 P=1024
db=$TMPD/c.db
# A sample as a failed check shows it.
sample_row="printf('time %s pid %s tid %s cpu %s node %s address %s ip %s %s weight %s %s steps %s',
		   quote(time_ns), pid, tid, quote(cpu), quote(node), iif(address IS NULL, 'NULL', printf('%#x', address)),
		   iif(ip IS NULL, 'NULL', printf('%#x', ip)), quote(access), weight, quote(resolution), quote(forward_steps))"
blocks_profile "$db" clock access-blocks $N $P 3

size=$((N * P * PAGE + PAGE))
on_array="s.address >= arr.base AND s.address < arr.base + $((N * P * PAGE))"
own="s.address >= arr.base + (s.r - 1) * $((P * PAGE)) AND s.address < arr.base + s.r * $((P * PAGE))"
rows=$(sql "$db" "WITH $(array_cte $size),
		 s AS (SELECT x.*, t.rank AS r FROM samples x
		       JOIN threads t ON t.pid = x.pid AND t.tid = x.tid WHERE t.rank > 0)
		 SELECT s.r, sum($on_array), sum($own)
		 FROM s JOIN arr ON s.pid = arr.pid GROUP BY s.r ORDER BY s.r")
assert_share "array samples on the worker's own block" "$rows" 50 90 $N
assert_eq "samples with a field the clock sampler cannot know" 0 \
	"$(sql "$db" "SELECT count(*) FROM samples WHERE level IS NOT NULL OR hops IS NOT NULL
		      OR snoop_hitm IS NOT NULL OR tlb_miss IS NOT NULL OR phys_addr IS NOT NULL")"
assert_eq "samples without what it knows" "" \
	"$(sql "$db" "SELECT $sample_row FROM samples WHERE time_ns IS NULL OR cpu IS NULL OR node IS NULL
		      OR address IS NULL OR ip IS NULL OR access NOT IN ('R', 'W') OR weight != 1
		      OR resolution IS NULL LIMIT 5")"

# The same program twice in one profile, each process loaded at its own
# addresses (ASLR): the second's samples are placed with the maps of its
# code the first built (placed by the instruction before the ip, most of
# them), moved to the second's addresses: each process's workers on their
# own blocks.
timeout -k 5 "$PROFILE_TIMEOUT" "$NUMAMMA" profile -q -s clock -o "$TMPD/twice.db" -- \
	sh -c "'$TMPD/access-blocks' $N $P 1 && '$TMPD/access-blocks' $N $P 1" >"$TMPD/out" ||
	fail "numamma profile of access-blocks twice exited $?"
pids=$(sql "$TMPD/twice.db" "SELECT pid FROM objects WHERE kind = 'heap' AND size = $size ORDER BY alloc_ns")
assert_eq "processes with the array" 2 "$(echo "$pids" | wc -w)"
for pid in $pids; do
	rows=$(sql "$TMPD/twice.db" "WITH $(array_cte $size),
			 s AS (SELECT x.*, t.rank AS r FROM samples x
			       JOIN threads t ON t.pid = x.pid AND t.tid = x.tid
			       WHERE t.rank > 0 AND x.pid = $pid)
			 SELECT s.r, sum($on_array), sum($own)
			 FROM s JOIN arr ON s.pid = arr.pid GROUP BY s.r ORDER BY s.r")
	assert_share "process $pid: array samples on the worker's own block" "$rows" 50 90 $N
	(($(sql "$TMPD/twice.db" "SELECT count(*) FROM samples WHERE pid = $pid
				   AND resolution = 'backward'") > 0)) ||
		fail "process $pid: no sample placed by the instruction before its ip"
done

# Every stored sample says where its address came from; forward_steps
# only for forward and repeat ones; writes to the array are seen as writes.
assert_eq "samples lacking a field" "" \
	"$(sql "$db" "SELECT $sample_row FROM samples WHERE address IS NULL OR ip IS NULL
		      OR cpu IS NULL OR time_ns IS NULL OR access NOT IN ('R', 'W')
		      OR resolution NOT IN ('at_ip', 'backward', 'repeat', 'forward')
		      OR (resolution IN ('forward', 'repeat')) != (forward_steps IS NOT NULL) LIMIT 5")"
assert_eq "array samples that are not writes" 0 \
	"$(sql "$db" "WITH $(array_cte $size) SELECT count(*) FROM samples s JOIN arr
		      ON s.pid = arr.pid WHERE $on_array AND s.access != 'W'")"
# The samples the decoder could not place are counted, and few.
read -r stored counted <<<"$(sql "$db" "SELECT (SELECT count(*) FROM samples),
	(SELECT sum(value) FROM sampler_stats WHERE name IN ('at_ip', 'backward', 'repeat', 'forward'))" | tr '|' ' ')"
assert_eq "stored samples = samples counted as resolved" "$stored" "$counted"
read -r total refused <<<"$(sql "$db" "SELECT sum(CASE WHEN name = 'samples' THEN value END),
	sum(CASE WHEN name IN ('no_code', 'gather', 'unknown_reg', 'unknown_branch', 'no_fs_base', 'no_access',
			'not_user_address', 'no_regs')
	    THEN value END) FROM sampler_stats" | tr '|' ' ')"
echo "clock: $total samples, $refused not placed"
((refused * 10 <= total)) || fail "$refused of $total samples not placed, want <= 10%"

# advise from a clock profile: the main thread initialises the array,
# then each worker works on its block; planned for 4 nodes, each block
# goes to its worker's node.
blocks_profile "$TMPD/si.db" clock access-serial-init $N 256 1
"$NUMAMMA" advise --nodes 4 "$TMPD/si.db" >"$TMPD/adv" || fail "advise of a clock profile failed"
grep -q "^  block  *heap .*" "$TMPD/adv" || fail "advise planned no per-worker blocks: $(cat "$TMPD/adv")"

# report: the same pattern on a larger array, whose initialisation main
# is sampled in (a sweep across the workers' blocks): left out of the
# pattern, said in the object's view, so that the blocks read as theirs.
blocks_profile "$TMPD/si-big.db" clock access-serial-init $N 8192 0.2
size=$((N * 8192 * PAGE + PAGE))
id=$(sql "$TMPD/si-big.db" "SELECT id FROM objects WHERE kind = 'heap' AND size = $size")
main_samples=$(sql "$TMPD/si-big.db" "SELECT count(*) FROM samples s JOIN threads t
	ON t.pid = s.pid AND t.tid = s.tid WHERE t.rank = 0 AND s.object_id = $id")
echo "serial init: $main_samples samples of main on the array"
((main_samples > 0)) || fail "main's initialisation of 128 MiB was not sampled"
"$NUMAMMA" report --object "$id" "$TMPD/si-big.db" >"$TMPD/obj" || fail "report --object exited $?"
grep -Eq "^  pattern +each thread its own block$" "$TMPD/obj" ||
	fail "serial init + blocks not read as blocks: $(cat "$TMPD/obj")"
grep -Eq "^  left out +1 thread " "$TMPD/obj" || fail "main's samples not said left out: $(cat "$TMPD/obj")"

# fs-relative accesses: a main thread's fs_base, unset at exec, is read at
# its next stop (an allocation); its samples then land on its
# thread-local array.  A fork child's is its parent's until its exec.
# check_tls DB WHO: the program's output in $TMPD/out.
check_tls() {
	local db=$1 who=$2 tls bytes total on_tls
	read -r _ tls bytes < <(grep '^tls ' "$TMPD/out")
	read -r total on_tls <<<"$(sql "$db" "SELECT count(*), sum(address BETWEEN $tls AND $((tls + bytes - 1)))
		FROM samples s JOIN threads t ON t.tid = s.tid
		JOIN modules m ON m.pid = s.pid AND m.path LIKE '%/access-tls'
		WHERE t.rank = 0 AND s.ip BETWEEN m.start AND m.end" | tr '|' ' ')"
	echo "$who: $on_tls of the main thread's $total samples in access-tls on its thread-local array"
	((total >= 50 && on_tls * 10 >= total * 9)) ||
		fail "$who: $on_tls of $total main-thread samples on its thread-local array"
	assert_eq "$who: samples refused for want of fs_base" 0 \
		"$(sql "$db" "SELECT sum(value) FROM sampler_stats WHERE name = 'no_fs_base'")"
}
access_profile "$TMPD/tls.db" clock access-tls 1
check_tls "$TMPD/tls.db" "launched"
access_profile "$TMPD/tls-exec.db" clock access-fork-exec 0.2 "$TMPD/access-tls" 1
check_tls "$TMPD/tls-exec.db" "forked and exec'd"

# fork + exec: parent, child before its exec, and the exec'd program.
db=$TMPD/f.db
access_profile "$db" clock access-fork-exec 1 "$TMPD/access-blocks" 2 256 1
assert_eq "program output" "$(printf 'sum 262142\nchild exited 0')" "$(cat "$TMPD/out")"
parent=$(sql "$db" "SELECT pid FROM processes ORDER BY start_ns, rowid LIMIT 1")
child=$(sql "$db" "SELECT pid FROM processes ORDER BY start_ns DESC, rowid DESC LIMIT 1")
# per_array SIZE: "pid|samples" of the samples on the heap object of SIZE.
per_array() {
	sql "$db" "SELECT s.pid, count(*) FROM samples s JOIN objects o ON o.id = s.object_id
		   WHERE o.kind = 'heap' AND o.size = $1 GROUP BY s.pid"
}
for spec in "parent $parent $((3 << 20))" "child $child $((5 << 20))" "exec'd $child $((2 * 256 * PAGE + PAGE))"; do
	read -r who pid bytes <<<"$spec"
	rows=$(per_array "$bytes")
	echo "$who's array: $rows"
	assert_eq "processes sampled on the $who's array" "$pid" "$(echo "$rows" | cut -d'|' -f1 | tr '\n' ' ' | xargs)"
	(($(echo "$rows" | cut -d'|' -f2) >= 50)) || fail "$who's array: fewer than 50 samples"
done
assert_eq "samples on the exec'd program's array outside its code" 0 \
	"$(sql "$db" "SELECT count(*) FROM samples s JOIN objects o ON o.id = s.object_id
		      WHERE o.kind = 'heap' AND o.size = $((2 * 256 * PAGE + PAGE))
		        AND NOT EXISTS (SELECT 1 FROM modules m WHERE m.pid = s.pid
				        AND m.path LIKE '%/access-blocks' AND s.ip BETWEEN m.start AND m.end)")"
