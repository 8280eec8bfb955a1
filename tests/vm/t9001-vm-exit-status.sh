#!/bin/bash
# t9001-vm-exit-status — tests/vm/run hands back COMMAND's exit status, stdout
# and stderr unchanged, fetches guest files, reports timeouts as 124, and
# runs a guest again once after a soft lockup.
# Five boots: status 42 with awkward output, plain `true`, a timeout, and
# a soft lockup then a timeout, run twice.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

# Not about numamma: run without it, so this test works before it is built.
export NUMAMMA=/nonexistent

# --fetch writes to the current directory: use a scratch one.
mkdir "$T/cwd"
cd "$T/cwd"

same() {  # same FILE WANT-FILE WHAT
    cmp -s "$1" "$2" || { show_vm_output; echo "want:" >&2; od -c "$2" >&2; fail "$3 differs"; }
}

# Boot 1: bytes a tty would mangle (\r, \n -> \r\n, \377), no final newline,
# a separate stderr, a fetched file, argv with quotes and newlines, and
# status 42.
printf 'line 1\r\n\ttab  \001\377\n\nno final newline[a b][it'"'"'s][nl\n\n]' >"$T/want-out"
printf 'to stderr\n' >"$T/want-err"
seq 1 2000 >"$T/want-fetch"
vm --fetch result.txt -- sh -c '
    printf "line 1\r\n\ttab  \001\377\n\nno final newline"
    printf "[%s]" "$@"
    printf "to stderr\n" >&2
    seq 1 2000 >result.txt
    exit 42' sh "a b" "it's" $'nl\n\n'
((VM_STATUS == 42)) || { show_vm_output; fail "sh -c 'exit 42' gave $VM_STATUS"; }
same "$T/out" "$T/want-out" "stdout"
same "$T/err" "$T/want-err" "stderr"
[[ -f result.txt ]] || fail "--fetch result.txt fetched nothing"
same result.txt "$T/want-fetch" "fetched result.txt"
echo "ok: exit 42, stdout, stderr and --fetch intact"

# Boot 2: success is 0, and nothing is printed that COMMAND did not print.
vm -- true
((VM_STATUS == 0)) || { show_vm_output; fail "true gave $VM_STATUS"; }
[[ ! -s $T/out && ! -s $T/err ]] || { show_vm_output; fail "true printed something"; }
echo "ok: true gives 0 and no output"

# Boot 3: a guest that outlives --timeout ends with 124, as timeout(1) does.
vm --timeout 3 -- sleep 600
((VM_STATUS == 124)) || { show_vm_output; fail "--timeout 3 -- sleep 600 gave $VM_STATUS"; }
echo "ok: --timeout gives 124"

# Boot 4 (and 5): a guest whose kernel reports a soft lockup (as when the
# emulator stalls a cpu mid-run) and then times out is run once more;
# timing out again, it ends with 124.  The timeout counts the boot too:
# 6 s was too short once for the emulated guest to get to the command on
# a loaded host (no lockup reported, no second run).
NUMAMMA_VM_VERBOSE=1 vm --timeout 20 -- sh -c \
    'echo "<0>watchdog: BUG: soft lockup - CPU#0 stuck (test)" >/dev/kmsg; sleep 600'
((VM_STATUS == 124)) || { show_vm_output; fail "a soft lockup, then a timeout, gave $VM_STATUS"; }
runs=$(grep -c "running the guest again" "$T/err" || true)
((runs == 1)) || { show_vm_output; fail "a soft lockup: the guest was run again $runs times, want 1"; }
echo "ok: a guest cpu's soft lockup: run once more"

[[ $(ls -A) == result.txt ]] || fail "run wrote into the cwd: $(ls -A)"
