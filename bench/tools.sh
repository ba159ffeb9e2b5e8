#!/usr/bin/env bash
# Process-state tools (issue 4): the cost of each chain-loading program, ours
# against Debian's daemontools 0.76 / runit 2.1.2 chpst, measured with
# hyperfine as the wall time of `TOOL ARGS true` (no shell; `true` alone is the
# baseline), plus readproctitle's throughput on 4 MiB of input (daemontools
# reads one byte per system call). Prints a Markdown table of medians and
# minimums (the machine is shared; means are noisy).
# Knobs: RUNS (default 300), WARMUP (20), INPUT_MIB (4).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
RUNS="${RUNS:-300}"
WARMUP="${WARMUP:-20}"
INPUT_MIB="${INPUT_MIB:-4}"
work="$(mktemp -d /tmp/tend-bench-tools-XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/env"
for p in setuidgid envuidgid envdir softlimit setlock pgrphack fghack readproctitle chpst; do
    ln -s "$TEND" "$work/bin/$p"
done
for i in $(seq 1 20); do echo "value $i" > "$work/env/VAR$i"; done
head -c $((INPUT_MIB * 1048576)) /dev/urandom | tr -d '\0' > "$work/input"
TRUE="$(command -v true)"
cases=(
    "setuidgid|setuidgid nobody $TRUE"
    "envuidgid|envuidgid nobody $TRUE"
    "envdir (20 files)|envdir $work/env $TRUE"
    "softlimit|softlimit -m100000000 -o100 -p500 $TRUE"
    "setlock|setlock $work/lock $TRUE"
    "pgrphack|pgrphack $TRUE"
    "fghack|fghack $TRUE"
    "chpst -u -e -o|chpst -unobody -e$work/env -o100 $TRUE"
)
json="$work/result.json"
rows=()
measure() { # name ours theirs
    hyperfine -N --style none --warmup "$WARMUP" --runs "$3" --export-json "$json" "$1" "$2" >/dev/null 2>&1
    python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
f = lambda x: f"{x['median'] * 1e3:.3f} ms (min {x['min'] * 1e3:.3f})"
print(f"{f(r[0])} | {f(r[1])} | {r[1]['median'] / r[0]['median']:.2f}x")
PY
}
echo "| program | tend, median (min) | Debian, median (min) | Debian / tend (medians) |"
echo "|---|---|---|---|"
base="$(hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" "$TRUE" >/dev/null 2>&1;
        python3 -c "import json,sys; x=json.load(open('$json'))['results'][0]; print(f\"{x['median']*1e3:.3f} ms (min {x['min']*1e3:.3f})\")")"
echo "| \`true\` alone (baseline) | $base | $base | |"
for c in "${cases[@]}"; do
    name="${c%%|*}"; args="${c#*|}"; prog="${args%% *}"; rest="${args#* }"
    echo "| $name | $(measure "$work/bin/$prog $rest" "/usr/bin/$prog $rest" "$RUNS") |"
done
title="service errors: $(printf '.%.0s' $(seq 1 400))"
echo "| readproctitle, ${INPUT_MIB} MiB | $(measure "sh -c '$work/bin/readproctitle $title < $work/input'" "sh -c '/usr/bin/readproctitle $title < $work/input'" 5) |"
