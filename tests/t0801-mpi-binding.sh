#!/bin/bash
# Each rank of a job stays inside its launcher's binding, faked here as
# mpirun leaves it: the rank in OMPI_COMM_WORLD_RANK and a cpuset from
# taskset.  profile records the cpus and nodes each rank was allowed;
# advise over the ranks' profiles plans each within its own (one policy
# with a section per rank, or one policy per rank with %r); run under
# the launcher applies the rank's own plan, never pins a thread outside
# the rank's cpus, says per rank what it placed, and names -o per rank.
# The program's output is the same as without numamma.
. "$(dirname "$0")/lib.sh"

command -v taskset >/dev/null || skip "taskset (util-linux) is not installed"
[[ $(taskset -c 0,1 nproc 2>/dev/null) == 2 ]] || skip "needs two cpus (0 and 1) to bind two ranks apart"
"$NUMAMMA" profile --list-samplers | grep -q '^pagefault *yes' ||
	skip "the pagefault sampler is not available here: no samples to plan from"
build_prog rank-threads
cd "$TMPD" || fail "no scratch folder"
mems=$(sed -n 's/^Mems_allowed_list:\s*//p' /proc/self/status)

# rank R, bound to cpu R: COMMAND...
as_rank() {
	local r=$1 cpus=$2; shift 2
	OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=2 OMPI_MCA_ess_base_jobid=4242 \
		timeout -k 5 "$PROFILE_TIMEOUT" taskset -c "$cpus" "$@"
}

for r in 0 1; do
	as_rank $r $r ./rank-threads >native.$r || fail "rank-threads fails natively"
	as_rank $r $r "$NUMAMMA" profile -q -s pagefault -o prof.db -- ./rank-threads >out.$r 2>err.$r ||
		fail "profile of rank $r exited $?: $(cat err.$r)"
	assert_diff "rank $r: the program's output under profile" native.$r out.$r
	assert_eq "rank $r: its binding recorded" "$r|$r|$mems" \
		"$(sql prof.rank$r.db "SELECT launcher_rank, cpus_allowed, mems_allowed FROM runs")"
done

# One policy for the job: a section per rank, each pinning on its own cpu.
"$NUMAMMA" advise prof.rank0.db prof.rank1.db -o app.policy >advise.out 2>advise.err ||
	fail "advise over the ranks exited $?: $(cat advise.err)"
assert_eq "each rank planned within its binding" \
	"planned within the launcher's binding: cpus 0, node $mems
planned within the launcher's binding: cpus 1, node $mems" "$(grep '^planned within' advise.out)"
assert_eq "format 3, a section per rank" "numamma-policy 3|launcher-rank 0|launcher-rank 1" \
	"$(grep -E '^(numamma-policy|launcher-rank)' app.policy | paste -sd '|')"
# pins per section: "R:CPU" for each pin line
pins=$(awk '/^launcher-rank/ { r = $2 } /^pin / { print r ":" $3 }' app.policy | sort -u | paste -sd ' ')
assert_eq "rank 0 pinned on cpu 0 only, rank 1 on cpu 1 only" "0:0 1:1" "$pins"

# One policy per rank with %r, named from each profile.
"$NUMAMMA" advise prof.rank0.db prof.rank1.db -o 'app.%r.policy' >/dev/null 2>advise.err ||
	fail "advise -o 'app.%r.policy' exited $?: $(cat advise.err)"
for r in 0 1; do
	[[ $(grep -c launcher-rank app.$r.policy) == 0 ]] || fail "app.$r.policy has sections"
	assert_eq "app.$r.policy pins on cpu $r" "$r" "$(awk '/^pin / { print $3 }' app.$r.policy | sort -u)"
done

# run under the launcher: each rank its own section, verified per rank,
# -o named per rank, the output unchanged.
for r in 0 1; do
	as_rank $r $r "$NUMAMMA" run --policy app.policy -o run.db -- ./rank-threads >out.$r 2>err.$r ||
		fail "run of rank $r exited $?: $(cat err.$r)"
	assert_diff "rank $r: the program's output under run" native.$r out.$r
	grep -q "^numamma: run: rank $r: placed [0-9]* objects" err.$r ||
		fail "rank $r: no verification summary of its own: $(cat err.$r)"
	assert_eq "rank $r: run -o named per rank" "$r" "$(sql run.rank$r.db "SELECT launcher_rank FROM runs")"
done

# A policy pinning every thread on cpu 0: applied where the binding
# allows it, moved inside it where it does not.
printf 'numamma-policy 1\npin 0 0\npin 1 0\npin 2 0\n' >cpu0.policy
as_rank 1 0-1 "$NUMAMMA" run -q --policy cpu0.policy -- ./rank-threads >free.out 2>&1 ||
	fail "run with cpu0.policy exited $?: $(cat free.out)"
assert_eq "unbound: the pins apply" "thread 1 cpus 0|thread 2 cpus 0|thread 0 cpus 0" \
	"$(paste -sd '|' free.out)"
as_rank 1 1 "$NUMAMMA" run --policy cpu0.policy -- ./rank-threads >bound.out 2>bound.err ||
	fail "run with cpu0.policy bound to cpu 1 exited $?: $(cat bound.err)"
assert_eq "bound to cpu 1: no thread leaves it" "thread 1 cpus 1|thread 2 cpus 1|thread 0 cpus 1" \
	"$(paste -sd '|' bound.out)"
grep -q "^numamma: run: rank 1: 3 threads pinned to an allowed cpu (1) instead of the policy's, 0 left unpinned$" bound.err ||
	fail "the moved pins are not reported: $(cat bound.err)"

# --policy with %r: each rank reads its own file (app.1.policy pins on 1).
as_rank 1 0-1 "$NUMAMMA" run -q --policy 'app.%r.policy' -- ./rank-threads >pat.out 2>&1 ||
	fail "run --policy 'app.%r.policy' exited $?: $(cat pat.out)"
assert_eq "rank 1 read app.1.policy" "thread 1 cpus 1|thread 2 cpus 1|thread 0 cpus 1" \
	"$(paste -sd '|' pat.out)"

# A job's policy outside a launcher: the common part only, said once.
"$NUMAMMA" run --policy app.policy -- ./rank-threads >/dev/null 2>outside.err ||
	fail "run of a job's policy outside a launcher exited $?"
assert_eq "outside a launcher: warned" 1 "$(grep -c "^numamma: warning: policy 'app.policy' is for the ranks of an MPI job, and no launcher rank is in the environment" outside.err)"

# The same under Open MPI's own mpirun, with the binding it chooses:
# every pin of a rank's section inside the cpus that rank was given.
if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
	mpicc -O0 -g -o mpi-ranks "$PROGS/mpi-ranks.c" || fail "cannot compile mpi-ranks.c"
	mpi=(timeout -k 5 120 mpirun --allow-run-as-root --oversubscribe -np 2)
	"${mpi[@]}" ./mpi-ranks >mpi.native 2>&1 || fail "the job fails natively: $(cat mpi.native)"
	"${mpi[@]}" "$NUMAMMA" profile -q -s pagefault -o mp.db -- ./mpi-ranks >mpi.out 2>mpi.err ||
		fail "the job under profile exited $?: $(cat mpi.err)"
	"$NUMAMMA" advise mp.rank0.db mp.rank1.db -o mpi.policy >/dev/null 2>mpi.err ||
		fail "advise over the job exited $?: $(cat mpi.err)"
	"${mpi[@]}" "$NUMAMMA" run --policy mpi.policy -- ./mpi-ranks >mpi.run 2>mpi.err ||
		fail "the job under run exited $?: $(cat mpi.err)"
	assert_diff "the job's output under run" mpi.native mpi.run
	assert_eq "the job verified per rank" 2 \
		"$(grep -c '^numamma: run: rank [01]: placed [0-9]* objects' mpi.err)"
	for r in 0 1; do
		cpus=$(sql mp.rank$r.db "SELECT cpus_allowed FROM runs")
		allowed=" $(tr ',' '\n' <<<"$cpus" | awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) printf "%d ", c }')"
		pins=$(awk -v r=$r '/^launcher-rank/ { s = $2 } /^pin / && s == r { print $3 }' mpi.policy)
		[[ -n $pins ]] || fail "rank $r: no pins in its section of mpi.policy"
		for c in $pins; do
			[[ $allowed == *" $c "* ]] || fail "rank $r pinned on cpu $c, outside its cpus $cpus"
		done
	done
fi

# Profiles of one rank twice, or outside a launcher, are no job.
status=0
"$NUMAMMA" advise prof.rank0.db prof.rank0.db -o x.policy >/dev/null 2>err || status=$?
assert_eq "the same rank twice refused" "125|numamma: 'prof.rank0.db' and 'prof.rank0.db' are both rank 0" \
	"$status|$(cat err)"
[[ ! -e x.policy ]] || fail "a refused advise wrote x.policy"
profile_ok plain.db -- ./rank-threads >/dev/null
status=0
"$NUMAMMA" advise prof.rank0.db plain.db -o x.policy >/dev/null 2>err || status=$?
assert_eq "a profile without a rank in a job refused" "125|numamma: 'plain.db' was not profiled under a launcher: no rank to plan for" \
	"$status|$(head -1 err)"
status=0
"$NUMAMMA" advise plain.db -o 'x.%r.policy' >/dev/null 2>err || status=$?
assert_eq "%r for a profile without a rank refused" "125|numamma: cannot name the policy of 'plain.db' after 'x.%r.policy': it was not profiled under a launcher (no rank for %r)" \
	"$status|$(cat err)"
status=0
"$NUMAMMA" advise prof.rank0.db prof.rank1.db -o 'x.%h.policy' >/dev/null 2>err || status=$?
assert_eq "per-rank names without %r refused" "125|numamma: advise: -o 'x.%h.policy': a policy per rank needs %r in its name, or no % at all for one policy with a section per rank" \
	"$status|$(head -1 err)"
[[ -z $(ls x.* 2>/dev/null) ]] || fail "a refused advise wrote $(ls x.*)"
exit 0
