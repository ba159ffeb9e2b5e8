#!/usr/bin/env bash
# Issue 12, item 9: the wall time of `tend status` on a scan directory of
# N_SERVICES (default 1000) services run by tend's svscan (each `run` is
# `exec sleep`), beside Debian's `svstat` on the same directories (which
# reads only the status records: no CPU, memory or processes). systemd is
# not running on the bench machine, so `systemctl status` is not measured.
# Knobs: N_SERVICES, RUNS (default 10 runs of each command), BENCH_DIR
# (default /var/tmp), BASELINE (another tend binary, e.g. main's release
# build: its `tend status` rows are added; the commands run in turn, run
# after run, so that all are measured under the same load).
#
# `tend status` takes two samples of every service 0.1 s apart (CPU %): its
# wall time holds that interval (less the time the first sample took) and
# the second pass over /proc and the services' cgroups.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, resource, shutil, statistics, subprocess, tempfile, time
from benchlib import sleeping_tree, sweep, tend_bin_dir

TEND = os.environ["TEND"]
N = int(os.environ.get("N_SERVICES", "1000"))
RUNS = int(os.environ.get("RUNS", "10"))
work, bindir = tend_bin_dir(os.path.join(os.environ.get("BENCH_DIR", "/var/tmp"), "tend-bench-status-"))
scan = os.path.join(work, "scan")
os.mkdir(scan)
env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
groups = []


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def measure(rows):
    """Each command's wall and CPU times, RUNS runs, the commands in turn."""
    times = {name: ([], []) for name, _ in rows}
    for _ in range(RUNS):
        for name, cmd in rows:
            t, c = time.monotonic(), children_cpu()
            subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name][0].append(time.monotonic() - t)
            times[name][1].append(children_cpu() - c)
    return [(name, (statistics.median(w), min(w), statistics.median(c))) for name, (w, c) in times.items()]

try:
    dirs = sleeping_tree(scan, N, bindir, env, groups, 600)
    rows = [
        ("tend status", [TEND, "status", scan]),
        ("tend status --json", [TEND, "status", "--json", scan]),
        ("daemontools svstat (records only)", ["/usr/bin/svstat"] + dirs),
    ]
    baseline = os.environ.get("BASELINE")
    if baseline:
        rows[2:2] = [("baseline: tend status", [baseline, "status", scan]),
                     ("baseline: tend status --json", [baseline, "status", "--json", scan])]
    results = measure(rows)
    load = os.getloadavg()[0]
finally:
    sweep(work, groups)
    shutil.rmtree(work, ignore_errors=True)
print(f"| command ({N} services, {RUNS} runs) | wall, median s | wall, best s | CPU, median s |")
print("|---|---:|---:|---:|")
for name, (med, best, cpu) in results:
    print(f"| {name} | {med:.3f} | {best:.3f} | {cpu:.3f} |")
print(f"\nLoad average at the end: {load:.1f}.")
PY
