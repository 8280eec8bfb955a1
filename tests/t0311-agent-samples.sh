#!/bin/bash
# What a sampler sees of numamma's agent in the program (its code running
# at each allocation, its rings and tables filling) is numamma's, not the
# program's: not stored, counted in sampler_stats as "agent".  Under the
# pagefault sampler a third of cc1 --version's samples were the agent's
# page faults (163 of ~620), stored with no object.  Every stored sample's
# instruction must now be in a module of its process or in the vdso.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/access-lib.sh"
sampler_available pagefault
[[ ${NUMAMMA_INTERCEPT:-} != trap ]] || skip "the trap path puts no agent in the program"
cc1=$(gcc -print-prog-name=cc1 2>/dev/null)
[[ -x $cc1 ]] || skip "gcc's cc1 not found"

db=$TMPD/p.db
profile_ok "$db" -s pagefault --all-objects -- "$cc1" --version
agent=$(sql "$db" "SELECT coalesce(sum(value), 0) FROM sampler_stats WHERE tid IS NULL AND name = 'agent'")
((agent > 0)) || fail "no sample counted as the agent's (the agent faults its pages in as it runs)"
foreign=$(sql "$db" "SELECT printf('%#x', s.ip), printf('%#x', s.address) FROM samples s
	WHERE NOT EXISTS (SELECT 1 FROM modules m WHERE m.pid = s.pid AND s.ip >= m.start AND s.ip < m.end)
	  AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.pid = s.pid AND o.name = '[vdso]'
			  AND s.ip >= o.address AND s.ip < o.address + o.size)")
[[ -z $foreign ]] || fail "samples stored of code outside the program's modules (ip|address): $(head -5 <<<"$foreign")"
# The report says so, in the run's summary.
"$NUMAMMA" report "$db" >"$TMPD/report" || fail "report failed"
grep -q "^  agent  *$agent more samples of numamma's agent" "$TMPD/report" ||
	fail "the report does not say the agent's $agent samples: $(grep -A1 '^  samples' "$TMPD/report")"
echo "$agent samples counted as the agent's, none stored, the report says so"
