#!/bin/bash
# Under mpirun every rank writes its own profile (prof.db -> prof.rank<R>.db,
# never one shared file), recording its rank, the job's size and id; each
# holds its own rank's buffer with its call site; the job's output is what
# it is without numamma.  -o patterns (%r %p %h %j) name anything else.
. "$(dirname "$0")/lib.sh"

command -v mpirun >/dev/null && command -v mpicc >/dev/null ||
	skip "Open MPI is not installed (make deps installs openmpi-bin and libopenmpi-dev)"
mpicc -O0 -g -o "$TMPD/mpi-ranks" "$PROGS/mpi-ranks.c" || fail "cannot compile mpi-ranks.c"
mpi=(mpirun --allow-run-as-root --oversubscribe -np 3)
cd "$TMPD" || fail "no scratch folder"
"${mpi[@]}" ./mpi-ranks >native.out 2>native.err || fail "the job fails natively: $(cat native.err)"

timeout -k 5 120 "${mpi[@]}" "$NUMAMMA" profile -q -s none -o prof.db -- ./mpi-ranks \
	>out 2>err || fail "the job under numamma exited $?: $(cat err)"
assert_diff "the job's output" native.out out
assert_eq "one profile per rank, no shared file" "prof.rank0.db prof.rank1.db prof.rank2.db" \
	"$(ls prof* | tr '\n' ' ' | sed 's/ $//')"
for r in 0 1 2; do
	assert_eq "rank $r: launcher rank and size recorded" "$r|3" \
		"$(sql prof.rank$r.db "SELECT launcher_rank, launcher_size FROM runs")"
	assert_eq "rank $r: its buffer, with its call site" "$(((r + 1) << 20))|rank_buffer" \
		"$(sql prof.rank$r.db "SELECT o.size, f.function FROM objects o
			JOIN frames f ON f.callsite_id = o.callsite_id AND f.depth = 0
			WHERE f.function = 'rank_buffer'")"
done
assert_eq "one job id for the job" 1 \
	"$(for r in 0 1 2; do sql prof.rank$r.db "SELECT job_id FROM runs"; done | sort -u | wc -l)"

# The job's report: a row per rank, call sites matched across ranks, and
# rank_buffer first among those where ranks differ (1 MiB on rank 0, 3 on 2).
"$NUMAMMA" report prof.rank*.db >job.txt || fail "report of the ranks failed"
assert_eq "one row per rank" "0 1 2" "$(awk '/^Ranks/ { on = 1; getline; next } on && NF == 0 { on = 0 } on { print $1 }' job.txt | tr '\n' ' ' | sed 's/ $//')"
grep -A2 "^Call sites where the ranks differ most" job.txt | tail -1 |
	grep -Eq "^ *rank_buffer \(mpi-ranks.c:[0-9]+\) +3 +3 +6.0 MiB +[0-9]+ +1.0 MiB +0 +3.0 MiB +2$" ||
	fail "rank_buffer is not where ranks differ most: $(cat job.txt)"
mkdir job && cp prof.rank*.db job/
"$NUMAMMA" report -f json job >job.json || fail "report of a directory failed"
python3 -c '
import json, sys
d = json.load(open("job.json"))
ranks = d["sections"]["ranks"]["rows"]
assert [r["rank"] for r in ranks] == [0, 1, 2], ranks
' || fail "the JSON job report: $(head -c 400 job.json)"

# Patterns: the rank and the pid where the user puts them.
timeout -k 5 120 "${mpi[@]}" "$NUMAMMA" profile -q -s none -o 'p.%r.%p.db' -- ./mpi-ranks \
	>/dev/null 2>err || fail "the job with a pattern exited $?: $(cat err)"
assert_eq "%r and %p expanded" 3 "$(ls p.[0-2].[0-9]*.db | wc -l)"

# Outside a launcher: %r is refused with one line, plain names unchanged.
status=0
env -u OMPI_COMM_WORLD_RANK "$NUMAMMA" profile -s none -o 'x.%r.db' -- /bin/true 2>err || status=$?
assert_eq "%r outside a launcher refused" 125 "$status"
assert_eq "%r refusal" "numamma: cannot name the output 'x.%r.db': %r: no launcher rank in the environment" "$(cat err)"
