#!/usr/bin/env bash
# Benchmarks 8a and 8e of issue 3: tend's svscan + supervise against
# daemontools' svscan + supervise, runit's runsvdir + runsv and s6's
# s6-svscan + s6-supervise, in one run. Prints a Markdown table.
#   8a  wakeups per minute of an idle tree of 10 services: voluntary +
#       involuntary context switches of the scanner and its 10 supervisors
#       (from /proc/PID/status), over IDLE_SECONDS (default 60), scaled to a
#       minute; the four trees are measured side by side in the same window.
#   8e  time from starting the scanner until all N_UP (default 1000) `run`
#       scripts have started (each creates a marker file first); one suite
#       at a time, ROUNDS (default 3) rounds in turn, the best round shown.
# The row "tend svscan + daemontools supervise" separates the scanner's
# share from the supervisors'.
# Every process started lives in the bench's temporary directory (its cwd is
# there) and is killed at the end, even on error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, signal, subprocess, sys, time
from benchlib import sweep as sweep_dir, tend_bin_dir

IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))
N_UP = int(os.environ.get("N_UP", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
work, bindir = tend_bin_dir("tend-bench-svscan-")
SYSTEM_PATH = os.environ.get("PATH", "/usr/bin:/bin")

# name, scanner argv (the scan dir is appended), PATH for the scanner
SUITES = [
    ("tend svscan + supervise", [os.path.join(bindir, "svscan")], bindir + ":" + SYSTEM_PATH),
    ("tend svscan + daemontools supervise", [os.path.join(bindir, "svscan")], "/usr/bin:" + SYSTEM_PATH),
    ("daemontools svscan + supervise", ["/usr/bin/svscan"], "/usr/bin:" + SYSTEM_PATH),
    ("runit runsvdir + runsv", ["/usr/bin/runsvdir"], "/usr/bin:" + SYSTEM_PATH),
    ("s6-svscan + s6-supervise", ["/usr/bin/s6-svscan", "-c", str(4 * N_UP)], "/usr/bin:" + SYSTEM_PATH),
]

def tree(path, n, marker_dir=None):
    """A scan directory with n services whose run optionally leaves a marker, then sleeps."""
    os.makedirs(path)
    for i in range(n):
        d = os.path.join(path, f"s{i}")
        os.mkdir(d)
        mark = f": > {marker_dir}/s{i}\n" if marker_dir else ""
        with open(os.path.join(d, "run"), "w") as f:
            f.write(f"#!/bin/sh\n{mark}exec sleep 100000\n")
        os.chmod(os.path.join(d, "run"), 0o755)

def start(argv, scan, path):
    env = dict(os.environ, PATH=path)
    return subprocess.Popen(argv + [scan], cwd=scan, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

def sweep(procs):
    sweep_dir(work, [p.pid for p in procs])

def children(pid):
    kids = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            if int(s[s.rindex(")") + 2:].split()[1]) == pid:
                kids.append(int(e))
    return kids

def switches(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return sum(int(l.split()[1]) for l in f if "ctxt_switches" in l)
    except OSError:
        return 0

def wait_for(cond, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    return False

procs = []
def on_signal(sig, frame):
    sweep(procs)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(130)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)

results = {}
try:
    # 8a: four idle trees of 10 services, measured in the same window.
    idle = []
    for i, (name, argv, path) in enumerate(SUITES):
        scan = os.path.join(work, f"idle{i}")
        tree(scan, 10)
        p = start(argv, scan, path)
        procs.append(p)
        idle.append((name, p))
    for name, p in idle:
        if not wait_for(lambda: len(children(p.pid)) == 10, 60):
            raise SystemExit(f"{name}: the 10 supervisors did not start")
    time.sleep(3)  # let every tree settle after its starts
    watched = {name: [p.pid] + children(p.pid) for name, p in idle}
    before = {name: sum(switches(q) for q in pids) for name, pids in watched.items()}
    time.sleep(IDLE_SECONDS)
    for name, pids in watched.items():
        results[name] = [round((sum(switches(q) for q in pids) - before[name]) * 60 / IDLE_SECONDS, 1)]
    sweep(procs)
    procs.clear()

    # 8e: N_UP services, one suite at a time, the suites in turn each round.
    best = {}
    for r in range(ROUNDS):
        for i, (name, argv, path) in enumerate(SUITES):
            scan = os.path.join(work, f"up{r}-{i}")
            marks = os.path.join(work, f"marks{r}-{i}")
            os.mkdir(marks)
            tree(scan, N_UP, marks)
            t0 = time.monotonic()
            p = start(argv, scan, path)
            procs.append(p)
            ok = wait_for(lambda: len(os.listdir(marks)) >= N_UP, 300)
            took = time.monotonic() - t0 if ok else float("inf")
            best[name] = min(best.get(name, took), took)
            sweep(procs)
            procs.clear()
            shutil.rmtree(scan, ignore_errors=True)
    for name, took in best.items():
        results[name].append(round(took, 2) if took != float("inf") else "timeout")
finally:
    sweep(procs)
    shutil.rmtree(work, ignore_errors=True)

print(f"| Suite | 8a idle wakeups/min, scanner + 10 supervisors | 8e time to start {N_UP} services (s) |")
print("|---|---:|---:|")
for name, _, _ in SUITES:
    a, e = results[name]
    print(f"| {name} | {a} | {e} |")
print()
print(f"8a over {IDLE_SECONDS:g} s (context switches, /proc/PID/status); 8e until every run script ran, best of {ROUNDS}.")
PY
