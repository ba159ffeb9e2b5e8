#!/usr/bin/env bash
# `tend top`'s CPU time per refresh with N (default 1000) services under
# tend's svscan, beside procps' `top` on the same machine (which then shows
# the same services' 2N processes among the rest).
#   tend top -b -n 1 -d 0.1 and -n REFRESHES+1 (default 20+1), stdout to
#   /dev/null; CPU (user + system, getrusage of the children) of the longer
#   run minus the shorter one, divided by REFRESHES: one sample of every
#   service, the header's figures and the formatting, start-up left out.
#   ROUNDS (default 3) rounds, the best shown. procps top the same way.
#   BASELINE: another tend binary (e.g. main's release build), measured
#   the same way, its rounds in turn with tend's.
# Every process started lives in the bench's temporary directory and is
# killed at the end, even on error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, resource, subprocess, time
from benchlib import sleeping_services, sweep, tend_bin_dir

N = int(os.environ.get("N", "1000"))
REFRESHES = int(os.environ.get("REFRESHES", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
work, bindir = tend_bin_dir("tend-bench-top-")
scan = os.path.join(work, "scan")
sleeping_services(scan, N)

def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def cpu_of(argv):
    before = children_cpu()
    subprocess.run(argv, cwd=work, stdout=subprocess.DEVNULL, check=True)
    return children_cpu() - before

def per_refresh(*argv_fors):
    """For each program, the best of ROUNDS rounds, the programs in turn."""
    best = [float("inf")] * len(argv_fors)
    for _ in range(ROUNDS):
        for i, argv_for in enumerate(argv_fors):
            long_run = cpu_of(argv_for(REFRESHES + 1))
            short_run = cpu_of(argv_for(1))
            best[i] = min(best[i], (long_run - short_run) / REFRESHES)
    return best

env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
svscan = subprocess.Popen([os.path.join(bindir, "svscan"), scan], cwd=work, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
try:
    want = f"{N} services: {N} up"
    deadline = time.monotonic() + 300
    while True:
        out = subprocess.run([os.environ["TEND"], "top", "-b", "-n", "1", scan],
                             capture_output=True, text=True).stdout
        if want in out:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {N} services not up after 300 s:\n{out[:300]}")
        time.sleep(1)
    tends = [os.environ["TEND"]] + ([os.environ["BASELINE"]] if os.environ.get("BASELINE") else [])
    figures = per_refresh(*[lambda n, t=t: [t, "top", "-b", "-n", str(n), "-d", "0.1", scan] for t in tends])
    procps, = per_refresh(lambda n: ["top", "-b", "-n", str(n), "-d", "0.1"])
    load = os.getloadavg()[0]
finally:
    sweep(work, [svscan.pid])

print(f"| Program ({N} services, {REFRESHES} refreshes, best of {ROUNDS}) | CPU ms per refresh |")
print("|---|---:|")
for label, tend in zip(["tend top -b -d 0.1", "baseline: tend top -b -d 0.1"], figures):
    print(f"| {label} | {tend * 1000:.1f} |")
print(f"| procps top -b -d 0.1 (all processes) | {procps * 1000:.1f} |")
print(f"\nLoad average at the end: {load:.1f}.")
PY
