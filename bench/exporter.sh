#!/usr/bin/env bash
# Issue 14, item 1: `tend exporter` on a scan directory of N_SERVICES
# (default 1000) services run by tend's svscan (each `run` is `exec sleep`).
# Prints the time one scrape of /metrics takes (the HTTP request's wall time
# as a client sees it, and the collection alone as the exporter reports it in
# tend_exporter_scrape_duration_seconds), over RUNS (default 20) scrapes each
# made after the last collection aged past the exporter's 1 s reuse; then
# the exporter's CPU time per such scrape, and its resident memory after
# 1000 and after 10000 scrapes made back to back. Knobs: N_SERVICES, RUNS, BENCH_DIR (default /var/tmp),
# BASELINE (another tend binary, e.g. main's release build: its exporter runs
# on the same tree and the scrapes alternate between the two, so that both
# are measured under the same load; a line each).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, socket, statistics, subprocess, time
from benchlib import sleeping_tree, sweep, tend_bin_dir

TEND = os.environ["TEND"]
N = int(os.environ.get("N_SERVICES", "1000"))
RUNS = int(os.environ.get("RUNS", "20"))
work, bindir = tend_bin_dir(os.path.join(os.environ.get("BENCH_DIR", "/var/tmp"), "tend-bench-exporter-"))
scan = os.path.join(work, "scan")
os.mkdir(scan)
env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
groups = []


def scrape(address):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
        chunks = []
        while True:
            c = s.recv(1 << 16)
            if not c:
                break
            chunks.append(c)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/1.1 200 OK\r\n"):
        raise SystemExit(f"scrape failed: {answer[:80]!r}")
    return answer

def cpu_seconds(pid):
    # The scheduler's count of time on a CPU, in ns (finer than stat's ticks).
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

try:
    sleeping_tree(scan, N, bindir, env, groups, 600)
    binaries = [("tend", TEND)] + ([("baseline", os.environ["BASELINE"])] if os.environ.get("BASELINE") else [])
    exporters = []
    for label, binary in binaries:
        e = subprocess.Popen([binary, "exporter", "--listen", "127.0.0.1:0", "--clock-check", "kernel", scan],
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        groups.append(e.pid)
        exporters.append((label, e, e.stdout.readline().decode().split()[-1]))
    e, address = exporters[0][1], exporters[0][2]
    figures = {label: ([], [], []) for label, _ in binaries}  # walls, collections, CPU
    size = 0
    for _, _, a in exporters:
        scrape(a)  # the first: cgroups located, buffers grown
    loads = []
    for run in range(RUNS):
        # Alternated, each one first in turn.
        for label, x, a in (exporters if run % 2 == 0 else exporters[::-1]):
            time.sleep(1.05)
            cpu = cpu_seconds(x.pid)
            t = time.monotonic()
            answer = scrape(a)
            figures[label][0].append(time.monotonic() - t)
            figures[label][2].append(cpu_seconds(x.pid) - cpu)
            size = len(answer)
            line = next(l for l in answer.split(b"\n") if l.startswith(b"tend_exporter_scrape_duration_seconds "))
            figures[label][1].append(float(line.split()[1]))
        loads.append(os.getloadavg()[0])
    for _, x, _ in exporters[1:]:
        x.kill()
    load = statistics.median(loads)
    rss = [("after the first scrape", rss_kib(e.pid))]
    t = time.monotonic()
    for i in range(1, 10001):
        scrape(address)
        if i in (1000, 10000):
            rss.append((f"after {i} more scrapes", rss_kib(e.pid)))
    rate = 10000 / (time.monotonic() - t)
finally:
    sweep(work, groups)
    shutil.rmtree(work, ignore_errors=True)
print(f"| /metrics, {N} services ({size} bytes), {RUNS} scrapes | median ms | best ms | worst ms |")
print("|---|---:|---:|---:|")
for label, (walls, collects, cpus) in figures.items():
    for name, xs in [("scrape, as the client waits", walls), ("collection (tend_exporter_scrape_duration_seconds)", collects),
                     ("CPU time of the exporter (collection and text)", cpus)]:
        print(f"| {label}: {name} | {statistics.median(xs) * 1000:.1f} | {min(xs) * 1000:.1f} | {max(xs) * 1000:.1f} |")
print(f"\nLoad average during the scrapes: median {load:.1f} ({min(loads):.1f} to {max(loads):.1f}).")
print()
print(f"| exporter RSS | KiB |")
print("|---|---:|")
for name, kib in rss:
    print(f"| {name} | {kib} |")
print(f"\n10000 scrapes back to back: {rate:.0f} a second (the services collected at most once a second).")
PY
