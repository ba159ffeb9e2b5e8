#!/usr/bin/env bash
# Issue 11, item 8: order and health, tend's svscan + supervise alone
# (Debian 12 has no s6-rc package: BENCHMARKS.md, "Order and health").
# Prints Markdown tables.
#   11a  bring-up of a dependency graph: N_CHAINS chains of DEPTH services
#        (default 10 x 10 = 100), service k of a chain listing service k-1
#        in `dependencies`, each made ready by a `check` that exits 0
#        (check-interval CHECK_INTERVAL ms, default 1000: supervise runs the
#        check at once when run starts, so a passing check costs one check,
#        not an interval); the time from svscan's start until every
#        service's status record says up and ready. Baselines: the same
#        services without `dependencies` (with the check), and without
#        either (up is enough).
#   11b  idle wakeups with checks configured: IDLE_SERVICES (10) services,
#        each with a `check` that exits 0, `check-failures` 3 and
#        check-interval IDLE_INTERVAL (1000) ms; once all are ready, the
#        voluntary + involuntary context switches of their supervise
#        processes (/proc/PID/status) over IDLE_SECONDS (60), per service
#        per minute; against the same tree without checks, and the checks
#        expected (one per interval per service).
# Knobs: N_CHAINS (10), DEPTH (10), CHECK_INTERVAL (1000), ROUNDS (3, the
# median shown), BOUND (60 s: a bring-up not done by then is "never"),
# IDLE_SERVICES (10), IDLE_INTERVAL (1000), IDLE_SECONDS (60).
# svscan runs in a session of its own; at the end of each measurement it
# gets SIGTERM (its shutdown removes the services' cgroups), then its
# process group and anything left in the bench's directory are killed,
# even on error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, signal, statistics, subprocess, sys, time
from benchlib import processes_in, sweep, tend_bin_dir

N_CHAINS = int(os.environ.get("N_CHAINS", "10"))
DEPTH = int(os.environ.get("DEPTH", "10"))
CHECK_INTERVAL = int(os.environ.get("CHECK_INTERVAL", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
BOUND = float(os.environ.get("BOUND", "60"))
IDLE_SERVICES = int(os.environ.get("IDLE_SERVICES", "10"))
IDLE_INTERVAL = int(os.environ.get("IDLE_INTERVAL", "1000"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))
# No '-' in the prefix: the services' cgroups are named after their paths,
# and a prefix without escapes is easy to find them by (cleanup below).
work, bindir = tend_bin_dir("tendbenchorder")
PATH = bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin")

def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)

def service(scan, name, deps=(), check=False, interval=None, failures=None):
    d = os.path.join(scan, name)
    os.makedirs(d)
    write(os.path.join(d, "run"), "#!/bin/sh\nexec sleep 100000\n", 0o755)
    if deps:
        write(os.path.join(d, "dependencies"), "".join(n + "\n" for n in deps))
    if check:
        write(os.path.join(d, "check"), "#!/bin/sh\nexit 0\n", 0o755)
    if interval is not None:
        write(os.path.join(d, "check-interval"), f"{interval}\n")
    if failures is not None:
        write(os.path.join(d, "check-failures"), f"{failures}\n")
    return d

def up_and_ready(d, need_ready):
    """The status record (crates/svstatus/src/record.rs): a pid (bytes
    12..16), and with need_ready the ready flag (byte 21, bit 0)."""
    try:
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            b = f.read()
    except OSError:
        return False
    if len(b) < 22 or int.from_bytes(b[12:16], "little") == 0:
        return False
    return not need_ready or b[21] & 1 == 1

def start(scan):
    return subprocess.Popen([os.path.join(bindir, "svscan"), scan], cwd=scan, env=dict(os.environ, PATH=PATH),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

def stop(scanner, scan):
    """SIGTERM to svscan (its shutdown stops the tree and removes the
    cgroups), then kill whatever is left and its cgroups, then the tree's files."""
    try:
        scanner.send_signal(signal.SIGTERM)
        scanner.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    sweep(work, [scanner.pid])
    shutil.rmtree(scan, ignore_errors=True)

def bring_up(variant):
    """11a, one round: seconds from svscan's start until every service is up (and ready), None = never."""
    scan = os.path.join(work, "graph")
    os.makedirs(scan)
    dirs = []
    for c in range(N_CHAINS):
        for k in range(DEPTH):
            deps = [f"c{c}s{k - 1}"] if variant == "chains" and k > 0 else []
            checked = variant != "plain"
            dirs.append(service(scan, f"c{c}s{k}", deps, check=checked,
                                interval=CHECK_INTERVAL if checked else None))
    need_ready = variant != "plain"
    t0 = time.monotonic()
    scanner = start(scan)
    try:
        pending = list(dirs)
        while pending and time.monotonic() - t0 < BOUND:
            pending = [d for d in pending if not up_and_ready(d, need_ready)]
            if pending:
                time.sleep(0.005)
        return None if pending else time.monotonic() - t0
    finally:
        stop(scanner, scan)

def supervisors_of(scanner):
    """Pids of svscan's children (the supervise processes)."""
    kids = []
    for task in os.listdir(f"/proc/{scanner.pid}/task"):
        with open(f"/proc/{scanner.pid}/task/{task}/children") as f:
            kids += [int(p) for p in f.read().split()]
    return kids

def switches(pid):
    """(voluntary, involuntary) context switches of `pid`."""
    v = i = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                v = int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                i = int(line.split()[1])
    return v, i

def idle(checked):
    """11b: context switches per supervise process per minute over IDLE_SECONDS, once every service is up (and ready)."""
    scan = os.path.join(work, "idle")
    os.makedirs(scan)
    dirs = [service(scan, f"s{i}", check=checked, interval=IDLE_INTERVAL if checked else None,
                    failures=3 if checked else None) for i in range(IDLE_SERVICES)]
    scanner = start(scan)
    try:
        end = time.monotonic() + BOUND
        while not all(up_and_ready(d, checked) for d in dirs):
            if time.monotonic() > end:
                raise SystemExit("11b: the services did not come up")
            time.sleep(0.05)
        sups = supervisors_of(scanner)
        if len(sups) != IDLE_SERVICES:
            raise SystemExit(f"11b: {len(sups)} supervise processes, {IDLE_SERVICES} expected")
        time.sleep(1)  # past the start's own work
        before = {p: switches(p) for p in sups}
        t0 = time.monotonic()
        time.sleep(IDLE_SECONDS)
        after = {p: switches(p) for p in sups}
        minutes = (time.monotonic() - t0) / 60
        per = len(sups) * minutes
        return tuple(sum(after[p][k] - before[p][k] for p in sups) / per for k in (0, 1))
    finally:
        stop(scanner, scan)

def on_signal(sig, frame):
    sweep(work, [])
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(130)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)

def summary(times):
    reached = [t for t in times if t is not None]
    if not reached:
        return f"never (> {BOUND:g} s)"
    text = f"{statistics.median(reached) * 1000:.0f} (min {min(reached) * 1000:.0f}, max {max(reached) * 1000:.0f})"
    missed = len(times) - len(reached)
    return text + (f", never in {missed} of {len(times)}" if missed else "")

VARIANTS = [
    ("chains", f"{N_CHAINS} chains of {DEPTH}, `dependencies` on the previous one, ready by `check`"),
    ("flat", "no `dependencies`, ready by `check`"),
    ("plain", "no `dependencies`, no `check` (up is enough)"),
]
try:
    ups = {v: [] for v, _ in VARIANTS}
    for r in range(ROUNDS):
        for v, _ in VARIANTS:
            ups[v].append(bring_up(v))
    with_checks = idle(True)
    without = idle(False)
finally:
    sweep(work, [])
    shutil.rmtree(work, ignore_errors=True)

n = N_CHAINS * DEPTH
print(f"11a: {n} services, tend's svscan + supervise, check-interval {CHECK_INTERVAL} ms, median of {ROUNDS} rounds "
      f"(\"never\": not within {BOUND:g} s)")
print()
print("| Tree | svscan start → every service up and ready, ms |")
print("|---|---:|")
for v, label in VARIANTS:
    print(f"| {label} | {summary(ups[v])} |")
print()
expected = 60000 / IDLE_INTERVAL
print(f"11b: {IDLE_SERVICES} idle services, context switches (voluntary + involuntary) per supervise process per minute "
      f"over {IDLE_SECONDS:g} s")
print()
print("| Tree | wakeups / service / minute (voluntary + involuntary) | checks expected / service / minute | wakeups per check |")
print("|---|---:|---:|---:|")
for label, (v, i), checks in ((f"`check` (exit 0), `check-failures` 3, check-interval {IDLE_INTERVAL} ms", with_checks, expected),
                              ("no `check`", without, 0)):
    per_check = f"{(v + i) / checks:.2f}" if checks else "–"
    print(f"| {label} | {v + i:.1f} ({v:.1f} + {i:.1f}) | {checks:.0f} | {per_check} |")
PY
