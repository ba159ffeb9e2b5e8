#!/usr/bin/env bash
# Benchmarks 8b, 8c, 8d of issue 3: tend's supervise against daemontools'
# supervise, runit's runsv and s6's s6-supervise, in one run. Prints a
# Markdown table. `bench/supervise.sh 8d` runs only 8d (about a minute).
# Knobs: N_STEADY (default 20), N_START (10), N_CRASH (20), N_PSS (100
# supervisors).
#   8b  svc -d -> service exit (pidfd), steady and right after a start
#   8c  SIGKILL of a service that ran > 1 s -> new pid in supervise/status
#   8d  total Pss of N_PSS supervisors, each with one `sleep` service
#       and the private part of it (Private_Clean + Private_Dirty: what
#       each process costs beyond the pages it shares)
# tend is built as `cargo build --release` builds it (PIE, full RELRO,
# BIND_NOW; unwinder from libgcc_eh, .cargo/config.toml; crates/tend/layout.ld).
# Every process is started in its own session and killed by process group.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-all}" in
    all | 8d) ONLY="${1:-}" ;;
    *) echo "usage: bench/supervise.sh [8d]" >&2; exit 100 ;;
esac
export ONLY
. bench/build-tend.sh
exec python3 - <<'PY'
import os, select, shutil, signal, struct, subprocess, tempfile, time
from benchlib import kill_groups, remove_cgroups

TEND = os.environ["TEND"]
ONLY_PSS = os.environ["ONLY"] == "8d"
N_STEADY = int(os.environ.get("N_STEADY", "20"))
N_START = int(os.environ.get("N_START", "10"))
N_CRASH = int(os.environ.get("N_CRASH", "20"))
N_PSS = int(os.environ.get("N_PSS", "100"))
work = tempfile.mkdtemp(prefix="tend-bench-supervise-")
os.symlink(TEND, os.path.join(work, "supervise"))
SUPERVISORS = [
    ("tend supervise", [os.path.join(work, "supervise")], "djb"),
    ("daemontools supervise", ["/usr/bin/supervise"], "djb"),
    ("runit runsv", ["/usr/bin/runsv"], "djb"),
    ("s6-supervise", ["/usr/bin/s6-supervise"], "s6"),
]
groups = []

def service(path):
    os.makedirs(path)
    with open(os.path.join(path, "run"), "w") as f:
        f.write("#!/bin/sh\nexec sleep 86401\n")
    os.chmod(os.path.join(path, "run"), 0o755)

services = set()

def start(cmd, path):
    p = subprocess.Popen(cmd + [os.path.basename(path)], cwd=os.path.dirname(path), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    groups.append(p.pid)
    return p

def pid_of(path, layout):
    try:
        with open(os.path.join(path, "supervise/status"), "rb") as f:
            b = f.read()
    except OSError:
        return 0
    if layout == "s6":
        return int.from_bytes(b[24:32], "big") if len(b) >= 35 else 0
    return int.from_bytes(b[12:16], "little") if len(b) >= 18 else 0

def wait_pid(path, layout, unlike=0, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        p = pid_of(path, layout)
        if p and p != unlike:
            services.add(p)
            return p
        time.sleep(0.0001)
    raise SystemExit(f"no new start in {path}")

def wait_down(path, layout):
    while pid_of(path, layout) != 0:
        time.sleep(0.001)

def send(path, letter):
    fd = os.open(os.path.join(path, "supervise/control"), os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, letter)
    os.close(fd)

def until_exit(pid, action):
    """ms from action() to the death of pid (None if it was already gone)."""
    try:
        pfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    t0 = time.perf_counter_ns()
    action()
    p = select.poll()
    p.register(pfd, select.POLLIN)
    p.poll(10000)
    t1 = time.perf_counter_ns()
    os.close(pfd)
    return (t1 - t0) / 1e6

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]

def fmt(xs):
    return f"{pct(xs, 50):.2f} / {pct(xs, 99):.2f}"

def stop_all():
    # s6-supervise puts services in their own session: kill them by pid.
    for pid in services:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    services.clear()
    kill_groups(groups)
    groups.clear()
    remove_cgroups(work)

def latencies(name, cmd, layout):
    """s6-supervise sometimes replaces a freshly started service at once;
    a sample whose pid is already gone is taken again."""
    d = os.path.join(work, "lat-" + name.replace(" ", "_"))
    service(d)
    start(cmd, d)
    pid = wait_pid(d, layout)
    steady, after_start, crash = [], [], []
    while len(steady) < N_STEADY:
        time.sleep(1.1)
        pid = wait_pid(d, layout)
        ms = until_exit(pid, lambda: send(d, b"d"))
        if ms is not None:
            steady.append(ms)
        wait_down(d, layout)
        send(d, b"u")
        pid = wait_pid(d, layout, unlike=pid)
    while len(after_start) < N_START:
        time.sleep(1.1)
        send(d, b"d")
        wait_down(d, layout)
        send(d, b"u")
        pid = wait_pid(d, layout, unlike=pid)
        ms = until_exit(pid, lambda: send(d, b"d"))
        if ms is not None:
            after_start.append(ms)
    wait_down(d, layout)
    send(d, b"u")
    pid = wait_pid(d, layout, unlike=pid)
    while len(crash) < N_CRASH:
        time.sleep(1.1)
        pid = wait_pid(d, layout)
        t0 = time.perf_counter_ns()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        pid = wait_pid(d, layout, unlike=pid)
        crash.append((time.perf_counter_ns() - t0) / 1e6)
    stop_all()
    return steady, after_start, crash

def pss(name, cmd, layout):
    base = os.path.join(work, "pss-" + name.replace(" ", "_"))
    procs = []
    for i in range(N_PSS):
        d = os.path.join(base, f"s{i}")
        service(d)
        procs.append(start(cmd, d))
    for i in range(N_PSS):
        wait_pid(os.path.join(base, f"s{i}"), layout)
    time.sleep(1)
    os.sync()
    total = private = 0
    for p in procs:
        with open(f"/proc/{p.pid}/smaps_rollup") as f:
            for line in f:
                field, kib = line.split()[:2]
                if field == "Pss:":
                    total += int(kib)
                elif field in ("Private_Clean:", "Private_Dirty:"):
                    private += int(kib)
    stop_all()
    return f"{total} ({private})"

def relro_pages(path):
    """Pages spanned by the ELF64 file's PT_GNU_RELRO segment."""
    with open(path, "rb") as f:
        elf = f.read()
    phoff, = struct.unpack_from("<Q", elf, 32)
    size, count = struct.unpack_from("<HH", elf, 54)
    for i in range(count):
        kind, _, _, vaddr, _, _, memsz = struct.unpack_from("<IIQQQQQ", elf, phoff + i * size)
        if kind == 0x6474E552:
            return (vaddr + memsz + 4095) // 4096 - vaddr // 4096
    return 0

rows = []
try:
    for name, cmd, layout in SUPERVISORS:
        row = [name]
        if not ONLY_PSS:
            row += [fmt(xs) for xs in latencies(name, cmd, layout)]
        rows.append(row + [pss(name, cmd, layout)])
finally:
    stop_all()
    shutil.rmtree(work, ignore_errors=True)
head = ["supervisor"]
if not ONLY_PSS:
    head += [f"8b svc -d → exit, p50 / p99 ms (n={N_STEADY})", f"8b right after a start, p50 / p99 ms (n={N_START})",
             f"8c crash → new start, p50 / p99 ms (n={N_CRASH})"]
head.append(f"8d Pss of {N_PSS} supervisors (private part), KiB")
print("| " + " | ".join(head) + " |")
print("|" + "|".join(["---"] * len(head)) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print(f"\ntend's RELRO spans {relro_pages(TEND)} pages (in a PIE the loader writes them all: private to each process)")
PY
