#!/usr/bin/env bash
# Benchmark 9 of issue 10: how long stopping takes, tend's svscan + supervise
# against daemontools' svscan + supervise, runit's runsvdir + runsv and s6's
# s6-svscan + s6-supervise, in one run. Prints a Markdown table.
#   9a  shutdown: SIGTERM to the scanner of N_SERVICES (default 100)
#       services, every other one ignoring SIGTERM (`trap '' TERM; exec
#       sleep`: an ignored signal stays ignored across exec); the time until
#       the scanner exits, and until no process of the tree is left (any
#       process whose working directory is in the tree: scanner,
#       supervisors, services).
#   9b  stop of a forking service (its run starts a background child, then
#       execs a server) with each suite's client (`svc -d`, `sv down`,
#       `s6-svc -d`): the time until the main process is gone, and until the
#       last of the two is; the stop is sent 1.5 s after the start
#       (daemontools' supervise ignores commands for a second after one).
#   Per-service memory is benchmark 8d: `bench/supervise.sh 8d`.
# Knobs: N_SERVICES (100), ROUNDS (3, the median shown), BOUND (20 s: a
# time not reached by then is reported as "never (> BOUND s)").
# Every scanner is started in a session of its own and killed by process
# group at the end, even on error or Ctrl-C, then anything left in the
# bench's directory (s6-supervise starts each service in its own session).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, select, shutil, signal, statistics, subprocess, sys, time
from benchlib import processes_in, sweep, tend_bin_dir

N_SERVICES = int(os.environ.get("N_SERVICES", "100"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
BOUND = float(os.environ.get("BOUND", "20"))
work, bindir = tend_bin_dir("tend-bench-stop-")
SYSTEM_PATH = os.environ.get("PATH", "/usr/bin:/bin")

# name, scanner argv (the scan directory is appended), PATH for the
# scanner, the client's argv to stop a service (its directory is appended)
SUITES = [
    ("tend svscan + supervise", [os.path.join(bindir, "svscan")], bindir + ":" + SYSTEM_PATH,
     [os.path.join(bindir, "svc"), "-d"]),
    ("daemontools svscan + supervise", ["/usr/bin/svscan"], "/usr/bin:" + SYSTEM_PATH, ["/usr/bin/svc", "-d"]),
    ("runit runsvdir + runsv", ["/usr/bin/runsvdir"], "/usr/bin:" + SYSTEM_PATH, ["/usr/bin/sv", "down"]),
    ("s6-svscan + s6-supervise", ["/usr/bin/s6-svscan"], "/usr/bin:" + SYSTEM_PATH, ["/usr/bin/s6-svc", "-d"]),
]

def service(path, body):
    """A service directory whose run script is `body`; it writes the pids it
    wants watched (space-separated) to `pids` (renamed into place) first."""
    os.makedirs(path)
    with open(os.path.join(path, "run"), "w") as f:
        f.write(f"#!/bin/sh\n{body}\n")
    os.chmod(os.path.join(path, "run"), 0o755)

def pids_of(path):
    try:
        with open(os.path.join(path, "pids")) as f:
            return [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return []

def start(argv, scan, path):
    env = dict(os.environ, PATH=path)
    return subprocess.Popen(argv + [scan], cwd=scan, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

def wait_for(cond, limit=60.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False

def shutdown(name, argv, path):
    """9a, one round: (ms until the scanner exits, ms until nothing of the tree is left), None = never."""
    scan = os.path.join(work, "shutdown")
    for i in range(N_SERVICES):
        ignore = "trap '' TERM; " if i % 2 else ""
        service(os.path.join(scan, f"s{i}"), f"echo $$ > pids.new && mv pids.new pids; {ignore}exec sleep 100000")
    scanner = start(argv, scan, path)
    try:
        every = [os.path.join(scan, f"s{i}") for i in range(N_SERVICES)]
        if not wait_for(lambda: all(pids_of(d) for d in every)):
            raise SystemExit(f"{name}: the {N_SERVICES} services did not start")
        # Every service has exec'd its sleep (a shell that has not yet set
        # its trap would die of SIGTERM).
        mains = [pids_of(d)[0] for d in every]
        if not wait_for(lambda: all(comm(p) == "sleep" for p in mains)):
            raise SystemExit(f"{name}: the services did not exec sleep")
        t0 = time.monotonic()
        scanner.send_signal(signal.SIGTERM)
        exited = empty = None
        while time.monotonic() - t0 < BOUND and empty is None:
            now = time.monotonic()
            if exited is None and scanner.poll() is not None:
                exited = now - t0
            if exited is not None and not processes_in(scan):
                empty = now - t0
            time.sleep(0.005)
        return exited, empty
    finally:
        sweep(work, [scanner.pid])
        shutil.rmtree(scan, ignore_errors=True)

def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""

def forking_stop(name, argv, path, stop):
    """9b, one round: (ms until the main process is gone, ms until its child is too), None = never."""
    scan = os.path.join(work, "forking")
    d = os.path.join(scan, "forker")
    service(d, "sleep 100000 &\necho $$ $! > pids.new && mv pids.new pids\nexec sleep 100000")
    scanner = start(argv, scan, path)
    try:
        if not wait_for(lambda: len(pids_of(d)) == 2 and comm(pids_of(d)[0]) == "sleep"):
            raise SystemExit(f"{name}: the forking service did not start")
        # daemontools' supervise ignores commands for a second after a start.
        time.sleep(1.5)
        watched = [os.pidfd_open(p) for p in pids_of(d)]
        t0 = time.monotonic()
        subprocess.run(stop + [d], check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, PATH=path))
        gone = []
        for fd in watched:
            p = select.poll()
            p.register(fd, select.POLLIN)
            p.poll(max(0, (t0 + BOUND - time.monotonic()) * 1000))
            # POLLIN: the process has exited (reaped or a zombie).
            gone.append(time.monotonic() - t0 if select.select([fd], [], [], 0)[0] else None)
            os.close(fd)
        main, child = gone
        return main, (None if main is None or child is None else max(main, child))
    finally:
        sweep(work, [scanner.pid])
        shutil.rmtree(scan, ignore_errors=True)

def summary(times):
    """The median of the rounds in ms, or never; says how many rounds never got there."""
    reached = [t for t in times if t is not None]
    if not reached:
        return f"never (> {BOUND:g} s)"
    text = f"{statistics.median(reached) * 1000:.0f}"
    missed = len(times) - len(reached)
    return text + (f" (never in {missed} of {len(times)})" if missed else "")

scanners = []
def on_signal(sig, frame):
    sweep(work, [])
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(130)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)

rows = []
try:
    results = {name: ([], [], [], []) for name, _, _, _ in SUITES}
    for r in range(ROUNDS):
        for name, argv, path, stop in SUITES:
            exited, empty = shutdown(name, argv, path)
            main, last = forking_stop(name, argv, path, stop)
            for column, value in zip(results[name], (exited, empty, main, last)):
                column.append(value)
    for name, _, _, _ in SUITES:
        rows.append([name] + [summary(c) for c in results[name]])
finally:
    sweep(work, [])
    shutil.rmtree(work, ignore_errors=True)

half = N_SERVICES // 2
print(f"| Suite | 9a SIGTERM → scanner exit, ms ({N_SERVICES} services, {half} ignore TERM) | 9a SIGTERM → no process of the tree left, ms "
      "| 9b stop → main process gone, ms | 9b stop → last process of the forking service gone, ms |")
print("|---|---:|---:|---:|---:|")
for row in rows:
    print("| " + " | ".join(row) + " |")
print()
print(f"Median of {ROUNDS} rounds; \"never\": not within {BOUND:g} s of the signal or the stop command.")
PY
