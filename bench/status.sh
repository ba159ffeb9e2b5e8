#!/usr/bin/env bash
# Issue 12, item 9: the wall time of `tend status` on a scan directory of
# N_SERVICES (default 1000) services run by tend's svscan (each `run` is
# `exec sleep`), beside Debian's `svstat` on the same directories (which
# reads only the status records: no CPU, memory or processes). systemd is
# not running on the bench machine, so `systemctl status` is not measured.
# Knobs: N_SERVICES, RUNS (default 10 runs of each command), BENCH_DIR
# (default /var/tmp).
#
# `tend status` takes two samples of every service 0.1 s apart (CPU %): its
# wall time holds that interval (less the time the first sample took) and
# the second pass over /proc and the services' cgroups.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, statistics, struct, subprocess, tempfile, time
from benchlib import sleeping_services, sweep, tend_bin_dir

TEND = os.environ["TEND"]
N = int(os.environ.get("N_SERVICES", "1000"))
RUNS = int(os.environ.get("RUNS", "10"))
work, bindir = tend_bin_dir(os.path.join(os.environ.get("BENCH_DIR", "/var/tmp"), "tend-bench-status-"))
scan = os.path.join(work, "scan")
os.mkdir(scan)
env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
groups = []

def up(d):
    try:
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            return struct.unpack("<I", f.read(18)[12:16])[0] != 0
    except (OSError, struct.error):
        return False

def wall(cmd):
    times = []
    for _ in range(RUNS):
        t = time.monotonic()
        subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.monotonic() - t)
    return statistics.median(times), min(times)

try:
    dirs = sleeping_services(scan, N)
    p = subprocess.Popen([os.path.join(bindir, "svscan"), scan], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    groups.append(p.pid)
    end = time.monotonic() + 600
    while not all(up(d) for d in dirs):
        if time.monotonic() > end:
            raise SystemExit("services not up after 600 s")
        time.sleep(0.5)
    rows = [
        ("tend status", [TEND, "status", scan]),
        ("tend status --json", [TEND, "status", "--json", scan]),
        ("daemontools svstat (records only)", ["/usr/bin/svstat"] + dirs),
    ]
    results = [(name, wall(cmd)) for name, cmd in rows]
finally:
    sweep(work, groups)
    shutil.rmtree(work, ignore_errors=True)
print(f"| command ({N} services, {RUNS} runs) | wall, median s | wall, best s |")
print("|---|---:|---:|")
for name, (med, best) in results:
    print(f"| {name} | {med:.3f} | {best:.3f} |")
PY
