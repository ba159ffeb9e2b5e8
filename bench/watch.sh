#!/usr/bin/env bash
# Issue 12, item 9: the CPU `tend watch` takes with 100 services (`exec
# sleep`) under tend's svscan, at -i 10 (the default) and -i 1 (to magnify
# the cost of a sample). Knobs: N_SERVICES (100), SAMPLES (30 per
# interval: -i 10 runs 300 s), INTERVALS ("10 1"), BENCH_DIR (/var/tmp).
#
# The watcher's CPU time comes from /proc/PID/schedstat (ns on CPU) and
# /proc/PID/stat (utime + stime, clock ticks), read after its first sample
# (its `start` line and one interval more) and SAMPLES intervals later; the
# percentage is of one core over that wall time. Every process is started
# in its own session and killed by process group; the cgroups left are
# removed (benchlib.sweep).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, subprocess, time
from benchlib import sleeping_tree, sweep, tend_bin_dir

TEND = os.environ["TEND"]
N = int(os.environ.get("N_SERVICES", "100"))
SAMPLES = int(os.environ.get("SAMPLES", "30"))
INTERVALS = [float(i) for i in os.environ.get("INTERVALS", "10 1").split()]
work, bindir = tend_bin_dir(os.path.join(os.environ.get("BENCH_DIR", "/var/tmp"), "tend-bench-watch-"))
scan = os.path.join(work, "service")
TICK = os.sysconf("SC_CLK_TCK")
env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"])

def cpu(pid):
    with open(f"/proc/{pid}/schedstat") as f:
        ns = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return ns, int(fields[11]) + int(fields[12])


groups = []
rows = []
try:
    sleeping_tree(scan, N, bindir, env, groups, 120)
    for interval in INTERVALS:
        out = os.path.join(work, f"watch-{interval}.out")
        w = subprocess.Popen([TEND, "watch", "-i", str(interval), scan], cwd=work, stdin=subprocess.DEVNULL,
                             stdout=open(out, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        groups.append(w.pid)
        while "start:" not in open(out).read():
            time.sleep(0.05)
        time.sleep(interval)  # past the first sample, which warms the caches
        ns0, t0 = cpu(w.pid)
        m0 = time.monotonic()
        time.sleep(SAMPLES * interval)
        ns1, t1 = cpu(w.pid)
        wall = time.monotonic() - m0
        events = sum(1 for l in open(out) if not l.startswith("-: start:"))
        rows.append((interval, wall, (ns1 - ns0) / 1e9, (t1 - t0) / TICK, events))
        os.killpg(w.pid, 9)
        w.wait()
        groups.remove(w.pid)
finally:
    sweep(work, groups)
    subprocess.run(["rm", "-rf", work])
print(f"| interval | wall, s | samples | CPU, s (schedstat) | CPU, s (ticks) | % of one core | ms per sample | events |")
print("|---|---|---|---|---|---|---|---|")
for interval, wall, cpu_s, ticks_s, events in rows:
    samples = wall / interval
    print(f"| {interval:g} s | {wall:.0f} | {samples:.0f} | {cpu_s:.3f} | {ticks_s:.2f} | {100 * cpu_s / wall:.3f} | "
          f"{1000 * cpu_s / samples:.2f} | {events} |")
PY
