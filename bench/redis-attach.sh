#!/bin/bash
# A server under load, attached: redis-server's SET and GET throughput
# (redis-benchmark) alone, then while `numamma profile -p` is attached
# (default sampler, or the options given), then after numamma detached,
# each the median of RUNS, printed as ratios to the first.  The server
# must still answer after the detach.  Installs redis when root and
# missing.
#
#   bench/redis-attach.sh [NUMAMMA OPTIONS...]     e.g. -s none
# RUNS=3, REQUESTS=100000 by default.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
requests=${REQUESTS:-100000}
port=$((20000 + RANDOM % 20000))
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numamma-bench.XXXXXX")
make -s -C "$top" numamma >&2
if ! command -v redis-server >/dev/null && [[ $(id -u) == 0 ]]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null 2>&1 || true
fi
command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 77; }

redis-server --port "$port" --save '' --appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
server=$!
nm_pid=
cleanup() {
	[[ -n $nm_pid ]] && kill -INT "$nm_pid" 2>/dev/null && wait "$nm_pid" 2>/dev/null
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# rps TEST: requests per second of redis-benchmark's TEST, median of runs.
rps() {
	for _ in $(seq "$runs"); do
		redis-benchmark -p "$port" -t "$1" -n "$requests" -c 50 -q 2>/dev/null |
			awk '/requests per second/ { for (i = 1; i < NF; i++) if ($(i+1) == "requests") print $i }'
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A before during after
for t in set get; do before[$t]=$(rps "$t"); done
"$top/numamma" profile -q "$@" -o "$tmp/r.db" -p "$server" 2>"$tmp/numamma.err" &
nm_pid=$!
sleep 1
for t in set get; do during[$t]=$(rps "$t"); done
kill -INT "$nm_pid"
wait "$nm_pid" || { echo "numamma exited $?: $(cat "$tmp/numamma.err")" >&2; }
nm_pid=
for t in set get; do after[$t]=$(rps "$t"); done
redis-cli -p "$port" ping | grep -q PONG || { echo "the server no longer answers" >&2; exit 1; }

printf "redis-server, %d requests x %d runs (median), 50 clients\n" "$requests" "$runs"
printf "%-4s %12s %22s %22s\n" test alone "numamma attached" "after detach"
for t in set get; do
	awk -v t="$t" -v a="${before[$t]}" -v b="${during[$t]}" -v c="${after[$t]}" \
	    'BEGIN { printf "%-4s %10.0f/s %12.0f/s (%3.0f%%) %12.0f/s (%3.0f%%)\n", t, a, b, 100 * b / a, c, 100 * c / a }'
done
echo "profile: $(sqlite3 "$tmp/r.db" 'SELECT count(*) FROM objects') objects," \
     "$(sqlite3 "$tmp/r.db" 'SELECT sum(allocations) FROM callsite_totals') allocations counted," \
     "$(sqlite3 "$tmp/r.db" 'SELECT count(*) FROM samples') samples" 2>/dev/null || true
