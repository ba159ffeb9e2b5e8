#!/usr/bin/env bash
# Issue 9, item 10: the CPU a supervisor spends per restart of a crash-looping
# service (`run` is `exit 1`), tend's supervise against daemontools'
# supervise, runit's runsv and s6-supervise, all running at once in one run.
# Knobs: N_SERVICES (default 4 supervisors of each kind), RESTARTS (default
# 100 per supervisor), BENCH_DIR (default /var/tmp: the disk, where service
# directories live; try /dev/shm for tmpfs), TEND_BEFORE (another tend
# binary, say an older build, measured in the same run as "tend supervise,
# before").
#
# Every supervisor waits a second between two starts of a service that dies
# at once, so the run takes about RESTARTS seconds. A restart is counted by
# the service itself (it appends a byte to a file outside the service
# directory). The supervisor's CPU time comes from /proc/PID/schedstat (ns
# on CPU, its own: a forked child's time before exec is the child's) and
# from /proc/PID/stat (utime + stime, clock ticks), read after the first
# start and after RESTARTS more.
# Every process is started in its own session and killed by process group.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, signal, subprocess, tempfile, time
from benchlib import kill_groups, remove_cgroups

TEND = os.environ["TEND"]
N_SERVICES = int(os.environ.get("N_SERVICES", "4"))
RESTARTS = int(os.environ.get("RESTARTS", "100"))
work = tempfile.mkdtemp(prefix="tend-bench-restarts-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
os.symlink(TEND, os.path.join(work, "supervise"))
SUPERVISORS = [
    ("tend supervise", [os.path.join(work, "supervise")]),
    ("daemontools supervise", ["/usr/bin/supervise"]),
    ("runit runsv", ["/usr/bin/runsv"]),
    ("s6-supervise", ["/usr/bin/s6-supervise"]),
]
if os.environ.get("TEND_BEFORE"):
    os.mkdir(os.path.join(work, "before"))
    os.symlink(os.path.realpath(os.environ["TEND_BEFORE"]), os.path.join(work, "before", "supervise"))
    SUPERVISORS.insert(1, ("tend supervise, before", [os.path.join(work, "before", "supervise")]))
TICK = os.sysconf("SC_CLK_TCK")
groups = []

def cpu(pid):
    """(ns on CPU, utime + stime in ticks) of pid."""
    with open(f"/proc/{pid}/schedstat") as f:
        ns = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return ns, int(fields[11]) + int(fields[12])

def count(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0

def wait_count(path, at_least):
    end = time.monotonic() + 10 + 3 * RESTARTS
    while count(path) < at_least:
        if time.monotonic() > end:
            raise SystemExit(f"{path}: fewer than {at_least} starts")
        time.sleep(0.05)
    return count(path)

services = []
try:
    for name, cmd in SUPERVISORS:
        for i in range(N_SERVICES):
            base = os.path.join(work, name.replace(" ", "_") + str(i))
            d = os.path.join(base, "s")
            os.makedirs(d)
            counter = os.path.join(base, "starts")
            with open(os.path.join(d, "run"), "w") as f:
                f.write(f"#!/bin/sh\nprintf x >> {counter}\nexit 1\n")
            os.chmod(os.path.join(d, "run"), 0o755)
            p = subprocess.Popen(cmd + ["s"], cwd=base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            groups.append(p.pid)
            services.append((name, p.pid, counter))
    first = {}
    for name, pid, counter in services:
        c = wait_count(counter, 1)
        first[pid] = (c, cpu(pid))
    totals = {}
    for name, pid, counter in services:
        c0, (ns0, t0) = first[pid]
        c1 = wait_count(counter, c0 + RESTARTS)
        ns1, t1 = cpu(pid)
        r, ns, t = totals.get(name, (0, 0, 0))
        totals[name] = (r + c1 - c0, ns + ns1 - ns0, t + t1 - t0)
finally:
    kill_groups(groups)
    remove_cgroups(work)
    shutil.rmtree(work, ignore_errors=True)
print(f"| supervisor | restarts ({N_SERVICES} services) | CPU per restart, ms (schedstat) | clock ticks (utime + stime) | ms per restart from ticks |")
print("|---|---|---|---|---|")
for name, _ in SUPERVISORS:
    r, ns, t = totals[name]
    print(f"| {name} | {r} | {ns / r / 1e6:.3f} | {t} | {t * 1000 / TICK / r:.2f} |")
PY
