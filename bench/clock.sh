#!/bin/sh
# Benchmarks of `tend clock` and clockwatch; prints a Markdown table.
# Usage: bench/clock.sh [SECONDS]   (how long each clockwatch run lasts; default 120)
# Needs: cargo, chronyd (a loopback server is started with -x and killed at the
# end), hyperfine. Never touches the clock.
set -eu
secs=${1:-120}
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p tend
tend="$target/release/tend"
tmp=$(mktemp -d)
chronyd_pid=
watch_pid=
cleanup() {
  [ -n "$chronyd_pid" ] && kill "$chronyd_pid" 2>/dev/null || true
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A loopback NTP server (chronyd -x never steers the clock).
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 700 "$tmp/run"
cat > "$tmp/chrony.conf" <<CONF
port $port
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
cmdport 0
bindcmdaddress $tmp/run/chronyd.sock
pidfile $tmp/run/chronyd.pid
driftfile $tmp/run/drift
CONF
if [ "$(id -u)" = 0 ]; then user="-u root"; else user="-U -u $(id -un)"; fi
# shellcheck disable=SC2086
chronyd -x -d $user -f "$tmp/chrony.conf" 2>"$tmp/chronyd.log" &
chronyd_pid=$!
sleep 1

# CPU time (user+sys, ms) and wall time (ms) of one run, mean of N runs.
measure() { # name, runs, command...
  name=$1; runs=$2; shift 2
  wall=$(hyperfine -N -i -w 2 -r "$runs" --export-json "$tmp/h.json" -- "$*" >/dev/null 2>&1 &&
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f|%.1f" % (r["mean"]*1e3, (r["user"]+r["system"])*1e3))' "$tmp/h.json")
  printf '| %s | %s | %s |\n' "$name" "${wall%|*}" "${wall#*|}"
}

echo "| \`tend clock\` run | wall ms (mean) | CPU ms (user+sys, mean) |"
echo "|---|---|---|"
measure "kernel, clocksource, vm (no network, no sample)" 50 "$tend clock --check kernel,clocksource,vm"
measure "ntp: one loopback chronyd via --server" 50 "$tend clock --check ntp --proc $tmp --server 127.0.0.1:$port"
measure "everything, defaults (1 s steal sample)" 5 "$tend clock --server 127.0.0.1:$port"
echo

# clockwatch: CPU time from /proc/PID/stat, wakeups = context switches
# (voluntary + involuntary) from /proc/PID/status, summed over its threads,
# measured over $secs seconds after a 3 s start-up and scaled to one hour
# (threads that ended in between, one per server query, are not counted).
hz=$(getconf CLK_TCK)
watch_run() { # label, args...
  label=$1; shift
  "$tend" clockwatch "$@" >"$tmp/watch.out" 2>&1 &
  watch_pid=$!
  sleep 3 # past the start-up (first sample, first query)
  ticks0=$(awk '{print $14+$15}' "/proc/$watch_pid/stat")
  switches0=$(cat /proc/"$watch_pid"/task/*/status | awk '/ctxt_switches/ {n+=$2} END {print n}')
  sleep "$secs"
  ticks=$(($(awk '{print $14+$15}' "/proc/$watch_pid/stat") - ticks0))
  switches=$(($(cat /proc/"$watch_pid"/task/*/status | awk '/ctxt_switches/ {n+=$2} END {print n}') - switches0))
  kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true; watch_pid=
  awk -v l="$label" -v t="$ticks" -v hz="$hz" -v s="$switches" -v d="$secs" \
    'BEGIN { printf "| %s | %d s | %.3f | %.0f |\n", l, d, t / hz * 3600 / d, s * 3600 / d }'
}
echo "| clockwatch | measured over | CPU s per hour (scaled) | wakeups per hour (scaled) |"
echo "|---|---|---|---|"
watch_run "defaults (sample 60 s, queries every 1024 s)" --server "127.0.0.1:$port"
watch_run "sample every 1 s, query every 10 s" --interval 1 --query-interval 10 --server "127.0.0.1:$port"
